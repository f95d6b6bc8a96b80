// --save-failures writes self-describing files; `pmfit replay FILE` reproduces each one alone.
import test from 'ava';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pmfit, tempDir } from '../helpers.js';

test('every finding is saved with what reproduces it, and replay FILE reproduces it', (t) => {
  const dir = join(tempDir(t), 'failures');
  const r = pmfit([
    'run',
    'fence-flag-buggy',
    'native/flag-data-buggy',
    '--quiet',
    '--save-failures',
    dir,
    '--report',
    `json=${join(dir, '..', 'r.json')}`,
  ]);
  t.is(r.status, 1, r.stderr);
  const report = JSON.parse(readFileSync(join(dir, '..', 'r.json'), 'utf8'));
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
    ])
      t.truthy(saved[field], `${file}: ${field}`);
    t.regex(saved.commandLine, /^pmfit run fence-flag-buggy native\/flag-data-buggy/);
    t.regex(saved.traceDigest, /^[0-9a-f]{64}$/);
    const replay = pmfit(['replay', join(dir, file)]);
    t.is(replay.status, 1, replay.stdout + replay.stderr);
    t.regex(replay.stdout, /the failure reproduces/);
  }
});

test('the trace digest is the same on every run; a fixed check no longer reproduces; a damaged file is refused', (t) => {
  const base = tempDir(t);
  const digests = [1, 2].map((i) => {
    const dir = join(base, `f${i}`);
    t.is(pmfit(['run', 'native/fence-flag-buggy', '--quiet', '--save-failures', dir]).status, 1);
    const [file] = readdirSync(dir);
    return { path: join(dir, file!), saved: JSON.parse(readFileSync(join(dir, file!), 'utf8')) };
  });
  t.is(digests[0]!.saved.traceDigest, digests[1]!.saved.traceDigest);
  t.is(digests[0]!.saved.image.sha256, digests[1]!.saved.image.sha256);

  // A check that now accepts the image (here simply `true`) means the failure is gone.
  const fixed = { ...digests[0]!.saved, check: { kind: 'command', command: 'true' } };
  writeFileSync(join(base, 'fixed.json'), JSON.stringify(fixed));
  const gone = pmfit(['replay', join(base, 'fixed.json')]);
  t.is(gone.status, 0, gone.stdout + gone.stderr);
  t.regex(gone.stdout, /no longer reproduces/);

  const damaged = { ...digests[0]!.saved, image: { ...digests[0]!.saved.image, sha256: '0'.repeat(64) } };
  writeFileSync(join(base, 'damaged.json'), JSON.stringify(damaged));
  const refused = pmfit(['replay', join(base, 'damaged.json')]);
  t.is(refused.status, 2);
  t.regex(refused.stderr, /does not match its digest/);
});
