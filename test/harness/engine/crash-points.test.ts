// Crash points' instruction ranges, with one thread and with several (crash-points.ts).
import test from 'ava';
import { EventTable } from '../../../core/trace/event-table.js';
import type { TraceEvent } from '../../../core/api.js';
import { crashPointAt } from '../../../harness/engine/crash-points.js';

const fence = (seq: number, icount: number, thread = 0): TraceEvent => ({
  seq,
  icount,
  pc: 0,
  pool: 0,
  kind: 'fence',
  fenceKind: 'sfence',
  ...(thread ? { thread } : {}),
});

test('one thread: a point spans from its event to just before the next', (t) => {
  const events = [fence(0, 10), fence(1, 25)];
  t.like(crashPointAt(EventTable.from(events), 0), { icountFrom: 0, icountTo: 9 });
  t.like(crashPointAt(EventTable.from(events), 1), { icountFrom: 10, icountTo: 24 });
  t.like(crashPointAt(EventTable.from(events), 2, 40), { icountFrom: 25, icountTo: 40 });
});

test("threads: a point is in the count of the thread before it, one count when the next event is another thread's", (t) => {
  const events = [fence(0, 10), fence(1, 3, 1), fence(2, 30, 1), fence(3, 12)];
  t.like(
    crashPointAt(EventTable.from(events), 1),
    { icountFrom: 10, icountTo: 10 },
    "thread 1's count is not thread 0's",
  );
  t.like(crashPointAt(EventTable.from(events), 2), { icountFrom: 3, icountTo: 29 }, "thread 1's own range");
  t.like(crashPointAt(EventTable.from(events), 3), { icountFrom: 30, icountTo: 30 });
  t.like(crashPointAt(EventTable.from([fence(0, 7, 2)]), 0), { icountFrom: 0, icountTo: 0 });
});
