// Every correct built-in scenario (TS and native) must come out clean while two CPU-burning
// processes load the machine: a loaded machine slows checks down, it never makes them fail.
// The burners are killed at the end whatever happens, and they also stop on their own when this
// process goes (they watch their parent) or after an hour.
import test from 'ava';
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Report } from '../../core/api.js';
import { PMFIT_BIN, REPO, tempDir } from '../helpers.js';

const CORRECT_BUILT_INS = [
  'basic',
  'list-append',
  'flag-data',
  'fence-flag',
  'torn16',
  'nt-publish',
  'native/trivial',
  'native/basic',
  'native/binarytree',
  'native/pmemobj-tx',
  'native/flag-data',
  'native/fence-flag',
  'native/torn16',
  'native/nt-publish',
];

/** Burns one CPU until its parent is gone or an hour has passed. */
const BURNER = `
const parent = process.ppid, end = Date.now() + 3600e3;
for (let i = 1; ; i++) if (i % 1e7 === 0 && (process.ppid !== parent || Date.now() > end)) process.exit(0);
`;

function startBurners(n: number): ChildProcess[] {
  const burners = Array.from({ length: n }, () => spawn(process.execPath, ['-e', BURNER], { stdio: 'ignore' }));
  const killAll = (): void => {
    for (const b of burners) if (b.exitCode === null && b.signalCode === null) b.kill('SIGKILL');
  };
  process.once('exit', killAll);
  return burners;
}

/** Runs pmfit to its end (no time limit of ours: ava's own is the backstop). */
function runPmfit(args: string[]): Promise<{ status: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [PMFIT_BIN, ...args], { cwd: REPO, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString('utf8')));
    child.on('close', (status) => resolve({ status, stderr }));
  });
}

test('every correct built-in is clean while two CPU burners load the machine', async (t) => {
  t.timeout(20 * 60_000);
  const dir = tempDir(t);
  const burners = startBurners(2);
  t.teardown(() => {
    for (const b of burners) if (b.exitCode === null && b.signalCode === null) b.kill('SIGKILL');
  });
  const reportPath = join(dir, 'report.json');
  const { status, stderr } = await runPmfit(['run', ...CORRECT_BUILT_INS, '--quiet', '--report', `json=${reportPath}`]);
  t.true(
    burners.every((b) => b.exitCode === null && b.signalCode === null),
    'the burners ran the whole time',
  );
  t.is(status, 0, stderr);
  const report = JSON.parse(readFileSync(reportPath, 'utf8')) as Report;
  t.is(report.summary.verdict, 'consistent');
  t.deepEqual(report.findings, []);
  t.deepEqual([...new Set(report.results.map((r) => r.scenario))].sort(), [...CORRECT_BUILT_INS].sort());
});
