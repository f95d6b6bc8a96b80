// Issue 10: `pmfit merge` of shard reports still groups the failing images into bugs — one finding
// per bug, over the same crash points and images as the unsharded run — but cannot re-simulate (no
// checker at merge time), so none of its findings carries a verified fix.
import test from 'ava';
import { join } from 'node:path';
import type { Report } from '../../core/api.js';
import { brief } from '../bug-helpers.js';
import { pmfit, tempDir } from '../helpers.js';
import { readFileSync } from 'node:fs';

// native/binarytree-buggy: one missing flush that used to be a finding per failing crash point (110)
const SCENARIOS = ['list-append-buggy', 'native/flag-data-buggy', 'fence-flag-buggy', 'native/binarytree-buggy'];

const read = (path: string) => JSON.parse(readFileSync(path, 'utf8')) as Report;

test('merged shard reports give one finding per bug, with no verified fix', (t) => {
  t.timeout(240_000);
  const dir = tempDir(t);
  const full = join(dir, 'full.json');
  t.is(pmfit(['run', ...SCENARIOS, '--quiet', '--report', `json=${full}`]).status, 1);
  const shards = [1, 2, 3].map((k) => join(dir, `s${k}.json`));
  shards.forEach((path, i) => {
    const r = pmfit(['run', ...SCENARIOS, '--quiet', '--shard', `${i + 1}/3`, '--report', `json=${path}`]);
    t.true(r.status === 0 || r.status === 1, r.stderr);
  });
  const mergedPath = join(dir, 'merged.json');
  const m = pmfit(['merge', ...shards, '--quiet', '--report', `json=${mergedPath}`]);
  t.is(m.status, 1, m.stderr);
  const whole = read(full);
  const merged = read(mergedPath);
  // A shard alone sees some of each bug's crash points; the merge sees them all, as one bug.
  t.true(read(shards[0]!).results.every((r) => r.findings.length <= 1));
  for (const result of whole.results) {
    const other = merged.results.find((r) => r.scenario === result.scenario && r.model === result.model)!;
    t.truthy(other, `${result.scenario} ${result.model}`);
    t.is(other.findings.length, result.findings.length, `${result.scenario} ${result.model}`);
    if (result.summary.verdict === 'consistent') continue;
    t.is(result.findings.length, 1, `${result.scenario}: ${result.findings.map(brief).join('\n')}`);
    const [a, b] = [result.findings[0]!, other.findings[0]!];
    t.is(b.class, a.class, brief(b));
    t.deepEqual(b.crashPoints, a.crashPoints, result.scenario);
    t.is(b.pointCount, a.pointCount, result.scenario);
    t.is(b.failingImages, a.failingImages, result.scenario);
    t.is(a.fix?.verification.status, 'verified', `the whole run verifies its fix: ${brief(a)}`);
    t.not(b.fix?.verification.status, 'verified', `a merge has no checker: ${brief(b)}`);
  }
});
