// Lints outside the user's code, on a real native trace: libpmemobj's transaction, traced under QEMU
// and saved. The tracer marks `outsideUserCode` only where no frame of the user's code was live (the
// loader, libc's start-up and exit); libpmemobj's own flushes and fences, made inside the user's
// pmemobj_tx_* calls, carry the user's line of that call (a caller frame, `via`). To see the
// transaction's lints as library ones, the test clears the tracer's marks and marks every event made
// inside a library instead.
import test from 'ava';
import { join } from 'node:path';
import type { Report, Trace } from '../../../core/api.js';
import { readTrace } from '../../../core/trace/reader.js';
import { perfFindings } from '../../../harness/engine/perf-rules.js';
import { selectLints, withLints } from '../../../harness/judge/lints.js';
import { finishRun } from '../../../harness/cli/run-controls.js';
import { EXIT } from '../../../core/support/errors.js';
import { REPO, objectTrace, pmfit, tableTrace } from '../../helpers.js';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';

const PROGRAM = join(REPO, 'build', 'scenarios', 'pmemobj-tx');

/** One `pmfit check` of the pmemobj-tx scenario program, its trace saved: read afresh by each test. */
const run = (() => {
  const dir = mkdtempSync(join(tmpdir(), 'pmfit-test-'));
  const saved = join(dir, 'tx.pmtrace');
  const json = join(dir, 'r.json');
  const r = pmfit([
    'check',
    '--pool',
    join(dir, 'tx.pool'),
    '--size',
    String(8 << 20),
    '--init',
    `${PROGRAM} init {pool}`,
    '--check',
    `${PROGRAM} check {pool}`,
    '--save-trace',
    saved,
    '--report',
    `json=${json}`,
    '--quiet',
    '--',
    PROGRAM,
    'run',
    '{pool}',
  ]);
  const report = r.status === 0 ? (JSON.parse(readFileSync(json, 'utf8')) as Report) : undefined;
  return { dir, saved, report, error: `pmfit check exited ${r.status}: ${r.stderr}` };
})();
test.after.always(() => rmSync(run.dir, { recursive: true, force: true }));

/** The trace, the pool before it (zeroed: the lints read only which lines are pending), the report. */
function tracePmemobjTx(): { trace: Trace; initial: Buffer; report: Report } {
  if (!run.report) throw new Error(run.error);
  return { trace: readTrace(run.saved), initial: Buffer.alloc(8 << 20), report: run.report };
}

test('library lints are grouped apart, left out by default and counted, shown with all', (t) => {
  const { trace: read, initial, report } = tracePmemobjTx();
  // events as objects, to mark and unmark them, given to the lints as a table again
  const trace = objectTrace(read);
  const outside = new Set(trace.events.filter((e) => e.outsideUserCode));
  for (const e of trace.events) delete e.outsideUserCode;
  const before = perfFindings(tableTrace(trace), initial);
  t.true(before.length > 0, 'libpmemobj flushes twice and fences idly');
  t.true(
    before.every((p) => p.library === undefined),
    'nothing is marked outside user code before the marking',
  );
  t.deepEqual(selectLints(before, 'user'), { perfFindings: before }, 'all of it shows by default when unmarked');

  // the events made inside a library (a caller frame) stand for code outside the user's, with those
  // the tracer marked
  let marked = 0;
  for (const e of trace.events)
    if ((e.callerPc !== undefined || outside.has(e)) && e.kind !== 'marker') {
      e.outsideUserCode = true;
      marked++;
    }
  t.true(marked > 0);
  const found = perfFindings(tableTrace(trace), initial);
  t.true(found.length > 0);
  t.true(
    found.every((p) => p.library === true),
    'every lint of the transaction lies outside the user code here',
  );
  t.deepEqual(
    found.map((p) => [p.kind, p.count]),
    before.map((p) => [p.kind, p.count]),
    'the same groups and counts, flagged',
  );

  t.deepEqual(selectLints(found, 'user'), { perfFindings: [], libraryPerfFindings: found.length });
  t.deepEqual(selectLints(found, 'all'), { perfFindings: found });

  // --fail-on perf counts what is shown: nothing by default, the library lints with --lint all
  const result = { ...report.results[0]!, perfFindings: found };
  const exitWith = (mode: 'user' | 'all') =>
    finishRun({ ...report, results: [withLints(result, mode)] }, { quiet: true, 'fail-on': 'perf' }, []);
  t.is(exitWith('user'), EXIT.clean);
  t.is(exitWith('all'), EXIT.finding);
  t.is(withLints(withLints(result, 'user'), 'user').libraryPerfFindings, found.length, 'idempotent');
});

test('user and library lints from one place stay two entries, in the order of their first event', (t) => {
  const { trace: read, initial } = tracePmemobjTx();
  const trace = objectTrace(read);
  const flushes = perfFindings(read, initial).find((p) => p.kind === 'redundant-flush')!;
  t.true(flushes.count >= 2, `the transaction's redundant flushes share one place (${flushes.count})`);
  // the first of them is the user's, the later ones at the same pc from outside the user's code
  const pc = trace.events[flushes.event.seq]!.pc;
  for (const e of trace.events)
    if (e.kind === 'flush' && e.pc === pc && e.seq > flushes.event.seq) e.outsideUserCode = true;
  const split = perfFindings(tableTrace(trace), initial).filter((p) => p.kind === 'redundant-flush');
  t.deepEqual(
    split.map((p) => [p.count, p.library]),
    [
      [1, undefined],
      [flushes.count - 1, true],
    ],
  );
  t.true(split[0]!.event.seq < split[1]!.event.seq, 'in the order of their first event');
});
