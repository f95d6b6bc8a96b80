// Lints (performance findings) on real runs: one entry per kind and place with a count, the user's
// code only by default (`--lint all` adds the rest), and the note of a native run traced whole.
import test from 'ava';
import { join } from 'node:path';
import { readFileSync, writeFileSync } from 'node:fs';
import type { Report } from '../../core/api.js';
import { REPO, pmfit, tempDir } from '../helpers.js';

const FLUSH_LOOP_TS = join(REPO, 'test', 'fixtures', 'scenario-files', 'flush-loop.js');
const FLUSH_LOOP_C = join(REPO, 'build', 'test-programs', 'flush-loop');
const WHOLE_RUN = /^the whole run was traced \(no icount_start\/icount_stop markers\): mark the operations under test/;

function jsonRun(dir: string, args: string[]): { status: number | null; stderr: string; report: Report } {
  const path = join(dir, `r-${Math.random().toString(36).slice(2)}.json`);
  const at = args.includes('--') ? args.indexOf('--') : args.length;
  const r = pmfit([...args.slice(0, at), '--quiet', '--report', `json=${path}`, ...args.slice(at)]);
  if (r.status !== 0 && r.status !== 1) throw new Error(`pmfit exited ${r.status}: ${r.stderr}`);
  return { status: r.status, stderr: r.stderr, report: JSON.parse(readFileSync(path, 'utf8')) as Report };
}

/** `pmfit check` of the native flush loop on a new pool in `dir`. */
function flushLoopArgs(dir: string, extra: string[] = []): string[] {
  return [
    'check',
    '--pool',
    join(dir, 'loop.pool'),
    '--size',
    '4096',
    '--check',
    'test -s {pool}',
    ...extra,
    '--',
    FLUSH_LOOP_C,
    '{pool}',
  ];
}

test('a TS scenario flushing one line again in a loop of 7 has ONE redundant-flush lint, counted 7', (t) => {
  const { report } = jsonRun(tempDir(t), ['run', FLUSH_LOOP_TS]);
  const [result] = report.results;
  t.deepEqual(
    result!.perfFindings.map((p) => [p.kind, p.count, p.event.site]),
    [['redundant-flush', 7, 'test/fixtures/scenario-files/flush-loop.js:14:44']],
  );
  t.is(result!.perfFindings[0]!.event.seq, 3, 'the entry names the first such flush (after store, flush, fence)');
  t.is(result!.libraryPerfFindings, undefined, 'a TS scenario is all user code: nothing left out');
});

test('a native loop of 6 redundant flushes is one lint at its line, under each model', (t) => {
  const { report } = jsonRun(tempDir(t), flushLoopArgs(tempDir(t), ['--model', 'adr', '--model', 'eadr']));
  t.is(report.results.length, 2);
  for (const result of report.results)
    t.deepEqual(
      result.perfFindings.map((p) => [p.kind, p.count, p.event.site]),
      [['redundant-flush', 6, 'test/icount/programs/flush-loop.c:32']],
      result.model,
    );
});

test('a native run without markers or --from/--to has the whole-run note once, not once per model', (t) => {
  const dir = tempDir(t);
  const { report } = jsonRun(dir, flushLoopArgs(dir, ['--model', 'adr', '--model', 'eadr']));
  const notes = report.results.flatMap((r) => r.notes ?? []);
  t.is(notes.filter((n) => WHOLE_RUN.test(n)).length, 1, notes.join('\n'));
  t.true(
    report.results[0]!.notes!.some((n) => WHOLE_RUN.test(n)),
    'on the first model',
  );

  const fenced = jsonRun(dir, flushLoopArgs(dir, ['--from', 'main'])).report;
  t.false(
    fenced.results.flatMap((r) => r.notes ?? []).some((n) => WHOLE_RUN.test(n)),
    '--from chose the window: no note',
  );
  const marked = jsonRun(dir, [
    'check',
    '--pool',
    join(dir, 'ops.pool'),
    '--size',
    '16384',
    '--check',
    'test -s {pool}',
    '--',
    join(REPO, 'build', 'test-programs', 'pool-ops'),
    '{pool}',
  ]).report;
  t.false(
    marked.results.flatMap((r) => r.notes ?? []).some((n) => WHOLE_RUN.test(n)),
    'icount_start/icount_stop chose the window: no note',
  );
});

test('--lint takes user or all, user by default', (t) => {
  const dir = tempDir(t);
  const user = jsonRun(dir, ['run', FLUSH_LOOP_TS]).report;
  const all = jsonRun(dir, ['run', FLUSH_LOOP_TS, '--lint', 'all']).report;
  t.deepEqual(all.results[0]!.perfFindings, user.results[0]!.perfFindings, 'no library lint: the same entries');
  const bad = pmfit(['run', FLUSH_LOOP_TS, '--lint', 'some']);
  t.is(bad.status, 2);
  t.regex(bad.stderr, /lint/);
});

test("merge chooses again from the shards' logs: --lint and --fail-on perf on the merged result", (t) => {
  const dir = tempDir(t);
  const shards = [1, 2].map((k) => {
    const path = join(dir, `s${k}.json`);
    const r = pmfit(['run', FLUSH_LOOP_TS, '--shard', `${k}/2`, '--quiet', '--report', `json=${path}`]);
    t.is(r.status, 0, r.stderr);
    return path;
  });
  const merged = (extra: string[]) => {
    const path = join(dir, `m-${Math.random().toString(36).slice(2)}.json`);
    const r = pmfit(['merge', ...shards, '--quiet', '--report', `json=${path}`, ...extra]);
    return { status: r.status, result: (JSON.parse(readFileSync(path, 'utf8')) as Report).results[0]! };
  };
  const user = merged(['--fail-on', 'perf']);
  t.is(user.status, 1, "the loop's lint is the user's: --fail-on perf fails");
  t.deepEqual(
    user.result.perfFindings.map((p) => [p.kind, p.count]),
    [['redundant-flush', 7]],
  );

  // the same lint as if it came from outside the user's code: flagged in both shards' logs
  for (const path of shards) {
    const report = JSON.parse(readFileSync(path, 'utf8')) as Report;
    for (const r of report.results) for (const p of r.log!.perfFindings) p.library = true;
    writeFileSync(path, JSON.stringify(report));
  }
  const hidden = merged(['--fail-on', 'perf']);
  t.is(hidden.status, 0, 'a library lint left out never fails the job');
  t.deepEqual(hidden.result.perfFindings, []);
  t.is(hidden.result.libraryPerfFindings, 1);
  const shown = merged(['--fail-on', 'perf', '--lint', 'all']);
  t.is(shown.status, 1, '--lint all shows it, and --fail-on perf counts it');
  t.deepEqual(
    shown.result.perfFindings.map((p) => [p.kind, p.count, p.library]),
    [['redundant-flush', 7, true]],
  );
  t.is(shown.result.libraryPerfFindings, undefined);
});
