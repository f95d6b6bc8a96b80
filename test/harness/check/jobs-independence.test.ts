// A check that prints its image's path (here: the built-in native flag-data behind an `echo {pool}`)
// under the atomic oracle, whose verdicts compare outputs: the report must not depend on --jobs,
// i.e. on which slot's file the check was given.
import test from 'ava';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Report } from '../../../core/api.js';
import { REPO, pmfit, tempDir } from '../../helpers.js';

const flagData = join(REPO, 'build/scenarios/flag-data');

function report(dir: string, jobs: number): { status: number | null; report: Report; stderr: string } {
  const path = join(dir, `report-j${jobs}.json`);
  const r = pmfit([
    'check',
    '--pool',
    join(dir, `j${jobs}.pool`),
    '--size',
    '4096',
    '--init',
    `${flagData} init {pool}`,
    '--check',
    `echo checking {pool}; ${flagData} check {pool}`,
    '--oracle',
    'atomic',
    '--jobs',
    String(jobs),
    '--quiet',
    '--report',
    `json=${path}`,
    '--',
    flagData,
    'run',
    '{pool}',
  ]);
  return { status: r.status, report: JSON.parse(readFileSync(path, 'utf8')) as Report, stderr: r.stderr };
}

test('a check printing its image path gives the same report at -j1, -j2 and -j3', (t) => {
  const dir = tempDir(t);
  const runs = [1, 2, 3].map((jobs) => report(dir, jobs));
  for (const run of runs) {
    t.is(run.status, 0, run.stderr);
    t.is(run.report.summary.verdict, 'consistent');
    t.deepEqual(run.report.findings, []);
  }
  const shape = (r: Report) => ({ ...r.summary, wallMs: 0 });
  t.deepEqual(shape(runs[1]!.report), shape(runs[0]!.report));
  t.deepEqual(shape(runs[2]!.report), shape(runs[0]!.report));
});
