// The user's line of native events on real runs under QEMU: stores, flushes and fences made inside
// libc's memcpy and libpmem's pmem_persist are attributed to the lines of the user's put() that
// called them (with the function's name), those of the user's own shared library to its own
// lines, --user-code replaces what the user's code is, and libc's start-up and exit are outside it.
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FenceEvent, FlushEvent, StoreEvent, Trace, TraceEvent } from '../../core/api.js';
import { writeTrace } from '../../core/trace/writer.js';
import { type NativeTarget, checkTarget, prepareWorkingPool, traceTarget } from '../../icount/target.js';
import { REPO, pmfit, tempDir } from '../helpers.js';

const programs = join(REPO, 'build/test-programs');
const source = join(REPO, 'test/icount/programs/pmem-frames.c');
const libSource = join(REPO, 'test/icount/programs/lib/frames-lib.c');

test.before(() => {
  execFileSync('make', ['-s', '-f', 'icount/icount.mk', 'tracer'], { cwd: REPO, stdio: 'pipe' });
});

/** The line of a source file that carries the comment marker `tag`. */
function lineOf(file: string, tag: string): number {
  const index = readFileSync(file, 'utf8')
    .split('\n')
    .findIndex((l) => l.includes(`/* ${tag} */`));
  if (index < 0) throw new Error(`no ${tag} in ${file}`);
  return index + 1;
}

async function traced(
  dir: string,
  userCode?: string[],
  program = join(programs, 'pmem-frames'),
): Promise<TraceEvent[]> {
  return [...(await tracedWhole(dir, userCode, program)).events];
}

async function tracedWhole(dir: string, userCode?: string[], program = join(programs, 'pmem-frames')): Promise<Trace> {
  const target: NativeTarget = {
    pools: [{ name: 'pool', path: join(dir, 'pool') }],
    size: 4096,
    program,
    args: ['{pool}'],
    ...(userCode ? { userCode } : {}),
  };
  const binary = checkTarget(target);
  const working = await prepareWorkingPool(target, dir, 60_000);
  return (await traceTarget(target, binary, working, dir)).trace;
}

const isStore = (e: TraceEvent): e is StoreEvent => e.kind === 'store';
const isFlush = (e: TraceEvent): e is FlushEvent => e.kind === 'flush';
const isFence = (e: TraceEvent): e is FenceEvent => e.kind === 'fence';
/** The store events on pool bytes [from, to). */
const storesIn = (events: TraceEvent[], from: number, to: number) =>
  events.filter(isStore).filter((e) => e.offset >= from && e.offset < to);

test("memcpy's stores and pmem_persist's flushes and fences name the lines of put() that called them", async (t) => {
  const events = await traced(tempDir(t));
  const memcpyLine = `pmem-frames.c:${lineOf(source, 'PUT_MEMCPY')}`;
  const persistLine = `pmem-frames.c:${lineOf(source, 'PUT_PERSIST')}`;
  const record = storesIn(events, 64, 88);
  t.true(record.length > 0, 'the record reached the pool');
  for (const e of record) {
    t.true(e.site?.endsWith(memcpyLine), `store at ${e.offset}: ${e.site}`);
    t.regex(e.via ?? '', /memcpy|memmove/, `store at ${e.offset} made by ${e.via}`);
    t.not(e.callerPc, undefined);
    t.falsy(e.outsideUserCode);
  }
  // memcpy may write overlapping pieces: together they cover the 24 bytes
  t.is(Math.min(...record.map((e) => e.offset)), 64);
  t.is(Math.max(...record.map((e) => e.offset + e.data.length)), 88);
  const flush = events.filter(isFlush).find((e) => e.offset >= 64 && e.offset < 128);
  t.truthy(flush, 'pmem_persist flushed the record');
  t.true(flush!.site?.endsWith(persistLine), `flush: ${flush!.site}`);
  t.is(flush!.via, 'pmem_persist');
  const fence = events.slice(events.indexOf(flush!)).find(isFence);
  t.true(fence?.site?.endsWith(persistLine), `fence after it: ${fence?.site}`);
  t.is(fence?.via, 'pmem_persist');
});

test("a store of the user's own shared library is attributed to the library's own lines", async (t) => {
  const events = await traced(tempDir(t));
  const [store] = storesIn(events, 512, 520);
  t.truthy(store);
  t.true(store!.site?.endsWith(`frames-lib.c:${lineOf(libSource, 'LIB_STORE')}`), store!.site);
  t.is(store!.via, undefined, 'its own instruction: no function in between');
  t.is(store!.callerPc, undefined);
  const flush = events.filter(isFlush).find((e) => e.offset >= 512 && e.offset < 576);
  t.true(flush?.site?.endsWith(`frames-lib.c:${lineOf(libSource, 'LIB_FLUSH')}`), flush?.site);
  const fence = events.slice(events.indexOf(flush!)).find(isFence);
  t.true(fence?.site?.endsWith(`frames-lib.c:${lineOf(libSource, 'LIB_FENCE')}`), fence?.site);
});

test('--user-code replaces the default: with the library alone, put() is not the user code', async (t) => {
  const events = await traced(tempDir(t), ['*/libpmfit-frames.so']);
  const record = storesIn(events, 64, 88);
  t.true(record.length > 0);
  for (const e of record) {
    t.true(e.outsideUserCode, `store at ${e.offset} from ${e.site}`);
    t.is(e.site, undefined);
  }
  const [store] = storesIn(events, 512, 520);
  t.true(store!.site?.endsWith(`frames-lib.c:${lineOf(libSource, 'LIB_STORE')}`), store!.site);
});

test('several --user-code globs: the program alone is the user code, its library is a library', async (t) => {
  const events = await traced(tempDir(t), ['/nonexistent/*', '*/pmem-frames']);
  const [store] = storesIn(events, 512, 520);
  t.true(store!.site?.endsWith(`pmem-frames.c:${lineOf(source, 'MAIN_LIB_CALL')}`), store!.site);
  t.is(store!.via, 'frames_lib_put');
});

test("a whole-program trace: libc's start-up and exit fences are outside the user code, no pool store is", async (t) => {
  const events = await traced(tempDir(t));
  // no markers: the window is the whole run, from the loader's first instruction
  const first = events[0]!;
  t.is(first.kind, 'fence', 'a locked instruction of the loader or libc start-up comes first');
  t.true(first.outsideUserCode);
  t.is(first.site, undefined);
  const outside = events.filter((e) => e.outsideUserCode);
  t.true(outside.length > 0);
  t.deepEqual([...new Set(outside.map((e) => e.kind))], ['fence'], 'only idle fences come from outside');
  for (const e of events.filter(isStore)) t.truthy(e.site, `store at ${e.offset} has a user line`);
  // after main returned, libc's exit handlers still lock: outside again
  const lastStore = events.map((e) => e.kind).lastIndexOf('store');
  t.true(
    events.slice(lastStore).some((e) => e.outsideUserCode),
    'an exit-time fence below main is outside the user code',
  );
});

test("a stripped program: its _start is still not the user's code, exit-time fences are outside it", async (t) => {
  const dir = tempDir(t);
  // the library is found beside the program ($ORIGIN)
  copyFileSync(join(programs, 'libpmfit-frames.so'), join(dir, 'libpmfit-frames.so'));
  execFileSync('strip', ['-s', '-o', join(dir, 'pmem-frames'), join(programs, 'pmem-frames')]);
  const events = await traced(dir, undefined, join(dir, 'pmem-frames'));
  const lastStore = events.map((e) => e.kind).lastIndexOf('store');
  t.true(lastStore > 0);
  t.true(
    events.slice(lastStore).some((e) => e.outsideUserCode),
    'an exit-time fence below main is outside the user code',
  );
});

test('a saved trace keeps the user frames: trace dump names the line and the function called', async (t) => {
  const dir = tempDir(t);
  const trace = await tracedWhole(dir);
  const file = join(dir, 'saved.pmtrace');
  writeTrace(file, trace.header, trace.events, trace.mappings, trace.objects);
  const dump = pmfit(['trace', 'dump', file]);
  t.is(dump.status, 0, dump.stderr);
  const memcpyLine = lineOf(source, 'PUT_MEMCPY');
  t.regex(dump.stdout, new RegExp(`#\\d+ store \\[64, .* at \\S*pmem-frames\\.c:${memcpyLine}  \\[via memcpy\\]\n`));
  t.regex(dump.stdout, /#\d+ store \[512, \+8\) .* at \S*frames-lib\.c:\d+\n/);
  t.regex(dump.stdout, /#0 locked instruction \(fence\) pc=0x[0-9a-f]+ {2}\[outside the user code\]\n/);
  t.regex(dump.stdout, /# code of \S*pmem-frames \(main binary\): the user's, 0x/);
});

test('--user-code with a comma is refused in one line, exit 2', (t) => {
  const dir = tempDir(t);
  const r = pmfit([
    'icount',
    '--pool',
    join(dir, 'p'),
    '--size',
    '4096',
    '--user-code',
    '/a/*,/b/*',
    '--',
    join(programs, 'pmem-frames'),
    '{pool}',
  ]);
  t.is(r.status, 2);
  t.is(r.stderr.trim().split('\n').length, 1, r.stderr);
  t.regex(r.stderr, /--user-code \/a\/\*,\/b\/\*: the tracer cannot take a glob with a comma/);
});
