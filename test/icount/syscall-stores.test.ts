// Data a system call writes into the pool is traced as stores: a real program read()s its input
// straight into the pool; the trace holds the file's bytes at the line of the read() call, and a
// check that wants them there is consistent under eadr (a false finding before the tracer saw them).
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { StoreEvent, TraceEvent } from '../../core/api.js';
import { type NativeTarget, checkTarget, prepareWorkingPool, traceTarget } from '../../icount/target.js';
import type { TracerSummary } from '../../icount/driver.js';
import { REPO, pmfit, tempDir } from '../helpers.js';

const program = join(REPO, 'build/test-programs/read-into-pool');
const source = join(REPO, 'test/icount/programs/read-into-pool.c');

test.before(() => {
  execFileSync('make', ['-s', '-f', 'icount/icount.mk', 'tracer'], { cwd: REPO, stdio: 'pipe' });
});

/** The line of the source that carries the comment marker `tag`. */
function lineOf(tag: string): number {
  return (
    readFileSync(source, 'utf8')
      .split('\n')
      .findIndex((l) => l.includes(`/* ${tag} */`)) + 1
  );
}

/** An input file of 200 distinct-looking bytes in `dir`. */
function inputFile(dir: string): { path: string; bytes: Buffer } {
  const bytes = Buffer.from(Array.from({ length: 200 }, (_, i) => (i * 7 + 3) & 0xff));
  const path = join(dir, 'input');
  writeFileSync(path, bytes);
  return { path, bytes };
}

async function traced(
  dir: string,
  mode: string,
  input: string,
): Promise<{ events: TraceEvent[]; summary: TracerSummary }> {
  const target: NativeTarget = {
    pools: [{ name: 'pool', path: join(dir, 'pool') }],
    size: 4096,
    program,
    args: [mode, '{pool}', input],
  };
  const binary = checkTarget(target);
  const working = await prepareWorkingPool(target, dir, 60_000);
  const { trace, summary } = await traceTarget(target, binary, working, dir);
  return { events: [...trace.events], summary };
}

/** The pool bytes [from, from+length) as the trace's stores leave them (later stores win). */
function storedBytes(events: TraceEvent[], from: number, length: number): { bytes: Buffer; stores: StoreEvent[] } {
  const bytes = Buffer.alloc(length);
  const stores = events.filter((e): e is StoreEvent => e.kind === 'store' && e.offset < from + length);
  for (const s of stores.filter((e) => e.offset + e.data.length > from))
    for (let i = 0; i < s.data.length; i++) {
      const at = s.offset + i - from;
      if (at >= 0 && at < length) bytes[at] = s.data[i]!;
    }
  return { bytes, stores: stores.filter((s) => s.offset + s.data.length > from) };
}

test("read()'s bytes in the pool are stores of the file's bytes at the line that called read()", async (t) => {
  const dir = tempDir(t);
  const input = inputFile(dir);
  const { events, summary } = await traced(dir, 'run', input.path);
  const { bytes, stores } = storedBytes(events, 256, 100);
  t.deepEqual(bytes, input.bytes.subarray(0, 100));
  t.true(stores.length > 0);
  for (const s of stores) {
    t.true(s.site?.endsWith(`read-into-pool.c:${lineOf('READ_CALL')}`), `store at ${s.offset}: ${s.site}`);
    t.is(s.via, 'read');
    t.false(s.nonTemporal);
  }
  t.true((summary.syscallStores ?? 0) >= 1, JSON.stringify(summary));
  // the CPU's own pool store is the flag alone
  t.is(summary.stores, 1);
});

test("readv: only the pieces that went into the pool are stores, each with the file's bytes", async (t) => {
  const dir = tempDir(t);
  const input = inputFile(dir);
  const { events } = await traced(dir, 'readv', input.path);
  const { bytes, stores } = storedBytes(events, 256, 100);
  // 40 bytes into the pool, 16 on the stack, 60 into the pool right after the 40
  t.deepEqual(bytes, Buffer.concat([input.bytes.subarray(0, 40), input.bytes.subarray(56, 116)]));
  for (const s of stores) t.true(s.site?.endsWith(`read-into-pool.c:${lineOf('READV_CALL')}`), s.site);
  t.deepEqual(storedBytes(events, 356, 3000).stores, [], 'nothing past the 100 bytes');
});

test('a check that wants the read bytes in the pool is consistent under eadr', (t) => {
  const dir = tempDir(t);
  const input = inputFile(dir);
  const r = pmfit([
    'check',
    '--pool',
    join(dir, 'pool'),
    '--size',
    '4096',
    '--model',
    'eadr',
    '--quiet',
    '--check',
    `${program} check {pool} ${input.path}`,
    '--',
    program,
    'run',
    '{pool}',
    input.path,
  ]);
  t.is(r.status, 0, r.stdout + r.stderr);
  t.regex(r.stdout + r.stderr, /consistent: 0 bugs/);
});
