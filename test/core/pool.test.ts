// The Pool API on real libpmem mappings, and what a recording Pool puts in the trace.
import test from 'ava';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { FlushEvent, StoreEvent } from '../../core/api.js';
import { Pool, PoolError } from '../../core/pool.js';
import { TraceRecorder, isPmfitFrame } from '../../core/trace/recorder.js';
import { REPO, tempDir } from '../helpers.js';

test('typed writes read back, and reach the file after close', (t) => {
  const path = join(tempDir(t), 'pool');
  const pool = Pool.create(path, 4096);
  pool.writeU8(0, 0xab);
  pool.writeU16(2, 0xbeef);
  pool.writeU32(4, 0xdeadbeef);
  pool.writeU64(8, 0x0123456789abcdefn);
  pool.writeString(16, 'pmem');
  pool.write(32, Uint8Array.from([1, 2, 3]));
  pool.persist(0, 64);
  t.is(pool.readU8(0), 0xab);
  t.is(pool.readU16(2), 0xbeef);
  t.is(pool.readU32(4), 0xdeadbeef);
  t.is(pool.readU64(8), 0x0123456789abcdefn);
  t.is(pool.readString(16, 16), 'pmem');
  t.deepEqual([...pool.read(32, 3)], [1, 2, 3]);
  pool.close();
  const file = readFileSync(path);
  t.is(file.readUInt32LE(4), 0xdeadbeef);
  t.is(file.toString('latin1', 16, 20), 'pmem');
});

test('open maps an existing file at its size; create refuses an existing file', (t) => {
  const path = join(tempDir(t), 'pool');
  writeFileSync(path, Buffer.alloc(8192, 7));
  const pool = Pool.open(path);
  t.is(pool.size, 8192);
  t.is(pool.readU8(8191), 7);
  pool.close();
  t.throws(() => Pool.create(path, 4096), { instanceOf: PoolError, message: /exists/ });
});

test('libpmem errors become PoolErrors with pmem_errormsg text', (t) => {
  const missing = join(tempDir(t), 'nope', 'pool');
  t.throws(() => Pool.create(missing, 4096), {
    instanceOf: PoolError,
    message: /cannot map pool .*No such file or directory/,
  });
});

test('out-of-range access and use after close are refused', (t) => {
  const pool = Pool.create(join(tempDir(t), 'pool'), 4096);
  t.throws(() => pool.writeU64(4090, 1), { instanceOf: PoolError, message: /outside pool/ });
  t.throws(() => pool.persist(-1, 8), { instanceOf: PoolError });
  pool.close();
  t.throws(() => pool.readU8(0), { instanceOf: PoolError, message: /closed/ });
});

test('a recording Pool traces stores with bytes, flushes per line, fences, msync and markers in order', (t) => {
  const recorder = new TraceRecorder();
  const pool = Pool.create(join(tempDir(t), 'pool'), 4096, recorder);
  pool.writeU64(60, 0x1122334455667788n); // crosses the line boundary at 64
  pool.persist(60, 8);
  pool.flush(128, 1);
  pool.drain();
  pool.msync(0, 4096);
  pool.writeNonTemporal(256, Buffer.from('nt'));
  pool.marker('op1');
  pool.close();
  t.deepEqual(
    [...recorder.events].map((e) => e.kind),
    ['store', 'flush', 'flush', 'fence', 'flush', 'fence', 'msync', 'store', 'marker'],
  );
  t.deepEqual(
    [...recorder.events].map((e) => e.seq),
    [0, 1, 2, 3, 4, 5, 6, 7, 8],
  );
  const store = recorder.events.get(0) as StoreEvent;
  t.is(store.offset, 60);
  t.is(Buffer.from(store.data).readBigUInt64LE(0), 0x1122334455667788n);
  t.deepEqual(
    [...recorder.events].slice(1, 3).map((e) => (e as FlushEvent).offset),
    [0, 64],
  );
  t.true((recorder.events.get(7) as StoreEvent).nonTemporal);
  t.regex(store.site ?? '', /^test\/core\/pool\.test\.ts:\d+:\d+$/, 'the TypeScript line, through the source map');
});

test('persistRanges flushes every range and drains once', (t) => {
  const recorder = new TraceRecorder();
  const pool = Pool.create(join(tempDir(t), 'pool'), 4096, recorder);
  pool.persistRanges([
    { offset: 0, length: 8 },
    { offset: 512, length: 100 },
  ]);
  pool.close();
  t.deepEqual(
    [...recorder.events].map((e) => (e.kind === 'flush' ? e.offset : e.kind)),
    [0, 512, 576, 'fence'],
  );
});

test('memcpy/memset persist and nodrain record stores + flushes, the persist ones a fence too', (t) => {
  const recorder = new TraceRecorder();
  const pool = Pool.create(join(tempDir(t), 'pool'), 4096, recorder);
  pool.memcpyPersist(0, Buffer.from('abc'));
  pool.memsetNodrain(64, 0x7a, 4);
  pool.close();
  t.deepEqual(
    [...recorder.events].map((e) => e.kind),
    ['store', 'flush', 'fence', 'store', 'flush'],
  );
  t.is(Buffer.from((recorder.events.get(3) as StoreEvent).data).toString(), 'zzzz');
});

test("every event of a Pool call made inside pmfit's own code names the caller's line", (t) => {
  const recorder = new TraceRecorder();
  const pool = Pool.create(join(tempDir(t), 'pool'), 4096, recorder);
  pool.memcpyPersist(0, Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]));
  pool.close();
  t.deepEqual(
    [...recorder.events].map((e) => e.kind),
    ['store', 'flush', 'fence'],
  );
  // persist → flush → record are frames of core/: all three name the one line of this test
  t.is(new Set([...recorder.events].map((e) => e.site)).size, 1);
  t.regex(recorder.events.get(2).site ?? '', /^test\/core\/pool\.test\.ts:\d+:\d+$/);
});

test("pmfit's own frames are its core, harness and icount folders, compiled or not; scenarios and tests are not", (t) => {
  const dist = join(REPO, 'dist');
  t.true(isPmfitFrame(join(dist, 'core/pool.js')));
  t.true(isPmfitFrame(join(dist, 'core/trace/recorder.js')));
  t.true(isPmfitFrame(pathToFileURL(join(dist, 'harness/engine/engine.js')).href));
  t.true(isPmfitFrame(join(dist, 'icount/ts-record.js')));
  t.false(isPmfitFrame(join(dist, 'scenarios/list-append.js')), 'a built-in scenario is the user code');
  t.false(isPmfitFrame(join(dist, 'test/core/pool.test.js')));
  t.false(isPmfitFrame('/home/someone/project/core/pool.ts'), "a user's own core/pool.ts");
});
