// Issue 11, threads: every thread's pool events are traced in the order they ran, and a fence
// orders only its own thread's flushes. Real QEMU tracing of the pthread fixtures in
// test/fixtures/native/ (thread-records.c, thread-fence.c), checked under adr.
import test from 'ava';
import { join } from 'node:path';
import { readTrace } from '../../core/trace/reader.js';
import { brief, buildNative, checkNative } from '../bug-helpers.js';
import { tempDir } from '../helpers.js';

const RECS = 3; // records per thread (thread-records.c)
const WORDS = 8; // 8-byte stores per record

for (const threads of [2, 3]) {
  test(`${threads} threads, each with its own records and one counter under a lock: every thread's stores traced, no finding under adr`, async (t) => {
    t.timeout(300_000);
    const dir = tempDir(t);
    const program = buildNative(
      'test/fixtures/native/thread-records.c',
      join(dir, 'thread-records'),
      [],
      ['-lpthread'],
    );
    const saved = join(dir, 'records.pmtrace');
    const { status, report } = checkNative(dir, program, 8192, {
      models: ['adr'],
      args: [String(threads)],
      extra: ['--save-trace', saved],
    });
    const result = report.results[0]!;
    t.is(result.summary.verdict, 'consistent', result.findings.map(brief).join('\n'));
    t.is(status, 0);
    const stores = [...readTrace(saved).events].filter((e) => e.kind === 'store');
    for (let thread = 0; thread < threads; thread++) {
      // its records' words and its counter increments, whatever the interleaving was
      const own = stores.filter((e) => (e.thread ?? 0) === thread);
      t.is(own.length, RECS * WORDS + RECS, `thread ${thread}'s stores`);
    }
    t.is(stores.length, threads * RECS * (WORDS + 1), 'no store of another thread, none twice');
  });
}

test("a clwb fenced only by another thread is found under adr, naming the flushing thread's store", async (t) => {
  t.timeout(300_000);
  const dir = tempDir(t);
  const program = buildNative(
    'test/fixtures/native/thread-fence.c',
    join(dir, 'thread-fence-buggy'),
    ['-DBUGGY'],
    ['-lpthread'],
  );
  const { status, report } = checkNative(dir, program, 4096, { models: ['adr'] });
  const result = report.results[0]!;
  t.is(status, 1);
  t.is(result.summary.verdict, 'inconsistent');
  t.is(result.findings.length, 1, result.findings.map(brief).join('\n'));
  const finding = result.findings[0]!;
  t.is(finding.class, 'missing-fence', brief(finding));
  const lost = finding.lostStores;
  t.true(lost.length > 0);
  // the fix is thread A's own fence after its flush (a simulated fence of the main thread would not do)
  t.is(finding.fix?.kind, 'fence', brief(finding));
  t.is(finding.fix?.verification.status, 'verified', brief(finding));
  t.regex(finding.fix?.anchor?.site ?? '', /thread-fence\.c:\d+$/);
  // the record's stores: thread 1's (A's), at the fixture's own line
  for (const store of lost) {
    t.is(store.thread, 1, JSON.stringify(store));
    t.regex(store.site ?? '', /^test\/fixtures\/native\/thread-fence\.c:\d+$/);
  }
});

test('its twin, where the flushing thread fences, is clean under adr', async (t) => {
  t.timeout(300_000);
  const dir = tempDir(t);
  const program = buildNative('test/fixtures/native/thread-fence.c', join(dir, 'thread-fence'), [], ['-lpthread']);
  const { status, report } = checkNative(dir, program, 4096, { models: ['adr'] });
  t.is(report.results[0]!.summary.verdict, 'consistent', report.results[0]!.findings.map(brief).join('\n'));
  t.is(status, 0);
});

test('--runs 3 traces the program three times and checks each distinct interleaving, saying how many it saw', async (t) => {
  t.timeout(300_000);
  const dir = tempDir(t);
  const program = buildNative('test/fixtures/native/thread-records.c', join(dir, 'thread-records'), [], ['-lpthread']);
  const { status, report } = checkNative(dir, program, 8192, {
    models: ['adr'],
    args: ['3'],
    extra: ['--runs', '3'],
  });
  t.is(status, 0);
  const seen = Number(
    /traced 3 times: (\d+) distinct interleavings?/.exec(report.results[0]!.notes?.join('\n') ?? '')?.[1],
  );
  t.true(seen >= 1 && seen <= 3, JSON.stringify(report.results[0]!.notes));
  t.is(report.results.length, seen, 'one result per interleaving (one model)');
  for (const result of report.results) t.is(result.summary.verdict, 'consistent');
  if (seen > 1) t.regex(report.results[1]!.scenario, /\[interleaving 2\/\d\]$/);
});
