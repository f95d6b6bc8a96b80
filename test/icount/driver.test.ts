// The native tracer on real runs under real QEMU: every event kind, the counts against a ptrace
// single-step counter, icount_start(N) kills, libpmem programs and function windows.
import test from 'ava';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FlushEvent, MarkerEvent, StoreEvent, TraceEvent } from '../../core/api.js';
import { readTrace } from '../../core/trace/reader.js';
import { type ObjectTrace, objectTrace } from '../helpers.js';
import { resolveSites, traceNative, tracerPluginPath, type TraceNativeResult } from '../../icount/driver.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const programs = join(root, 'build/test-programs');
const work = mkdtempSync(join(tmpdir(), 'pmfit-icount-'));
let runs = 0;

test.before(() => {
  // the programs and the plugin come from icount/icount.mk; building here keeps the test honest
  execFileSync('make', ['-s', '-f', 'icount/icount.mk', 'tracer'], { cwd: root, stdio: 'pipe' });
});

test.after.always(() => rmSync(work, { recursive: true, force: true }));

async function trace(
  program: string,
  args: (pool: string) => string[],
  extra: Partial<Parameters<typeof traceNative>[0]> = {},
): Promise<{ run: TraceNativeResult; trace: ObjectTrace; pool: string }> {
  const dir = join(work, `run${runs++}`);
  execFileSync('mkdir', ['-p', dir]);
  const pool = join(dir, 'pool');
  const run = await traceNative({
    pools: [pool],
    program: join(programs, program),
    args: args(pool),
    out: join(dir, 'trace.pmtrace'),
    timeoutMs: 60_000,
    ...extra,
  });
  return { run, trace: objectTrace(readTrace(run.tracePath)), pool };
}

const stores = (events: TraceEvent[]): StoreEvent[] => events.filter((e): e is StoreEvent => e.kind === 'store');
const flushes = (events: TraceEvent[]): FlushEvent[] => events.filter((e): e is FlushEvent => e.kind === 'flush');
const markers = (events: TraceEvent[]): MarkerEvent[] => events.filter((e): e is MarkerEvent => e.kind === 'marker');
const hex = (data: Uint8Array): string => Buffer.from(data).toString('hex');

test('pool-ops: stores with offsets and bytes, nt flags, flush kinds, fences, msync and markers', async (t) => {
  const { run, trace: tr, pool } = await trace('pool-ops', (p) => [p]);
  t.is(run.exitCode, 0);
  t.false(run.reran, 'pool-ops flushes right after stores: the fast run is exact');
  t.is(tr.header.source, 'native');
  t.deepEqual(tr.header.program.slice(1), [pool]);
  t.is(tr.header.pools[0]!.size, 16384);
  // the program maps the pool at file offset 4096, so pool offsets are 4096 + mapping offset
  t.is(tr.mappings.length, 1);
  t.is(tr.mappings[0]!.fileOffset, 4096);
  t.is(tr.mappings[0]!.length, 12288);
  const s = stores(tr.events).map((e) => [e.offset, hex(e.data), e.nonTemporal]);
  t.deepEqual(s.slice(0, 6), [
    [4096 + 64, '8877665544332211', false],
    [4096 + 130, '5a', false],
    [4096 + 200, 'efbeadde', false],
    [4096 + 256, '0807060504030201', true], // movnti
    [4096 + 320, '0001020304050607', true], // movntdq, as two 8-byte halves
    [4096 + 328, '08090a0b0c0d0e0f', true],
  ]);
  t.is(s[6]![0], 4096 + 512, 'the lock add stores into the pool');
  t.deepEqual(
    flushes(tr.events).map((e) => [e.offset, e.flushKind]),
    [
      [4096 + 64, 'clwb'],
      [4096 + 133, 'clflushopt'],
      [4096 + 193, 'clflush'],
    ],
  );
  const fences = tr.events.filter((e) => e.kind === 'fence').map((e) => (e.kind === 'fence' ? e.fenceKind : ''));
  t.deepEqual(fences, ['sfence', 'mfence', 'locked']);
  const lockIndex = tr.events.findIndex((e) => e.kind === 'fence' && e.fenceKind === 'locked');
  t.is(tr.events[lockIndex + 1]!.kind, 'store', 'a locked instruction is a fence, then its store');
  const msync = tr.events.find((e) => e.kind === 'msync');
  t.like(msync, { offset: 4096, length: 4096 });
  t.deepEqual(
    markers(tr.events).map((e) => [e.markerKind, e.name]),
    [
      ['start', ''],
      ['user', 'flushes'],
      ['user', 'msync'],
      ['stop', ''],
    ],
  );
  // seq is consecutive (readTrace checks it) and icounts never go back
  t.true(tr.events.every((e, i) => i === 0 || e.icount >= tr.events[i - 1]!.icount));
  t.is(tr.events.at(-1)!.icount, run.summary.instructions);
  t.regex(run.stdout, new RegExp(`total ${run.summary.instructions}\\n`), 'icount_total() returns the tracer count');
  t.is(run.summary.stores, 7);
  t.is(run.summary.ntStores, 3);
});

test('resolveSites maps a PIE store pc to its source line', async (t) => {
  const { trace: tr } = await trace('pool-ops', (p) => [p]);
  const first = stores(tr.events)[0]!;
  const mainBase = tr.header.mainBase;
  const sites = await resolveSites(join(programs, 'pool-ops'), [first.pc, 0x10], mainBase);
  const source = readFileSync(join(root, 'test/icount/programs/pool-ops.c'), 'utf8').split('\n');
  const line = source.findIndex((l) => l.includes('0x1122334455667788ULL')) + 1;
  t.is(sites.get(first.pc), `${join(root, 'test/icount/programs/pool-ops.c')}:${line}`);
  t.false(sites.has(0x10), 'a pc below the load base is not resolved');
});

test('flush addresses computed in the same block force an exact -singlestep re-run', async (t) => {
  const { run, trace: tr } = await trace('stale-flush', (p) => [p]);
  t.true(run.reran);
  t.true(run.summary.singlestep);
  t.is(run.summary.inexactFlushes, 0);
  t.deepEqual(
    flushes(tr.events).map((e) => [e.offset, e.flushKind]),
    [
      [192, 'clwb'],
      [256, 'clflushopt'],
      [448, 'clflush'],
    ],
  );
  t.deepEqual(
    stores(tr.events).map((e) => [e.offset, hex(e.data)]),
    [[320, '07']],
  );
});

test('flush addresses computed by simple arithmetic on exact registers are followed: no re-run', async (t) => {
  const fast = await trace('tracked-flush', (p) => [p]);
  t.false(fast.run.reran);
  t.is(fast.run.summary.inexactFlushes, 0);
  const offsets = (tr: ObjectTrace) => flushes(tr.events).map((e) => [e.offset, e.flushKind]);
  t.deepEqual(offsets(fast.trace), [
    [192, 'clwb'],
    [256, 'clflushopt'],
    [512, 'clwb'],
    [320, 'clwb'],
    [1024, 'clflush'],
  ]);
  const exact = await trace('tracked-flush', (p) => [p], { exact: 'always' });
  t.deepEqual(offsets(fast.trace), offsets(exact.trace), 'the same addresses as under -singlestep');
});

test('the instruction count between the markers equals a ptrace single-step count', async (t) => {
  const { run, trace: tr } = await trace('count-loop', () => ['300']);
  const ptrace = JSON.parse(
    execFileSync(join(root, 'build/ptrace-count'), [join(programs, 'count-loop'), '300'], { encoding: 'utf8' })
      .trim()
      .split('\n')
      .pop()!,
  ) as { window: number; windows: number };
  t.is(ptrace.windows, 1);
  t.true(ptrace.window > 3000, 'the snippet is not trivially short');
  t.is(run.summary.instructions, ptrace.window);
  t.is(markers(tr.events).at(-1)!.icount, ptrace.window);
  t.regex(run.stdout, new RegExp(`total ${ptrace.window}\\n`));
});

test('icount_start(N) kills the program after N instructions', async (t) => {
  const { run, trace: tr } = await trace('life', (p) => [p, '50']);
  t.is(run.signal, 'SIGKILL');
  t.is(run.summary.exitReason, 'icount-life');
  t.is(run.summary.instructions, 50);
  t.false(run.stdout.includes('survived'));
  // two set-up instructions, then 5 per iteration with the store third: stores land at 3, 8, … 48
  const s = stores(tr.events);
  t.deepEqual(
    s.map((e) => e.icount),
    [3, 8, 13, 18, 23, 28, 33, 38, 43, 48],
  );
  t.deepEqual(
    s.map((e) => e.offset),
    [0, 8, 16, 24, 32, 40, 48, 56, 64, 72],
  );
  t.is(hex(s[9]!.data), '0a00000000000000');
  const survivor = await trace('life', (p) => [p, '0']);
  t.is(survivor.run.exitCode, 0);
  t.is(stores(survivor.trace.events).length, 1000);
});

test('an unmodified libpmem program: stores, flushes and fences on the pool over the whole run', async (t) => {
  const { run, trace: tr } = await trace('pmem-persist', (p) => [p]);
  t.is(run.exitCode, 0);
  t.regex(run.stdout, /is_pmem 1/);
  t.is(tr.mappings.length, 1);
  t.is(tr.header.pools[0]!.size, 64 * 1024);
  const s = stores(tr.events);
  const hello = s.filter((e) => e.offset >= 4096 && e.offset < 4108);
  t.is(Buffer.concat(hello.map((e) => Buffer.from(e.data))).toString('latin1'), 'hello, pmem\0');
  const copied = s.filter((e) => e.offset >= 8195 && e.offset < 8227).sort((a, b) => a.offset - b.offset);
  t.is(Buffer.concat(copied.map((e) => Buffer.from(e.data))).toString('latin1'), '0123456789abcdef0123456789abcdef');
  const lines = flushes(tr.events).map((e) => Math.floor(e.offset / 64) * 64);
  t.true(lines.includes(4096) && lines.includes(8192) && lines.includes(0));
  // pmem_persist = flush the lines, then a fence: every pool flush is followed by an sfence
  const helloFlush = tr.events.findIndex((e) => e.kind === 'flush' && e.offset === 4096);
  t.true(tr.events.slice(helloFlush).some((e) => e.kind === 'fence' && e.fenceKind === 'sfence'));
  t.is(run.summary.inexactFlushes, 0);
});

test('from=fill traces one function of an unmodified binary until it returns', async (t) => {
  const { run, trace: tr } = await trace('pmem-persist', (p) => [p], { from: 'fill' });
  t.is(run.exitCode, 0);
  const offsets = stores(tr.events).map((e) => e.offset);
  t.true(offsets.includes(4096));
  t.false(offsets.includes(0), 'prepare() is before the window');
  t.false(offsets.includes(1), 'finish() is after the window');
  t.deepEqual(
    markers(tr.events).map((e) => [e.markerKind, e.name]),
    [
      ['start', 'fill'],
      ['stop', 'return'],
    ],
  );
  t.is(tr.events[0]!.icount, 0);
});

test('from=prepare,to=finish opens at one entry and closes at the other', async (t) => {
  const { trace: tr } = await trace('pmem-persist', (p) => [p], { from: 'prepare', to: 'finish' });
  const offsets = stores(tr.events).map((e) => e.offset);
  t.true(offsets.includes(0) && offsets.includes(4096));
  t.false(offsets.includes(1));
  t.deepEqual(
    markers(tr.events).map((e) => e.name),
    ['prepare', 'finish'],
  );
});

test('a forking program: the trace is the parent alone, its sequence whole, the fork counted', async (t) => {
  for (const variant of [[], ['exec']]) {
    const { run, trace: tr } = await trace('fork-pool', (p) => [p, ...variant]);
    t.is(run.exitCode, 0, run.stderr);
    t.is(run.summary.forks, 1);
    t.deepEqual(
      stores(tr.events).map((e) => [e.offset, hex(e.data)]),
      [
        [0, 'a1'],
        [256, 'a3'],
      ],
      "the child's stores at 64 and 128 are not in the parent's trace",
    );
    t.deepEqual(
      flushes(tr.events).map((e) => e.offset),
      [0, 256],
    );
    t.is(run.summary.exitReason, 'exit', 'the child did not finish the files in the parent’s stead');
    t.is(run.summary.poolMappings.readWrite, 1);
  }
});

test("forks=trace: the child writes its own trace beside the parent's, never an event into the parent's", async (t) => {
  for (const variant of [[], ['exec']]) {
    const { run, trace: tr } = await trace('fork-pool', (p) => [p, ...variant], { forks: 'trace' });
    t.is(run.exitCode, 0, run.stderr);
    t.is(run.summary.forks, 1);
    // the parent's file: its own stores and sequence (0, 1, 2, … — the reader refuses a gap)
    t.deepEqual(
      stores(tr.events).map((e) => [e.offset, hex(e.data)]),
      [
        [0, 'a1'],
        [256, 'a3'],
      ],
    );
    t.is(run.summary.exitReason, 'exit');
    const childFile = `${run.tracePath}.child-1`;
    const child = objectTrace(readTrace(childFile));
    t.deepEqual(
      stores(child.events).map((e) => [e.offset, hex(e.data)]),
      [
        [64, 'b2'],
        [128, 'b2'],
      ],
      "the child's stores, and none of the parent's",
    );
    t.deepEqual(
      child.events.map((e) => e.seq),
      child.events.map((_, i) => i),
      'its own sequence from 0',
    );
    t.is(child.mappings.length, 1, 'the mapping it inherited is in its trace');
    // its initial image: the pool at the fork, the parent's 0xA1 at 0 and nothing of what came after
    const image = readFileSync(join(dirname(run.tracePath), child.header.pools[0]!.initialImage!.file!));
    t.is(image[0], 0xa1);
    t.is(image[64], 0);
    t.is(image[256], 0);
    const summary = JSON.parse(readFileSync(`${childFile}.summary.json`, 'utf8')) as TraceNativeResult['summary'];
    t.is(summary.exitReason, variant.length > 0 ? 'exec' : 'exit', "an exec finishes the child's files first");
    t.is(summary.stores, 2);
  }
});

test("forks=ignore (the driver's default) leaves no child trace", async (t) => {
  const { run } = await trace('fork-pool', (p) => [p], { forks: 'ignore' });
  t.is(run.summary.forks, 1);
  t.throws(() => readFileSync(`${run.tracePath}.child-1`), { code: 'ENOENT' });
});

test('the summary tells how the pool was mapped and which other files were opened', async (t) => {
  const { run } = await trace('map-pool', (p) => {
    writeFileSync(p, Buffer.alloc(4096));
    return ['ro', p];
  });
  t.deepEqual(run.summary.poolMappings, { readWrite: 0, readOnly: 1, private: 0 });
  t.true(run.summary.poolOpenedReadOnly);
  const other = join(work, 'other-file');
  execFileSync('truncate', ['-s', '4096', other]);
  const elsewhere = await trace('map-pool', () => ['rw', other]);
  t.deepEqual(elsewhere.run.summary.poolMappings, { readWrite: 0, readOnly: 0, private: 0 });
  t.deepEqual(elsewhere.run.summary.opened, [other], 'the loader’s and libc’s files are left out');
});

test('a run past its time limit is a clear error, and the program is gone', async (t) => {
  const started = Date.now();
  await t.throwsAsync(
    trace('spin', (p) => [p, 'fork'], { timeoutMs: 1500 }),
    { message: /did not finish within 1500 ms under the tracer/ },
  );
  t.true(Date.now() - started < 60_000);
});

test('an unknown function is a clear error', async (t) => {
  await t.throwsAsync(
    trace('pmem-persist', (p) => [p], { from: 'no_such_function' }),
    { message: /function no_such_function not found/ },
  );
});

test('the plugin refuses bad arguments with a message and a non-zero status', (t) => {
  const r = spawnSync('qemu-x86_64', ['-plugin', `${tracerPluginPath()},pool=/tmp/x,bogus=1`, '/bin/true'], {
    encoding: 'utf8',
  });
  t.not(r.status, 0);
  t.regex(r.stderr, /pmfit-tracer: unknown argument 'bogus'/);
});

test.serial('tracerPluginPath says to run make when the plugin is missing', (t) => {
  const saved = process.env.PMFIT_TRACER_PLUGIN;
  process.env.PMFIT_TRACER_PLUGIN = join(work, 'missing.so');
  try {
    t.throws(() => tracerPluginPath(), { message: /run make/ });
  } finally {
    if (saved === undefined) delete process.env.PMFIT_TRACER_PLUGIN;
    else process.env.PMFIT_TRACER_PLUGIN = saved;
  }
});
