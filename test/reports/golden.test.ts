// The no-regression test: whole text and JSON reports of fixed built-in scenarios at a fixed seed,
// pinned as golden files, so any change in what pmfit prints or writes is a visible decision.
// Regenerate after a deliberate change with
//   PMFIT_UPDATE_GOLDEN=1 npx ava dist/test/reports/golden.test.js
// and review the diff of test/fixtures/golden/ like code.
import test from 'ava';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO, pmfit, tempDir } from '../helpers.js';

const GOLDEN = join(REPO, 'test', 'fixtures', 'golden');
const UPDATE = process.env.PMFIT_UPDATE_GOLDEN === '1';

/** Timings are the only bytes that may change between identical runs. */
function normalize(kind: 'text' | 'json', text: string): string {
  return kind === 'json' ? text.replace(/"wallMs": \d+/g, '"wallMs": 0') : text.replace(/, \d+ ms$/m, ', 0 ms');
}

for (const [name, args] of [
  ['list-append-buggy-adr', ['list-append-buggy', '--model', 'adr']],
  ['torn16-buggy', ['torn16-buggy']],
] as const) {
  test(`the whole text and JSON reports of ${args.join(' ')} at seed 0 are the pinned ones`, (t) => {
    const dir = tempDir(t);
    const text = join(dir, 'report.txt');
    const json = join(dir, 'report.json');
    const r = pmfit([
      'run',
      ...args,
      '--seed',
      '0',
      '--jobs',
      '2',
      '--quiet',
      '--report',
      `text=${text}`,
      '--report',
      `json=${json}`,
    ]);
    t.is(r.status, 1, r.stderr);
    for (const [kind, path] of [
      ['text', text],
      ['json', json],
    ] as const) {
      const actual = normalize(kind, readFileSync(path, 'utf8'));
      const golden = join(GOLDEN, `${name}.${kind === 'text' ? 'txt' : 'json'}`);
      if (UPDATE || !existsSync(golden)) {
        t.true(UPDATE, `${golden} is missing: run with PMFIT_UPDATE_GOLDEN=1 to write it`);
        mkdirSync(GOLDEN, { recursive: true });
        writeFileSync(golden, actual);
      }
      t.is(
        actual,
        readFileSync(golden, 'utf8'),
        `${kind} report differs from ${golden} (PMFIT_UPDATE_GOLDEN=1 to accept)`,
      );
    }
  });
}
