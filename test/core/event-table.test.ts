// The columnar event table: what it gives back by column and as objects is what went in, through
// the writer and the streaming reader (across its 1 MiB chunks), from the TS recorder, and after
// the native store pieces are merged.
import test from 'ava';
import { join } from 'node:path';
import type { StoreEvent, TraceEvent, TraceHeader } from '../../core/api.js';
import { Pool } from '../../core/pool.js';
import { EventKind, EventTable } from '../../core/trace/event-table.js';
import { readTrace } from '../../core/trace/reader.js';
import { TraceRecorder } from '../../core/trace/recorder.js';
import { TraceWriter, writeTrace } from '../../core/trace/writer.js';
import { coalesceInstructionStores } from '../../icount/coalesce-stores.js';
import { tempDir } from '../helpers.js';

const header: TraceHeader = {
  formatVersion: 2,
  source: 'native',
  program: ['demo'],
  pools: [{ id: 0, path: '/tmp/p', size: 1 << 22 }],
};

/** Every kind and flavour, with each kind of user frame (own, caller with its function, outside). */
function nativeEvents(): TraceEvent[] {
  const base = { pool: 0 };
  return [
    {
      ...base,
      seq: 0,
      icount: 5,
      pc: 0x401000,
      kind: 'store',
      offset: 64,
      data: Uint8Array.from([1, 2, 3]),
      nonTemporal: false,
      site: 'put.c:9',
    },
    {
      ...base,
      seq: 1,
      icount: 9,
      pc: 0x7f0000001000,
      kind: 'store',
      offset: 128,
      data: Uint8Array.from([7, 7, 7, 7, 7, 7, 7, 7, 7, 7]),
      nonTemporal: true,
      site: 'put.c:21',
      callerPc: 0x401010,
      calleePc: 0x401500,
      via: 'memcpy',
    },
    {
      ...base,
      seq: 2,
      icount: 11,
      pc: 0x7f0000002000,
      kind: 'flush',
      offset: 130,
      flushKind: 'clwb',
      site: 'put.c:22',
      callerPc: 0x401020,
      calleePc: 0x401600,
      via: 'pmem_persist',
    },
    { ...base, seq: 3, icount: 12, pc: 0x401030, kind: 'flush', offset: 0, flushKind: 'clflushopt' },
    { ...base, seq: 4, icount: 13, pc: 0x401034, kind: 'flush', offset: 4032, flushKind: 'clflush' },
    {
      ...base,
      seq: 5,
      icount: 14,
      pc: 0x7f0000002010,
      kind: 'fence',
      fenceKind: 'sfence',
      site: 'put.c:22',
      callerPc: 0x401020,
      calleePc: 0x401600,
      via: 'pmem_persist',
    },
    { ...base, seq: 6, icount: 15, pc: 0x401040, kind: 'fence', fenceKind: 'mfence' },
    { ...base, seq: 7, icount: 16, pc: 0x401044, kind: 'fence', fenceKind: 'locked' },
    { ...base, seq: 8, icount: 17, pc: 0x401048, kind: 'msync', offset: 4096, length: 3 * 4096 },
    { ...base, seq: 9, icount: 18, pc: 0x40104c, kind: 'marker', markerKind: 'user', name: 'insert' },
    { ...base, seq: 10, icount: 19, pc: 0x401050, kind: 'marker', markerKind: 'start', name: '' },
    { ...base, seq: 11, icount: 20, pc: 0x7f0000003000, kind: 'fence', fenceKind: 'locked', outsideUserCode: true },
    { ...base, seq: 12, icount: 21, pc: 0x401058, kind: 'marker', markerKind: 'stop', name: '' },
  ];
}

test('every event kind and frame survives writer and reader, as objects and by column', (t) => {
  const path = join(tempDir(t), 't.pmtrace');
  const events = nativeEvents();
  writeTrace(path, header, events);
  const table = readTrace(path).events;
  t.is(table.length, events.length);
  t.deepEqual([...table], events);
  events.forEach((e, i) => {
    t.deepEqual(table.get(i), e);
    t.is(table.kindName(i), e.kind);
    t.is(table.kind(i), EventKind[e.kind]);
    t.is(table.icount(i), e.icount);
    t.is(table.pc(i), e.pc);
    t.is(table.site(i), e.site);
    t.is(table.via(i), e.via);
    t.is(table.outsideUserCode(i), e.outsideUserCode === true);
    t.deepEqual(table.caller(i), e.callerPc === undefined ? undefined : { callerPc: e.callerPc, calleePc: e.calleePc });
    t.is(table.thread(i), 0, 'the first thread until a trace says otherwise');
    if (e.kind === 'store') {
      t.is(table.offset(i), e.offset);
      t.is(table.size(i), e.data.length);
      t.deepEqual(Uint8Array.from(table.data(i)), e.data);
      t.is(table.nonTemporal(i), e.nonTemporal);
    }
    if (e.kind === 'msync') t.deepEqual([table.offset(i), table.size(i)], [e.offset, e.length]);
  });
  t.is(table.at(-1)!.seq, events.length - 1);
  t.is(table.at(events.length), undefined);
});

test('a store as an object is a copy; by column it is a view of the arena, not a copy', (t) => {
  const table = EventTable.from(nativeEvents());
  const object = table.get(0) as StoreEvent;
  object.data[0] = 99;
  t.is(table.data(0)[0], 1, 'changing the object changes nothing in the table');
  t.is(table.data(0).buffer, table.data(1).buffer, 'both stores view the one arena');
});

test('events must be consecutive, and reading past the end is an error', (t) => {
  const [first, second] = nativeEvents();
  t.throws(() => EventTable.from([second!]), { instanceOf: RangeError, message: /event 0 has sequence number 1/ });
  const table = EventTable.from([first!]);
  t.throws(() => table.get(1), { instanceOf: RangeError, message: /outside the trace \(1 events\)/ });
});

test('a thread other than the first is kept in its column and shown on the object', (t) => {
  const [first] = nativeEvents();
  const table = EventTable.from([{ ...first!, thread: 3 }]);
  t.is(table.thread(0), 3);
  t.is(table.get(0).thread, 3);
});

test('a large trace read in chunks gives back every store byte for byte, with sites interned', (t) => {
  const path = join(tempDir(t), 'big.pmtrace');
  // 3 MiB of stores of varying sizes: records straddle the reader's 1 MiB chunk boundaries
  const writer = new TraceWriter(path, { ...header, source: 'ts' });
  const expected: Array<{ offset: number; data: Uint8Array }> = [];
  let seq = 0;
  for (let i = 0; seq < 60_000; i++) {
    const size = 1 + ((i * 37) % 95);
    const data = Uint8Array.from({ length: size }, (_, k) => (i * 31 + k) & 0xff);
    const offset = (i * 128) % (1 << 21);
    expected.push({ offset, data });
    const site = `s.ts:${i % 5}:1`;
    writer.append({
      seq: seq++,
      icount: seq,
      pc: 0,
      pool: 0,
      kind: 'store',
      offset,
      data,
      nonTemporal: i % 3 === 0,
      site,
    });
    writer.append({ seq: seq++, icount: seq, pc: 0, pool: 0, kind: 'flush', offset, flushKind: 'clwb', site });
  }
  writer.close();
  const table = readTrace(path).events;
  t.is(table.length, 60_000);
  let mismatches = 0;
  for (let i = 0; i < expected.length; i++) {
    const at = 2 * i;
    const want = expected[i]!;
    if (!table.isStore(at) || table.offset(at) !== want.offset || Buffer.compare(table.data(at), want.data) !== 0)
      mismatches++;
    if (table.kind(at + 1) !== EventKind.flush || table.offset(at + 1) !== want.offset) mismatches++;
  }
  t.is(mismatches, 0);
  t.is(table.site(59_999), `s.ts:${29_999 % 5}:1`);
  t.is(
    table.arenaBytes,
    expected.reduce((n, s) => n + s.data.length, 0),
    'the arena holds the stored bytes and no more',
  );
  t.true(table.columnBytes / table.length <= 100, `${table.columnBytes / table.length} bytes per event in the columns`);
});

test("the TS recorder's events are a table: the pool's later writes do not change a recorded store", (t) => {
  const recorder = new TraceRecorder();
  const pool = Pool.create(join(tempDir(t), 'pool'), 4096, recorder);
  const bytes = Buffer.from('abcdefgh');
  pool.write(0, bytes);
  bytes.fill(0);
  pool.persist(0, 8);
  pool.marker('done');
  pool.close();
  const table = recorder.events.seal();
  t.deepEqual(
    [...table].map((e) => e.kind),
    ['store', 'flush', 'fence', 'marker'],
  );
  t.is(Buffer.from(table.data(0)).toString(), 'abcdefgh');
  const marker = table.get(3);
  t.is(marker.kind === 'marker' ? marker.name : undefined, 'done');
  t.regex(table.site(0) ?? '', /^test\/core\/event-table\.test\.ts:\d+:\d+$/);
  t.is(table.site(1), table.site(2), 'the flush and fence of one persist call share its line');
});

test('store pieces of one instruction are merged into one store and the rest renumbered', (t) => {
  const piece = (seq: number, offset: number, byte: number): TraceEvent => ({
    seq,
    icount: 7,
    pc: 0x401000,
    pool: 0,
    kind: 'store',
    offset,
    data: new Uint8Array(8).fill(byte),
    nonTemporal: true,
    site: 'w.c:3',
  });
  const table = EventTable.from([
    piece(0, 72, 2),
    piece(1, 64, 1),
    { seq: 2, icount: 8, pc: 0x401004, pool: 0, kind: 'fence', fenceKind: 'sfence' },
  ]);
  const merged = coalesceInstructionStores(table);
  t.is(merged.length, 2);
  t.deepEqual(merged.get(0), {
    seq: 0,
    icount: 7,
    pc: 0x401000,
    pool: 0,
    site: 'w.c:3',
    kind: 'store',
    offset: 64,
    data: Uint8Array.from([1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2]),
    nonTemporal: true,
  });
  t.is(merged.get(1).seq, 1);
  t.is(merged.kindName(1), 'fence');
});

/** The merge as it was done on event objects: the reference for the in-place one. */
function mergedObjects(events: readonly TraceEvent[]): TraceEvent[] {
  const out: TraceEvent[] = [];
  for (const e of events) {
    const last = out.at(-1);
    if (
      e.kind === 'store' &&
      last?.kind === 'store' &&
      last.pc !== 0 &&
      last.pc === e.pc &&
      last.icount === e.icount &&
      last.nonTemporal === e.nonTemporal &&
      (last.offset + last.data.length === e.offset || e.offset + e.data.length === last.offset)
    ) {
      const [lo, hi] = last.offset < e.offset ? [last, e] : [e, last];
      out[out.length - 1] = { ...last, offset: lo.offset, data: Uint8Array.from([...lo.data, ...hi.data]) };
      continue;
    }
    out.push({ ...e, seq: out.length });
  }
  return out;
}

test('merging store pieces in place gives what merging event objects gave, on random traces', (t) => {
  let state = 7;
  const next = (n: number) => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state % n;
  };
  for (let round = 0; round < 30; round++) {
    const events: TraceEvent[] = [];
    let icount = 0;
    while (events.length < 300) {
      icount += 1 + next(2);
      const base = { seq: events.length, icount, pc: next(4) === 0 ? 0 : 0x401000 + next(3) * 4, pool: 0 };
      if (next(4) === 0) {
        events.push({ ...base, kind: 'fence', fenceKind: 'sfence' });
        continue;
      }
      // a wide store as 1..4 pieces of 8 bytes, ascending or descending, sometimes with a gap
      const pieces = 1 + next(4);
      const start = next(64) * 8;
      const down = next(2) === 0;
      for (let p = 0; p < pieces; p++) {
        const at = start + (down ? pieces - 1 - p : p) * 8 + (next(10) === 0 ? 8 : 0);
        const data = Uint8Array.from({ length: 8 }, () => next(256));
        events.push({ ...base, seq: events.length, kind: 'store', offset: at, data, nonTemporal: next(3) === 0 });
      }
    }
    const table = coalesceInstructionStores(EventTable.from(events));
    t.deepEqual([...table], mergedObjects(events), `round ${round}`);
    t.is(
      table.arenaBytes,
      events.reduce((n, e) => n + (e.kind === 'store' ? e.data.length : 0), 0),
    );
  }
});
