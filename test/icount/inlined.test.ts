// --from F and --ops-between F on a function the compiler inlined, traced for real under QEMU.
// inlined-put (built -O2) calls put() three times from a loop; put() is always inlined, so the
// program has no symbol for it and the tracer follows its inlined copy, found in the debug info:
// a call begins at the copy's entry and ends when the thread leaves the copy's code. The loop's own
// stores around each call (log[] before, done[] after) must stay out of the window. Its twin
// inlined-put-mixed also calls an out-of-line copy of put() through a pointer: both kinds count.
import test from 'ava';
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Report } from '../../core/api.js';
import { readTrace } from '../../core/trace/reader.js';
import { tracerPluginPath } from '../../icount/driver.js';
import { debugFunctions } from '../../icount/inlined-instances.js';
import { functionSymbols } from '../../icount/symbols.js';
import { REPO, pmfit, tempDir } from '../helpers.js';

const inlined = join(REPO, 'build/test-programs/inlined-put');
const mixed = join(REPO, 'build/test-programs/inlined-put-mixed');

// the pool's lines (inlined-put.c): count at 0, key[] at 64, val[] at 128, log[] at 192, done[] at 256,
// stamp[] at 320 (stored by a function put() calls: the window stays open across that call)
const PUT_STORES = [64, 128, 320, 0, 72, 136, 328, 0, 80, 144, 336, 0];

test.before(() => {
  execFileSync('make', ['-s', '-f', 'icount/icount.mk', 'tracer'], { cwd: REPO, stdio: 'pipe' });
});

interface Run {
  status: number | null;
  stderr: string;
  report: Report;
  /** The pool offsets of the traced stores, in order. */
  stores: number[];
  /** The traced markers: kind and name. */
  markers: string[];
}

/** `pmfit check` on `program run {pool} ...mode` with `options`; the trace it saved, read back. */
function check(dir: string, program: string, options: string[], ...mode: string[]): Run {
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
    ...options,
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
  if (r.status !== 0 && r.status !== 1) throw new Error(`pmfit check exit ${r.status}: ${r.stderr}`);
  const stores: number[] = [];
  const markers: string[] = [];
  for (const e of readTrace(saved).events) {
    if (e.kind === 'store') stores.push(e.offset);
    if (e.kind === 'marker') markers.push(`${e.markerKind} ${e.name}`);
  }
  return {
    status: r.status,
    stderr: r.stderr,
    report: JSON.parse(readFileSync(json, 'utf8')) as Report,
    stores,
    markers,
  };
}

test('the fixture is what the tests assume: put() has no symbol, one inlined copy, and the twin has both', async (t) => {
  t.false((await functionSymbols(inlined)).includes('put'));
  t.true((await functionSymbols(mixed)).includes('put'));
  const copies = (await debugFunctions(inlined)).inlined.get('put') ?? [];
  t.is(copies.length, 1, 'the loop is not unrolled: one copy runs three times');
  const [copy] = copies;
  t.true(
    copy!.ranges.some(([lo, hi]) => copy!.entry >= lo && copy!.entry < hi),
    'the entry is code of the copy',
  );
});

test('DWARF 4 (.debug_ranges) and DWARF 5 (.debug_rnglists) give the same copies', async (t) => {
  const dir = tempDir(t);
  const source = join(REPO, 'test/icount/programs/inlined-put.c');
  const build = async (version: string) => {
    const out = join(dir, `inlined-put-${version}`);
    execFileSync('cc', ['-O2', '-g', version, '-mclwb', '-mclflushopt', '-o', out, source]);
    return (await debugFunctions(out)).inlined;
  };
  const [four, five] = [await build('-gdwarf-4'), await build('-gdwarf-5')];
  t.true((five.get('persist')?.length ?? 0) > 3, 'persist() is inlined at each of its calls');
  t.true(
    five.get('put')!.some((c) => c.ranges.length > 1),
    'a copy in several ranges (a DW_AT_ranges list)',
  );
  t.deepEqual([...four.entries()].sort(), [...five.entries()].sort());
});

test('--from put on an inlined put traces exactly its stores, one window per call', (t) => {
  const run = check(tempDir(t), inlined, ['--from', 'put']);
  t.deepEqual(run.stores, PUT_STORES, 'key, value, stamp and count of each call; no log[] or done[] store');
  t.deepEqual(run.markers, ['start put', 'stop return', 'start put', 'stop return', 'start put', 'stop return']);
  t.is(run.status, 0, run.stderr);
});

test('--to an inlined function closes the window at the entry of its copy', (t) => {
  // persist() is inlined everywhere; the first copy put() reaches persists its key, after key and value
  const run = check(tempDir(t), inlined, ['--from', 'put', '--to', 'persist']);
  t.deepEqual(run.stores, [64, 128, 72, 136, 80, 144]);
  t.deepEqual(run.markers, ['start put', 'stop persist', 'start put', 'stop persist', 'start put', 'stop persist']);
});

test('--ops-between put on an inlined put: one operation per call, each crash-atomic', (t) => {
  const run = check(tempDir(t), inlined, ['--oracle', 'ops', '--ops-between', 'put']);
  t.deepEqual(run.markers, ['user put', 'user put', 'user put']);
  t.is(run.status, 0, JSON.stringify(run.report.findings.slice(0, 1)));
  t.deepEqual(
    run.report.results.map((r) => [r.model, r.summary.verdict]),
    [['eadr', 'consistent']],
  );
});

test('--ops-between put on an inlined put that persists its count first: at no operation boundary', (t) => {
  const run = check(tempDir(t), inlined, ['--oracle', 'ops', '--ops-between', 'put'], 'torn');
  t.deepEqual(run.markers, ['user put', 'user put', 'user put']);
  t.is(run.status, 1);
  t.is(run.report.results[0]?.summary.verdict, 'inconsistent');
  t.true(run.report.findings.length > 0);
  for (const f of run.report.findings) t.is(f.failure.kind, 'not-at-boundary', JSON.stringify(f.failure));
});

test('a put both inlined and out of line: --from and --ops-between count every call', (t) => {
  const from = check(tempDir(t), mixed, ['--from', 'put']);
  t.deepEqual(from.stores, [...PUT_STORES, 88, 152, 344, 0], 'three inlined calls, then the call through put_ptr');
  t.is(from.markers.filter((m) => m === 'start put').length, 4);
  const ops = check(tempDir(t), mixed, ['--oracle', 'ops', '--ops-between', 'put']);
  t.deepEqual(ops.markers, ['user put', 'user put', 'user put', 'user put']);
  t.is(ops.report.results[0]?.summary.verdict, 'consistent');
});

test('a name the program lacks gets the nearest names, inlined ones included; no debug info says to build with -g', (t) => {
  const dir = tempDir(t);
  const args = (program: string, name: string) => [
    'icount',
    '--pool',
    join(dir, 'pool'),
    '--size',
    '4096',
    '--from',
    name,
    '--',
    program,
    'run',
    '{pool}',
  ];
  const misspelt = pmfit(args(inlined, 'putt'));
  t.is(misspelt.status, 2);
  t.regex(misspelt.stderr, /--from putt: \S+inlined-put has no function of that name \(nearest: put\b/);
  t.notRegex(misspelt.stderr, /\n\s+at /, 'no stack trace');
  const bare = join(dir, 'inlined-put-nodebug');
  copyFileSync(inlined, bare);
  execFileSync('strip', ['--strip-debug', bare]);
  const nodebug = pmfit(args(bare, 'put'));
  t.is(nodebug.status, 2);
  t.regex(
    nodebug.stderr,
    /--from put: \S+ has no function of that name, and no debug info to find it if it was inlined: build it with -g/,
  );
});

test('the tracer refuses a malformed file of inlined copies, naming the line', (t) => {
  const dir = tempDir(t);
  const copies = join(dir, 'copies.txt');
  writeFileSync(copies, '# a comment\nfrom 1157 114f-1153\nfrom 1157\n');
  writeFileSync(join(dir, 'pool'), Buffer.alloc(4096));
  const plugin = `${tracerPluginPath()},pool=${join(dir, 'pool')},out=${join(dir, 't')},from=put,inlined=${copies}`;
  const r = spawnSync('qemu-x86_64', ['-plugin', plugin, inlined, 'run', join(dir, 'pool')], { encoding: 'utf8' });
  t.not(r.status, 0);
  t.regex(r.stderr, /pmfit-tracer: \S+copies\.txt:3: not ROLE ENTRY LO-HI/);
});
