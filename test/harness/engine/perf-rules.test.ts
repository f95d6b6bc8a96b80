import { EventTable } from '../../../core/trace/event-table.js';
import test from 'ava';
import type { TraceEvent } from '../../../core/api.js';
import { perfFindings } from '../../../harness/engine/perf-rules.js';

const base = { pc: 0, pool: 0, icount: 0 };

test('redundant flushes, clean-line flushes, idle fences and never-durable stores are reported', (t) => {
  const events: TraceEvent[] = [
    { ...base, seq: 0, kind: 'store', offset: 0, data: Uint8Array.of(1), nonTemporal: false },
    { ...base, seq: 1, kind: 'flush', offset: 0, flushKind: 'clwb' },
    { ...base, seq: 2, kind: 'flush', offset: 0, flushKind: 'clwb' },
    { ...base, seq: 3, kind: 'fence', fenceKind: 'sfence' },
    { ...base, seq: 4, kind: 'fence', fenceKind: 'sfence' },
    { ...base, seq: 5, kind: 'flush', offset: 128, flushKind: 'clflushopt' },
    { ...base, seq: 6, kind: 'store', offset: 64, data: Uint8Array.of(2), nonTemporal: false },
    // a lock's CAS with nothing to order: a fence for the model, never an idle-fence lint
    { ...base, seq: 7, kind: 'fence', fenceKind: 'locked' },
  ];
  const found = perfFindings(
    {
      header: { formatVersion: 1, source: 'ts', program: [], pools: [] },
      mappings: [],
      events: EventTable.from(events),
    },
    Buffer.alloc(256),
  );
  t.deepEqual(
    found.map((f) => [f.kind, f.event.seq]),
    [
      ['redundant-flush', 2],
      ['idle-fence', 4],
      ['clean-flush', 5],
      ['never-durable', 6],
    ],
  );
});

test('a tidy trace has no performance findings', (t) => {
  const events: TraceEvent[] = [
    { ...base, seq: 0, kind: 'store', offset: 0, data: Uint8Array.of(1), nonTemporal: false },
    { ...base, seq: 1, kind: 'flush', offset: 0, flushKind: 'clwb' },
    { ...base, seq: 2, kind: 'fence', fenceKind: 'sfence' },
  ];
  t.deepEqual(
    perfFindings(
      {
        header: { formatVersion: 1, source: 'ts', program: [], pools: [] },
        mappings: [],
        events: EventTable.from(events),
      },
      Buffer.alloc(64),
    ),
    [],
  );
});

test("threads: a fence is idle when nothing waits for its own thread's fence; another thread's flush again is no redundant flush", (t) => {
  const events: TraceEvent[] = [
    { ...base, seq: 0, kind: 'store', offset: 0, data: Uint8Array.of(1), nonTemporal: false, thread: 1 },
    { ...base, seq: 1, kind: 'flush', offset: 0, flushKind: 'clwb', thread: 1 },
    // thread 0's fence orders nothing of thread 1: idle
    { ...base, seq: 2, kind: 'fence', fenceKind: 'sfence' },
    // thread 2 flushes the line again for its own fence to order: not redundant
    { ...base, seq: 3, kind: 'flush', offset: 0, flushKind: 'clwb', thread: 2 },
    { ...base, seq: 4, kind: 'flush', offset: 0, flushKind: 'clwb', thread: 2 },
    { ...base, seq: 5, kind: 'fence', fenceKind: 'sfence', thread: 2 },
  ];
  const found = perfFindings(
    {
      header: { formatVersion: 3, source: 'native', program: [], pools: [] },
      mappings: [],
      events: EventTable.from(events),
    },
    Buffer.alloc(64),
  );
  t.deepEqual(
    found.map((f) => [f.kind, f.event.seq]),
    [
      ['idle-fence', 2],
      ['redundant-flush', 4],
    ],
  );
});
