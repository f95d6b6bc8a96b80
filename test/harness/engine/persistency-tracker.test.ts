// The model on hand-built traces: which stores the eadr and strict-adr images hold at each point.
import test from 'ava';
import type { TraceEvent } from '../../../core/api.js';
import { digestKey, hashImage } from '../../../harness/engine/model/image-hash.js';
import { PersistencyTracker } from '../../../harness/engine/model/persistency-tracker.js';

const base = { pc: 0, pool: 0, icount: 0 };
let seq = 0;
const store = (offset: number, bytes: number[], nonTemporal = false): TraceEvent => ({
  ...base,
  seq: seq++,
  kind: 'store',
  offset,
  data: Uint8Array.from(bytes),
  nonTemporal,
});
const flush = (offset: number, flushKind: 'clflush' | 'clflushopt' | 'clwb'): TraceEvent => ({
  ...base,
  seq: seq++,
  kind: 'flush',
  offset,
  flushKind,
});
const fence = (): TraceEvent => ({ ...base, seq: seq++, kind: 'fence', fenceKind: 'sfence' });
const msync = (offset: number, length: number): TraceEvent => ({ ...base, seq: seq++, kind: 'msync', offset, length });

function tracker(size = 256): PersistencyTracker {
  const initial = Buffer.alloc(size);
  return new PersistencyTracker(initial, hashImage(initial));
}

test('a store is executed at once but durable only after clwb + fence', (t) => {
  const m = tracker();
  m.apply(store(8, [1]));
  t.is(m.executed[8], 1);
  t.is(m.durable[8], 0);
  m.apply(flush(0, 'clwb'));
  t.is(m.durable[8], 0, 'clwb alone is not durable');
  m.apply(fence());
  t.is(m.durable[8], 1);
  t.is(m.pendingLines.size, 0);
});

test('clflush makes the line durable without a fence; clflushopt waits for one', (t) => {
  const m = tracker();
  m.apply(store(0, [1]));
  m.apply(store(64, [2]));
  m.apply(flush(0, 'clflush'));
  m.apply(flush(64, 'clflushopt'));
  t.is(m.durable[0], 1);
  t.is(m.durable[64], 0);
  m.apply(fence());
  t.is(m.durable[64], 2);
});

test('a store after the flush stays pending across the fence', (t) => {
  const m = tracker();
  m.apply(store(0, [1]));
  m.apply(flush(0, 'clwb'));
  m.apply(store(1, [2]));
  m.apply(fence());
  t.deepEqual([m.durable[0], m.durable[1]], [1, 0]);
  t.deepEqual(
    m.pendingLines.get(0)!.map((u) => u.offset),
    [1],
  );
});

test('a flush of another line does not make this one durable', (t) => {
  const m = tracker();
  m.apply(store(0, [1]));
  m.apply(flush(64, 'clwb'));
  m.apply(fence());
  t.is(m.durable[0], 0);
});

test('non-temporal stores are durable at the next fence without a flush', (t) => {
  const m = tracker();
  m.apply(store(128, [5, 6], true));
  t.is(m.durable[128], 0);
  m.apply(fence());
  t.deepEqual([m.durable[128], m.durable[129]], [5, 6]);
});

test('msync makes the stores of its range durable, and only those', (t) => {
  const m = tracker();
  m.apply(store(0, [1]));
  m.apply(store(192, [2]));
  m.apply(msync(0, 64));
  t.is(m.durable[0], 1);
  t.is(m.durable[192], 0);
});

test('wide and unaligned stores are split into 8-byte units per line', (t) => {
  const m = tracker();
  m.apply(store(60, [1, 2, 3, 4, 5, 6, 7, 8]));
  const line0 = m.pendingLines.get(0)!;
  const line1 = m.pendingLines.get(1)!;
  t.deepEqual(
    line0.map((u) => [u.offset, u.data.length]),
    [[60, 4]],
  );
  t.deepEqual(
    line1.map((u) => [u.offset, u.data.length]),
    [[64, 4]],
  );
  t.is(line0[0]!.parts, 2);
});

test('incremental digests always equal a digest of the whole image', (t) => {
  const m = tracker(512);
  const events = [
    store(0, [1, 2, 3]),
    store(100, Array(40).fill(9)),
    flush(0, 'clwb'),
    fence(),
    store(300, [4]),
    msync(256, 64),
  ];
  for (const e of events) {
    m.apply(e);
    t.is(digestKey(m.executedDigest), digestKey(hashImage(m.executed)));
    t.is(digestKey(m.durableDigest), digestKey(hashImage(m.durable)));
  }
  t.not(digestKey(m.executedDigest), digestKey(hashImage(Buffer.alloc(512))));
});

test('a store outside the pool is an error, not a silent write', (t) => {
  const m = tracker(128);
  t.throws(() => m.apply(store(124, [1, 2, 3, 4, 5, 6, 7, 8])), {
    instanceOf: RangeError,
    message: /outside the pool/,
  });
});

/** The event as thread `thread` made it (the reader leaves thread 0 out). */
const of = (thread: number, event: TraceEvent): TraceEvent => ({ ...event, thread });

test("threads: a clwb is made durable by its own thread's fence, not another thread's", (t) => {
  const m = tracker();
  m.apply(of(1, store(8, [1])));
  m.apply(of(1, flush(0, 'clwb')));
  m.apply(fence());
  t.is(m.durable[8], 0, "thread 0's fence does not order thread 1's clwb");
  t.deepEqual([...m.linesAwaitingFence], [0]);
  t.is(m.pendingLines.get(0)![0]!.thread, 1, 'the unit names its thread');
  m.apply(of(1, fence()));
  t.is(m.durable[8], 1);
  t.is(m.linesAwaitingFence.size, 0);
});

test("threads: a flush writes back another thread's earlier store, durable at the flusher's fence", (t) => {
  const m = tracker();
  m.apply(of(2, store(8, [1])));
  m.apply(of(1, flush(0, 'clwb')));
  m.apply(of(2, fence()));
  t.is(m.durable[8], 0, "the storing thread's fence does not complete thread 1's flush");
  m.apply(of(1, fence()));
  t.is(m.durable[8], 1);
});

test('threads: a line flushed by two threads is durable at the first of their fences', (t) => {
  const m = tracker();
  m.apply(store(8, [1]));
  m.apply(of(1, flush(0, 'clwb')));
  m.apply(of(2, store(16, [2])));
  m.apply(of(2, flush(0, 'clflushopt')));
  m.apply(of(2, fence()));
  t.is(m.durable[8], 1, "thread 2's clwb covered thread 0's store too");
  t.is(m.durable[16], 2);
  t.is(m.pendingLines.size, 0);
});

test("threads: a non-temporal store waits for its own thread's fence; clflush is immediate whoever's", (t) => {
  const m = tracker();
  m.apply(of(1, store(8, [1, 1, 1, 1, 1, 1, 1, 1], true)));
  m.apply(fence());
  t.is(m.durable[8], 0);
  m.apply(of(1, fence()));
  t.is(m.durable[8], 1);
  m.apply(of(3, store(72, [3])));
  m.apply(flush(64, 'clflush'));
  t.is(m.durable[72], 3);
});
