// The binary trace format: streaming write, read back, and refusal of damaged files.
import test from 'ava';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TraceEvent, TraceHeader } from '../../core/api.js';
import { TRACE_FORMAT_ONE_THREAD, TRACE_FORMAT_VERSION, TraceFormatError } from '../../core/trace/format.js';
import { readTrace } from '../../core/trace/reader.js';
import { writeTrace } from '../../core/trace/writer.js';
import { tempDir } from '../helpers.js';

// a trace of one thread is written as version 2 (it is one: no thread record)
const header: TraceHeader = {
  formatVersion: TRACE_FORMAT_ONE_THREAD,
  source: 'ts',
  program: ['demo'],
  pools: [{ id: 0, path: '/tmp/p', size: 4096 }],
};

function sampleEvents(): TraceEvent[] {
  const base = { pc: 0, pool: 0 };
  return [
    {
      ...base,
      seq: 0,
      icount: 1,
      kind: 'store',
      offset: 64,
      data: Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9]),
      nonTemporal: false,
      site: 'a.ts:1:1',
    },
    {
      ...base,
      seq: 1,
      icount: 2,
      kind: 'store',
      offset: 200,
      data: Uint8Array.from([9]),
      nonTemporal: true,
      site: 'a.ts:2:1',
    },
    { ...base, seq: 2, icount: 3, kind: 'flush', offset: 64, flushKind: 'clwb', site: 'a.ts:1:1' },
    { ...base, seq: 3, icount: 4, kind: 'flush', offset: 128, flushKind: 'clflushopt' },
    { ...base, seq: 4, icount: 5, kind: 'flush', offset: 192, flushKind: 'clflush' },
    { ...base, seq: 5, icount: 6, kind: 'fence', fenceKind: 'sfence' },
    { ...base, seq: 6, icount: 7, kind: 'fence', fenceKind: 'mfence' },
    { ...base, seq: 7, icount: 8, kind: 'fence', fenceKind: 'locked' },
    { ...base, seq: 8, icount: 9, kind: 'msync', offset: 0, length: 4096 },
    { ...base, seq: 9, icount: 10, kind: 'marker', markerKind: 'user', name: 'insert' },
    { ...base, seq: 10, icount: 11, kind: 'marker', markerKind: 'stop', name: '' },
  ];
}

test('every event kind survives a write/read round trip, with sites and mappings', (t) => {
  const path = join(tempDir(t), 't.pmtrace');
  const events = sampleEvents();
  writeTrace(path, header, events, [{ pool: 0, base: 0x7f0000001000, length: 4096, fileOffset: 0 }]);
  const trace = readTrace(path);
  t.deepEqual(trace.header, header);
  t.deepEqual(trace.mappings, [{ pool: 0, base: 0x7f0000001000, length: 4096, fileOffset: 0 }]);
  t.deepEqual([...trace.events], events);
});

test('native traces keep program counters; large traces stream across read chunks', (t) => {
  const path = join(tempDir(t), 'big.pmtrace');
  const events: TraceEvent[] = [];
  for (let i = 0; i < 30_000; i++) {
    events.push({
      seq: i,
      icount: i * 3,
      pc: 0x400000 + i,
      pool: 0,
      kind: 'store',
      offset: (i * 8) % 4096,
      data: new Uint8Array(40).fill(i & 0xff),
      nonTemporal: false,
    });
  }
  writeTrace(path, { ...header, source: 'native' }, events);
  const trace = readTrace(path);
  t.is(trace.events.length, 30_000);
  t.deepEqual(trace.events.get(29_999), events[29_999]);
  t.is(trace.events.get(12_345).pc, 0x400000 + 12_345);
});

test('native user frames and code objects survive a write/read round trip', (t) => {
  const path = join(tempDir(t), 'frames.pmtrace');
  const base = { pool: 0, kind: 'fence' as const, fenceKind: 'sfence' as const };
  const events: TraceEvent[] = [
    // before main: no user frame
    { ...base, seq: 0, icount: 1, pc: 0x7000, outsideUserCode: true },
    // the user's own instruction
    { ...base, seq: 1, icount: 2, pc: 0x1100, site: 'put.c:20' },
    // two events inside memcpy called at put.c:21, one in pmem_persist called at put.c:22
    { ...base, seq: 2, icount: 3, pc: 0x7100, site: 'put.c:21', via: 'memcpy', callerPc: 0x1110, calleePc: 0x1030 },
    { ...base, seq: 3, icount: 4, pc: 0x7108, site: 'put.c:21', via: 'memcpy', callerPc: 0x1110, calleePc: 0x1030 },
    { ...base, seq: 4, icount: 5, pc: 0x8000, site: 'put.c:22', callerPc: 0x1120, calleePc: 0x1040 },
    { ...base, seq: 5, icount: 6, pc: 0x1130 },
  ];
  const objects = [
    { path: '/w/put', bias: 0x0, start: 0x1000, end: 0x2000, user: true, main: true },
    { path: '/usr/lib/libc.so.6', bias: 0x6000, start: 0x7000, end: 0x9000, user: false, main: false },
  ];
  writeTrace(path, { ...header, source: 'native' }, events, [], objects);
  const trace = readTrace(path);
  t.deepEqual([...trace.events], events);
  t.deepEqual(trace.objects, objects);
});

test('a version-1 trace (no frame or object records) is still read', (t) => {
  const dir = tempDir(t);
  writeTrace(join(dir, 't'), header, sampleEvents());
  const old = readFileSync(join(dir, 't'));
  old.writeUInt32LE(1, 8);
  writeFileSync(join(dir, 'v1'), old);
  t.deepEqual([...readTrace(join(dir, 'v1')).events], sampleEvents());
});

test('threads: each event keeps its thread through a round trip; thread records are written only at a change', (t) => {
  const dir = tempDir(t);
  // thread 0 has no field, as the reader gives it
  const threads = [0, 0, 1, 1, 2, 0, 2, 2, 0, 1, 0];
  const events = sampleEvents().map((e, i) => (threads[i] ? { ...e, thread: threads[i] } : e));
  writeTrace(join(dir, 't'), header, events);
  const trace = readTrace(join(dir, 't'));
  t.deepEqual([...trace.events], events);
  t.deepEqual(
    events.map((_, i) => trace.events.thread(i)),
    threads,
    'the thread column',
  );
  t.is(trace.header.formatVersion, TRACE_FORMAT_VERSION, 'thread records make it version 3');
  t.is(readFileSync(join(dir, 't')).readUInt32LE(8), TRACE_FORMAT_VERSION);
  // one 36-byte thread record (32-byte head + u32) per change of thread: 7 changes
  writeTrace(join(dir, 'one'), header, sampleEvents());
  t.is(readFileSync(join(dir, 't')).length - readFileSync(join(dir, 'one')).length, 7 * 36);
});

test('a file that is not a trace, a truncated trace and a future version are refused', (t) => {
  const dir = tempDir(t);
  const good = join(dir, 'good.pmtrace');
  writeTrace(good, header, sampleEvents());
  const bytes = readFileSync(good);

  writeFileSync(join(dir, 'junk'), 'hello world, not a trace');
  t.throws(() => readTrace(join(dir, 'junk')), { instanceOf: TraceFormatError, message: /bad magic/ });

  writeFileSync(join(dir, 'cut'), bytes.subarray(0, bytes.length - 5));
  t.throws(() => readTrace(join(dir, 'cut')), { instanceOf: TraceFormatError, message: /truncated/ });

  const future = Buffer.from(bytes);
  future.writeUInt32LE(99, 8);
  writeFileSync(join(dir, 'future'), future);
  t.throws(() => readTrace(join(dir, 'future')), { instanceOf: TraceFormatError, message: /version 99/ });
});
