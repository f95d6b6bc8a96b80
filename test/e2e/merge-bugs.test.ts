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
    if (result.summary.verdict === 'consistent') {
      t.is(other.findings.length, 0, `${result.scenario} ${result.model}`);
      continue;
    }
    t.is(result.findings.length, 1, `${result.scenario}: ${result.findings.map(brief).join('\n')}`);
    if (other.findings.length > 1) {
      // Without re-simulation a bug whose images also lose unrelated lines can stay split (README,
      // merge): each part is the same bug seen in other images — of its class, losing some of its
      // stores (the witness is not minimised) — and together they cover its crash points.
      const [a] = result.findings;
      for (const b of other.findings) {
        t.is(b.class, a!.class, brief(b));
        t.true(
          a!.sites.lost.some((site) => b.sites.lost.includes(site)),
          `${brief(b)} loses some of what ${brief(a!)} loses`,
        );
      }
      const covered = new Set(other.findings.flatMap((f) => f.occurrences.map((o) => o.crashPoint)));
      t.true(
        a!.occurrences.every((o) => covered.has(o.crashPoint)),
        `${result.scenario}: every failing point of the bug is in the merge`,
      );
      continue;
    }
    t.is(other.findings.length, 1, `${result.scenario} ${result.model}`);
    const [a, b] = [result.findings[0]!, other.findings[0]!];
    t.is(b.class, a.class, brief(b));
    t.deepEqual(b.crashPoints, a.crashPoints, result.scenario);
    t.is(b.pointCount, a.pointCount, result.scenario);
    t.is(b.failingImages, a.failingImages, result.scenario);
    t.is(a.fix?.verification.status, 'verified', `the whole run verifies its fix: ${brief(a)}`);
    t.not(b.fix?.verification.status, 'verified', `a merge has no checker: ${brief(b)}`);
  }
});
