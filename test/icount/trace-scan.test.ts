// `pmfit icount` answers from one pass over the trace file (icount/trace-scan.ts) what `pmfit check`
// answers from the trace read into events: whether the program stored a pointer into itself in the
// pool, and whether it marked its window. On real traces of a position-independent program, the
// scan must agree with the full path (readTrace, coalesceInstructionStores, firstPointerInto) where
// it is easy to get wrong: a pointer straddling QEMU's two accesses of one 16-byte store, a pointer
// past the scan's first read chunk, a pointer at the end of a read(2) traced as 16 chunks.
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Report } from '../../core/api.js';
import { readTrace } from '../../core/trace/reader.js';
import { firstPointerInto, loadSpan } from '../../icount/code-pointers.js';
import {
  type NativeTarget,
  checkTarget,
  prepareWorkingPool,
  readAttributedTrace,
  runTraced,
} from '../../icount/target.js';
import { scanTrace } from '../../icount/trace-scan.js';
import { REPO, pmfit, tempDir } from '../helpers.js';

const program = join(REPO, 'build/test-programs/pointer-stores');
const POOL_SIZE = 1 << 20;

test.before(() => {
  execFileSync('make', ['-s', '-f', 'icount/icount.mk', 'tracer'], { cwd: REPO, stdio: 'pipe' });
});

/** Traces `pointer-stores ARGS` and asks the scan and the full path the same two questions. */
async function bothWays(dir: string, args: string[]) {
  const target: NativeTarget = { pools: [{ name: 'pool', path: join(dir, 'pool') }], size: POOL_SIZE, program, args };
  const binary = checkTarget(target);
  const working = await prepareWorkingPool(target, dir, 60_000);
  const { out, summary } = await runTraced(target, binary, working, dir);
  const span = await loadSpan(binary);
  if (!span || summary.mainBase === 0) throw new Error('pointer-stores is not position-independent');
  const range = { lo: summary.mainBase + span.lo, hi: summary.mainBase + span.hi };
  const scan = scanTrace(out, range);
  const trace = await readAttributedTrace(out, binary);
  const found = firstPointerInto(trace, range.lo, range.hi);
  const markers = [...trace.events].some((e) => e.kind === 'marker' && e.markerKind !== 'user');
  return { scan, found, markers, out, summary };
}

test('a pointer straddling the two accesses of one unaligned 16-byte store is found', async (t) => {
  const { scan, found, out } = await bothWays(tempDir(t), ['sse', '{pool}']);
  // what makes the case hard: the tracer wrote the store as two 8-byte accesses, [4,12) and [12,20)
  const raw = [...readTrace(out).events].filter((e) => e.kind === 'store');
  t.deepEqual(
    raw.map((e) => e.kind === 'store' && [e.offset, e.data.length]),
    [
      [4, 8],
      [12, 8],
    ],
  );
  t.is(found?.store.offset, 4);
  t.true(scan.codePointer);
  t.false(scan.windowMarkers);
});

test('a pointer stored after 60,000 other stores (past the first read chunk) is found', async (t) => {
  const { scan, found, summary } = await bothWays(tempDir(t), ['late', '{pool}', '60000']);
  t.is(summary.stores, 60_001);
  t.is(found?.store.offset, 8 * 60_000);
  t.true(scan.codePointer);
});

test('a pointer at the end of a 64 KiB read(2) into the pool, traced in chunks, is found', async (t) => {
  const dir = tempDir(t);
  const { scan, found, summary } = await bothWays(dir, ['read', '{pool}', join(dir, 'input')]);
  t.is(summary.syscallStores, 16);
  t.is(found?.store.offset, 0);
  t.is(found?.store.data.length, 65536);
  t.true(scan.codePointer);
});

test('60,000 stores of data that point nowhere: no pointer either way', async (t) => {
  const { scan, found } = await bothWays(tempDir(t), ['none', '{pool}', '60000']);
  t.is(found, undefined);
  t.false(scan.codePointer);
  t.false(scan.windowMarkers);
});

test('icount_start and icount_stop are seen as the window markers', async (t) => {
  const { scan, markers } = await bothWays(tempDir(t), ['marked', '{pool}']);
  t.true(markers);
  t.true(scan.windowMarkers);
  t.true(scan.codePointer);
});

/** The notes `pmfit check` puts in its report for `pointer-stores ARGS` (a check that always passes). */
function checkNotes(dir: string, args: string[]): string[] {
  const json = join(dir, 'r.json');
  const r = pmfit([
    'check',
    ...['--pool', join(dir, 'c.pool'), '--size', String(POOL_SIZE), '--check', 'test -s {pool}', '--quiet'],
    ...['--model', 'eadr', '--report', `json=${json}`, '--', program, ...args],
  ]);
  if (r.status !== 0) throw new Error(r.stderr);
  return (JSON.parse(readFileSync(json, 'utf8')) as Report).results[0]!.notes ?? [];
}

/** The notes `pmfit icount` prints on stderr, and its counts. */
function icountNotes(dir: string, args: string[]): { notes: string[]; counts: Record<string, number> } {
  const r = pmfit([
    'icount',
    ...['--json', '--pool', join(dir, 'i.pool'), '--size', String(POOL_SIZE), '--', program, ...args],
  ]);
  if (r.status !== 0) throw new Error(r.stderr);
  const notes = r.stderr
    .split('\n')
    .filter((line) => line.startsWith('pmfit: note: '))
    .map((line) => line.slice('pmfit: note: '.length));
  return { notes, counts: JSON.parse(r.stdout) as Record<string, number> };
}

test('pmfit icount says the same code-pointer and whole-run notes as pmfit check', (t) => {
  const dir = tempDir(t);
  const icount = icountNotes(dir, ['sse', '{pool}']);
  const check = checkNotes(dir, ['sse', '{pool}']);
  const pointer = icount.notes.filter((n) => n.includes('into the pool, an address inside'));
  t.is(pointer.length, 1, icount.notes.join('\n'));
  t.regex(pointer[0]!, /^a store at \S*pointer-stores\.c:\d+ \(#\d+\) wrote 0x[0-9a-f]+ into the pool/);
  t.true(check.includes(pointer[0]!), JSON.stringify(check));
  t.true(icount.notes.some((n) => n.startsWith('the whole run was traced (no icount_start/icount_stop markers)')));
  // the counts are the tracer's: QEMU's two accesses of the one 16-byte store
  t.is(icount.counts.stores, 2);
});

test('pmfit icount of a marked window says no whole-run note; of data only, no code-pointer note', (t) => {
  const dir = tempDir(t);
  const marked = icountNotes(dir, ['marked', '{pool}']);
  t.false(
    marked.notes.some((n) => n.startsWith('the whole run was traced')),
    marked.notes.join('\n'),
  );
  t.true(marked.notes.some((n) => n.includes('into the pool, an address inside')));
  writeFileSync(join(dir, 'i.pool'), Buffer.alloc(POOL_SIZE));
  const data = icountNotes(dir, ['none', '{pool}', '1000']);
  t.false(
    data.notes.some((n) => n.includes('into the pool, an address inside')),
    data.notes.join('\n'),
  );
  t.is(data.counts.stores, 1000);
});
