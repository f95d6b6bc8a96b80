// The pmfit command as users run it: exit statuses, one-line errors, reports, replay.
import test from 'ava';
import { mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO, pmfit, tempDir } from '../helpers.js';

test('exit 0 when every crash state is consistent', (t) => {
  const r = pmfit(['run', 'list-append', '--jobs', '1']);
  t.is(r.status, 0, r.stderr);
  t.regex(r.stdout, /Output for iterations: 0-\d+\n {2}list:\n/);
  t.regex(r.stdout, /pmfit: consistent: 0 bug\(s\)/);
});

test('exit 1 on a bug, with its sites, crash points, fix, witness and replay command', (t) => {
  const r = pmfit(['run', 'list-append-buggy', '--model', 'adr', '--strategy', 'strict']);
  t.is(r.status, 1, r.stderr);
  t.regex(
    r.stdout,
    /^FINDING \[missing-flush\] list-append-buggy \(adr\): the check failed: node at 64 is linked but not initialized \(magic 0\) — lost stores at scenarios\/linked-list\.ts:\d+:\d+, [^\n]*; at \d+ crash points \([-\d, ]+\), \d+ failing images$/m,
  );
  t.regex(r.stdout, /^ {2}fix: [^\n]+\n {2}(verified|not sufficient|not verified): [^\n]+$/m);
  t.regex(
    r.stdout,
    /^ {2}witness: crash point 6 \(instructions 6-6, after #5 sfence at scenarios\/list-append\.ts:\d+:\d+\)$/m,
  );
  t.is((r.stdout.match(/^FINDING /gm) ?? []).length, 1, 'one missing flush, one finding');
  t.regex(r.stdout, /replay: pmfit replay 'adr@6~[0-9a-f]{6}' --scenario list-append-buggy/);
});

for (const [what, args, message] of [
  ['unknown scenario', ['run', 'no-such'], /unknown scenario 'no-such'/],
  ['bad option', ['run', 'basic', '--frobnicate'], /Unknown argument: frobnicate/],
  ['bad option value', ['run', 'basic', '--model', 'dram'], /Invalid values/],
  ['bad jobs', ['run', 'basic', '--jobs', '0'], /--jobs must be a whole number from 1/],
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
  t.is(json.schemaVersion, 3);
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

test('--quiet prints only the one-line verdict, on stderr, with the exit status', (t) => {
  const failing = pmfit(['run', 'list-append-buggy', '--strategy', 'strict', '--quiet']);
  t.is(failing.status, 1, failing.stderr);
  t.is(failing.stdout, '');
  // Exactly one line: the verdict, the bugs named by class and user line, the extent of the run.
  t.is(failing.stderr.split('\n').length, 2, failing.stderr);
  t.regex(
    failing.stderr,
    /^pmfit: inconsistent: 1 bug \(missing-flush at linked-list\.ts:30:8\) in 2 scenario runs; \d+ crash points, \d+ distinct images checked\n$/,
  );
  const clean = pmfit(['run', 'list-append', '--quiet']);
  t.is(clean.status, 0, clean.stderr);
  t.is(clean.stdout, '');
  t.regex(clean.stderr, /^pmfit: consistent: 0 bugs in 2 scenario runs; [^\n]*\n$/);
});

test("the version is package.json's, in --version and in reports", (t) => {
  const version = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')).version;
  t.is(pmfit(['--version']).stdout.trim(), version);
  const r = pmfit(['run', 'basic', '--quiet', '--report', 'json=-']);
  t.is(JSON.parse(r.stdout).tool.version, version);
});

test("a report path is reused when it holds pmfit's own report of that kind, every kind", (t) => {
  const dir = tempDir(t);
  const kinds = ['json', 'text', 'junit', 'sarif', 'html'];
  const args = ['run', 'basic', '--quiet', ...kinds.flatMap((k) => ['--report', `${k}=${join(dir, `r.${k}`)}`])];
  for (const round of [1, 2]) {
    const r = pmfit(args);
    t.is(r.status, 0, `round ${round}: ${r.stderr}`);
  }
  for (const k of kinds) t.true(statSync(join(dir, `r.${k}`)).size > 0);
  t.deepEqual(readdirSync(dir).sort(), kinds.map((k) => `r.${k}`).sort(), 'no temporary report files left');
});

test('a report that cannot be written after the run: exit 3 naming the path', (t) => {
  const dir = tempDir(t);
  const out = join(dir, 'out');
  mkdirSync(out);
  // The scenario's run() removes the report's directory: checkable before the run, gone after it.
  writeFileSync(
    join(dir, 'gone.mjs'),
    `import { rmSync } from 'node:fs';
export default { name: 'gone', description: 'removes the report directory', poolSize: 4096, oracle: 'exit', models: ['eadr'],
  run(pool) { rmSync(${JSON.stringify(out)}, { recursive: true }); pool.writeU64(0, 1n); pool.persist(0, 8); },
  check(pool) { return String(pool.readU64(0)); } };
`,
  );
  const r = pmfit(['run', join(dir, 'gone.mjs'), '--quiet', '--report', `json=${join(out, 'r.json')}`]);
  t.is(r.status, 3, r.stderr);
  t.regex(r.stderr, new RegExp(`could not write the json report to ${join(out, 'r.json')}`));
  t.notRegex(r.stderr, /\n\s+at /);
});

const FLAG_DATA = join(REPO, 'build', 'scenarios', 'flag-data');

function envCheck(program: string, check: string) {
  return pmfit([
    'check',
    '--pool',
    'new.pool',
    '--size',
    '4096',
    '--init',
    `${program} init {pool}`,
    '--check-reads-env',
    '--check',
    check,
    '--model',
    'adr',
    '--strategy',
    'strict',
    '--report',
    'json=-',
    '--quiet',
    '--',
    program,
    'run',
    '{pool}',
  ]);
}

test('--check-reads-env: the image path is in $PMFIT_POOL, through the fork server and by spawning', (t) => {
  // printenv is a plain program: it runs through the fork server and fails when the variable is unset.
  const forked = envCheck(FLAG_DATA, 'printenv PMFIT_POOL');
  t.is(forked.status, 0, forked.stderr);
  const notes = JSON.parse(forked.stdout).results[0].notes.join(' ');
  t.regex(notes, /through the fork server/);
  // A shell command is spawned; the buggy twin is caught, so the check really read the image.
  const spawned = envCheck(`${FLAG_DATA}-buggy`, `exec ${FLAG_DATA}-buggy check "$PMFIT_POOL"`);
  t.is(spawned.status, 1, spawned.stderr);
  t.regex(JSON.parse(spawned.stdout).results[0].notes.join(' '), /plain spawning/);
});
