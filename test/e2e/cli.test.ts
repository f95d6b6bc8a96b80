// The pmfit command as users run it: exit statuses, one-line errors, reports, replay.
import test from 'ava';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pmfit, tempDir } from '../helpers.js';

test('exit 0 when every crash state is consistent', (t) => {
  const r = pmfit(['run', 'list-append', '--jobs', '1']);
  t.is(r.status, 0, r.stderr);
  t.regex(r.stdout, /Output for iterations: 0-\d+\n {2}list:\n/);
  t.regex(r.stdout, /pmfit: consistent: 0 finding/);
});

test('exit 1 on a finding, with the crash point and the replay command', (t) => {
  const r = pmfit(['run', 'list-append-buggy', '--model', 'adr', '--strategy', 'strict']);
  t.is(r.status, 1, r.stderr);
  t.regex(
    r.stdout,
    /FINDING \[missing-flush\] list-append-buggy \(adr\) at crash point 6 \(instructions 6-6, after #5 sfence at scenarios\/list-append\.ts:\d+:\d+\): node at 64 is linked but not initialized/,
  );
  t.regex(r.stdout, /replay: pmfit replay 'adr@6~[0-9a-f]{6}' --scenario list-append-buggy/);
});

for (const [what, args, message] of [
  ['unknown scenario', ['run', 'no-such'], /unknown scenario 'no-such'/],
  ['bad option', ['run', 'basic', '--frobnicate'], /Unknown argument: frobnicate/],
  ['bad option value', ['run', 'basic', '--model', 'dram'], /Invalid values/],
  ['bad jobs', ['run', 'basic', '--jobs', '0'], /--jobs must be a positive integer/],
  [
    'missing directory of a report',
    ['run', 'basic', '--report', 'json=/no/such/dir/r.json'],
    /directory \/no\/such\/dir does not exist/,
  ],
  ['unknown report kind', ['run', 'basic', '--report', 'pdf=x.pdf'], /unknown report kind 'pdf'/],
  ['bad replay id', ['replay', 'nonsense', '--scenario', 'basic'], /not a replay id/],
  ['replay id past the trace', ['replay', 'adr@9999', '--scenario', 'list-append'], /past the end of the trace/],
  ['missing trace file', ['trace', 'dump', '/no/such/trace'], /does not exist/],
  ['no command', [], /name a command/],
] as const) {
  test(`exit 2 with a one-line reason: ${what}`, (t) => {
    const r = pmfit([...args]);
    t.is(r.status, 2, r.stdout + r.stderr);
    t.regex(r.stderr, message);
    t.is(r.stderr.trim().split('\n').length, 1, `one line: ${r.stderr}`);
    t.notRegex(r.stderr, /\n\s+at /, 'no stack trace');
  });
}

test('the JSON report is deterministic: same run, same bytes apart from wallMs', (t) => {
  const dir = tempDir(t);
  const reports = [1, 2].map((i) => {
    const path = join(dir, `r${i}.json`);
    const r = pmfit(['run', 'basic', 'list-append-buggy', '--quiet', '--report', `json=${path}`, '--jobs', String(i)]);
    t.is(r.status, 1, r.stderr);
    return readFileSync(path, 'utf8').replace(/"wallMs": \d+/g, '"wallMs": 0');
  });
  t.is(reports[0], reports[1]);
  const json = JSON.parse(reports[0]!);
  t.is(json.schemaVersion, 2);
  t.deepEqual(Object.keys(json.summary), ['verdict', 'crashPoints', 'images', 'distinctImages', 'findings', 'wallMs']);
  t.is(json.summary.findings, json.findings.length);
  t.true(
    json.findings.every(
      (f: { class: string; failure: { kind: string }; crashPoint: number; replayId: string }) =>
        f.class && f.failure.kind && Number.isInteger(f.crashPoint) && f.replayId,
    ),
  );
});

test('replay rebuilds the failing image into a new file and re-runs its check', (t) => {
  const out = join(tempDir(t), 'image.pool');
  const r = pmfit(['replay', 'adr@6', '--scenario', 'list-append-buggy', '--out', out]);
  t.is(r.status, 1, r.stderr);
  t.regex(r.stdout, /lost \(still pending at the crash\):\n {2}#0 \[64, \+8\) line 1/);
  t.regex(r.stdout, /verdict: inconsistent — node at 64 is linked but not initialized/);
  t.is(statSync(out).size, 4096);
  t.is(readFileSync(out).readBigUInt64LE(8), 64n, 'the durable link points at the node');
  t.is(readFileSync(out).readBigUInt64LE(64), 0n, 'the node itself was lost');
  const again = pmfit(['replay', 'adr@6', '--scenario', 'list-append-buggy', '--out', out]);
  t.is(again.status, 2, 'never overwrites a file');
});

test('a consistent image replays with exit 0', (t) => {
  const r = pmfit(['replay', 'eadr@6', '--scenario', 'list-append-buggy']);
  t.is(r.status, 0, r.stderr);
  t.regex(r.stdout, /verdict: consistent/);
});

test('runs leave no temporary files behind', (t) => {
  const tmp = tempDir(t);
  t.is(pmfit(['run', 'basic', 'list-append-buggy', '--quiet'], { env: { PMFIT_TMPDIR: tmp } }).status, 1);
  t.deepEqual(readdirSync(tmp), []);
});

test('list names every built-in scenario', (t) => {
  const r = pmfit(['list']);
  t.is(r.status, 0);
  for (const name of ['basic', 'list-append', 'list-append-buggy']) t.regex(r.stdout, new RegExp(`^${name} `, 'm'));
});
