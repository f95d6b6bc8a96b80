// --save-failures writes self-describing, signed files; `pmfit replay FILE` reproduces each one
// alone, and runs the check of a file someone else wrote only when told to.
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { shellQuote } from '../../core/support/shell-quote.js';
import { PMFIT_BIN, pmfit, tempDir } from '../helpers.js';

test('every finding is saved with what reproduces it, and replay FILE reproduces it', (t) => {
  const base = tempDir(t);
  const env = { XDG_CONFIG_HOME: join(base, 'config') };
  const dir = join(base, 'failures');
  const r = pmfit(
    [
      'run',
      'fence-flag-buggy',
      'native/flag-data-buggy',
      '--quiet',
      '--save-failures',
      dir,
      '--report',
      `json=${join(base, 'r.json')}`,
    ],
    { env },
  );
  t.is(r.status, 1, r.stderr);
  const report = JSON.parse(readFileSync(join(base, 'r.json'), 'utf8'));
  const files = readdirSync(dir).sort();
  t.is(files.length, report.findings.length);
  for (const file of files) {
    const saved = JSON.parse(readFileSync(join(dir, file), 'utf8'));
    for (const field of [
      'replayId',
      'scenario',
      'model',
      'strategy',
      'seed',
      'traceDigest',
      'commandLine',
      'check',
      'finding',
      'image',
      'signature',
    ])
      t.truthy(saved[field], `${file}: ${field}`);
    t.regex(saved.commandLine, /^pmfit run fence-flag-buggy native\/flag-data-buggy/);
    t.regex(saved.traceDigest, /^[0-9a-f]{6}$/);
    t.true(saved.replayId.endsWith(`~${saved.traceDigest}`), 'the id carries the digest of its trace');
    const replay = pmfit(['replay', join(dir, file)], { env });
    t.is(replay.status, 1, replay.stdout + replay.stderr);
    t.regex(replay.stdout, /the failure reproduces/);
    t.regex(replay.stdout, /^found by: pmfit on \S+ with model adr, strategy \w+, seed 0$/m);
  }
});

test('the trace digest is the same on every run; a fixed check no longer reproduces; a damaged file is refused', (t) => {
  const base = tempDir(t);
  const env = { XDG_CONFIG_HOME: join(base, 'config') };
  const digests = [1, 2].map((i) => {
    const dir = join(base, `f${i}`);
    t.is(pmfit(['run', 'native/fence-flag-buggy', '--quiet', '--save-failures', dir], { env }).status, 1);
    const [file] = readdirSync(dir);
    return { path: join(dir, file!), saved: JSON.parse(readFileSync(join(dir, file!), 'utf8')) };
  });
  t.is(digests[0]!.saved.traceDigest, digests[1]!.saved.traceDigest);
  t.is(digests[0]!.saved.image.sha256, digests[1]!.saved.image.sha256);

  // A check that now accepts the image (here simply `true`) means the failure is gone. The edit
  // breaks the signature, so pmfit shows what it would run and needs --yes.
  const fixed = { ...digests[0]!.saved, check: { kind: 'command', command: 'true' } };
  writeFileSync(join(base, 'fixed.json'), JSON.stringify(fixed));
  const asked = pmfit(['replay', join(base, 'fixed.json')], { env });
  t.is(asked.status, 2, asked.stdout + asked.stderr);
  t.regex(asked.stderr, /was not written by you on this machine.*runs the command: true .*Give --yes to run it/);
  t.is(asked.stderr.trim().split('\n').length, 1);
  t.is(asked.stdout, '', 'nothing ran');
  const gone = pmfit(['replay', join(base, 'fixed.json'), '--yes'], { env });
  t.is(gone.status, 0, gone.stdout + gone.stderr);
  t.regex(gone.stdout, /no longer reproduces/);

  const damaged = { ...digests[0]!.saved, image: { ...digests[0]!.saved.image, sha256: '0'.repeat(64) } };
  writeFileSync(join(base, 'damaged.json'), JSON.stringify(damaged));
  const refused = pmfit(['replay', join(base, 'damaged.json'), '--yes'], { env });
  t.is(refused.status, 2);
  t.regex(refused.stderr, /does not match its digest/);
});

test("another user's saved failure runs only with --yes, and its free text is never printed", (t) => {
  const base = tempDir(t);
  const mine = { XDG_CONFIG_HOME: join(base, 'me') };
  const theirs = { XDG_CONFIG_HOME: join(base, 'them') };
  const dir = join(base, 'failures');
  t.is(pmfit(['run', 'list-append-buggy', '--quiet', '--save-failures', dir], { env: theirs }).status, 1);
  const file = join(dir, readdirSync(dir).sort()[0]!);
  // The author controls every byte of the file: a command line with terminal escapes is not shown.
  const saved = JSON.parse(readFileSync(file, 'utf8'));
  writeFileSync(file, JSON.stringify({ ...saved, commandLine: 'pmfit run \u001b[2Jtrust me' }));
  const refused = pmfit(['replay', file], { env: mine });
  t.is(refused.status, 2);
  t.regex(refused.stderr, /not written by you on this machine.*check of scenario list-append-buggy/);
  const ran = pmfit(['replay', file, '--yes'], { env: mine });
  t.is(ran.status, 1, ran.stderr);
  t.regex(ran.stdout, /the failure reproduces/);
  t.false(ran.stdout.includes('trust me') || ran.stdout.includes('\u001b'), ran.stdout);
  // The author's own key still trusts it? No: the edit broke the signature for them too.
  t.is(pmfit(['replay', file], { env: theirs }).status, 2);
});

/** One saved failure of list-append-buggy, made once for the hand-edited variants below. */
let shared: { base: string; text: string } | undefined;
test.after.always(() => shared && rmSync(shared.base, { recursive: true, force: true }));
function savedOnce() {
  if (!shared) {
    const base = mkdtempSync(join(tmpdir(), 'pmfit-test-'));
    const dir = join(base, 'failures');
    const env = { XDG_CONFIG_HOME: join(base, 'config') };
    const r = pmfit(['run', 'list-append-buggy', '--strategy', 'strict', '--quiet', '--save-failures', dir], { env });
    if (r.status !== 1) throw new Error(r.stderr);
    shared = { base, text: readFileSync(join(dir, readdirSync(dir).sort()[0]!), 'utf8') };
  }
  return shared;
}

for (const [what, edit, message] of [
  ['a scenario name with control characters', { scenario: 'x\u001b[31m' }, /characters a name does not have/],
  ['an unknown model', { model: 'dram' }, /unknown model/],
  ['a malformed replay id', { replayId: 'adr@3/,5:1' }, /not a replay id: an empty part/],
  ['an older format', { pmfitFailure: 1 }, /format 1, expected 2/],
  ['a finding without stores', { finding: { crashPoint: 1, icountFrom: 1, icountTo: 1 } }, /lostStores/],
  [
    'an image larger than declared',
    {
      image: { bytes: 16, sha256: '0'.repeat(64), gzipBase64: 'H4sIAAAAAAAAA+3BAQ0AAADCoPdPbQ8HFAAAAPBuEQAcxwAQAAA=' },
    },
    /does not match its digest/,
  ],
] as const) {
  test.serial(`a hand-made saved failure is refused in one line: ${what}`, (t) => {
    const { base, text } = savedOnce();
    const file = join(base, `edited-${what.replace(/\W+/g, '-')}.json`);
    writeFileSync(file, JSON.stringify({ ...JSON.parse(text), ...edit }));
    const r = pmfit(['replay', file, '--yes']);
    t.is(r.status, 2, r.stdout + r.stderr);
    t.regex(r.stderr, message);
    t.is(r.stderr.trim().split('\n').length, 1);
    t.notRegex(r.stderr, /\n\s+at /);
  });
}

test.serial('a saved failure larger than any pmfit writes is refused before it is read', (t) => {
  const file = join(savedOnce().base, 'huge.json');
  writeFileSync(file, '{}');
  truncateSync(file, 300 * 1024 * 1024); // sparse: costs no disk
  const r = pmfit(['replay', file, '--yes']);
  t.is(r.status, 2);
  t.regex(r.stderr, /is 314572800 bytes, more than a saved failure may be/);
});

test.serial("at a terminal, another user's saved failure runs after a yes and not after a no", (t) => {
  if (!existsSync('/usr/bin/script')) return t.pass('no script(1) to give pmfit a terminal');
  const { base, text } = savedOnce();
  const file = join(base, 'from-elsewhere.json');
  writeFileSync(file, text);
  const env = { ...process.env, XDG_CONFIG_HOME: join(base, 'someone-else') };
  const command = [process.execPath, PMFIT_BIN, 'replay', file].map(shellQuote).join(' ');
  const atTerminal = (answer: string) =>
    spawnSync('/usr/bin/script', ['-qec', command, '/dev/null'], {
      input: answer,
      env,
      encoding: 'utf8',
      timeout: 120_000,
    });
  const yes = atTerminal('y\n');
  t.is(yes.status, 1, yes.stdout);
  t.regex(yes.stdout, /Run it\? \[y\/N\][\s\S]*the failure reproduces/);
  const no = atTerminal('n\n');
  t.is(no.status, 2, no.stdout);
  t.regex(no.stdout, /not replayed/);
  t.notRegex(no.stdout, /check output/);
});
