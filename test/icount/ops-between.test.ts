// --ops-between F: each call of F is one operation of the ops oracle, without editing the program.
// The tracer writes a user marker named F at each entry of F (ops=F), the boundaries the ops
// oracle compares at: a program with three insert() calls and no marker is consistent when each
// insert is crash-atomic, and not at any boundary when it persists its count before its slot.
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Report } from '../../core/api.js';
import { REPO, pmfit, tempDir } from '../helpers.js';

const program = join(REPO, 'build/test-programs/ops-insert');

test.before(() => {
  execFileSync('make', ['-s', '-f', 'icount/icount.mk', 'tracer'], { cwd: REPO, stdio: 'pipe' });
});

function check(dir: string, ...mode: string[]): { status: number | null; report: Report; dump: string } {
  const json = join(dir, 'report.json');
  const saved = join(dir, 'trace.pmtrace');
  const r = pmfit([
    'check',
    '--pool',
    join(dir, 'pool'),
    '--size',
    '4096',
    '--model',
    'eadr',
    '--oracle',
    'ops',
    '--ops-between',
    'insert',
    '--quiet',
    '--report',
    `json=${json}`,
    '--save-trace',
    saved,
    '--check',
    `${program} check {pool}`,
    '--',
    program,
    'run',
    '{pool}',
    ...mode,
  ]);
  const dump = pmfit(['trace', 'dump', saved]);
  if (dump.status !== 0) throw new Error(`no trace (exit ${r.status}): ${r.stderr}`);
  return { status: r.status, report: JSON.parse(readFileSync(json, 'utf8')) as Report, dump: dump.stdout };
}

test('three calls of insert are three operations: a user marker named insert before each, consistent', (t) => {
  const { status, report, dump } = check(tempDir(t));
  const markers = dump.split('\n').filter((l) => / marker user /.test(l));
  t.is(markers.length, 3, dump);
  for (const line of markers) t.regex(line, /marker user "insert" at \S*ops-insert\.c:\d+/);
  t.is(status, 0, JSON.stringify(report.findings.slice(0, 1)));
  t.deepEqual(
    report.results.map((r) => [r.model, r.summary.verdict]),
    [['eadr', 'consistent']],
  );
});

test('an insert that persists its count before its slot is at no operation boundary', (t) => {
  const { status, report } = check(tempDir(t), 'torn');
  t.is(status, 1);
  t.is(report.results[0]?.summary.verdict, 'inconsistent');
  t.true(report.findings.length > 0);
  for (const f of report.findings) t.is(f.failure.kind, 'not-at-boundary', JSON.stringify(f.failure));
});
