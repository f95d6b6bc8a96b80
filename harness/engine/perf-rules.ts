// Performance findings from the trace alone, like pmemcheck's: flushes and fences that do no
// work, and stores the snippet never made durable. They never change a verdict. They are grouped:
// one entry per kind and place (the event's user site, else its pc), with a count and the first
// event, so a redundant flush in a loop of 1000 iterations is one lint, not 1000.
import type { PerfFinding, Trace } from '../../core/api.js';
import { EventKind, type EventTable, FENCE_KIND_CODES } from '../../core/trace/event-table.js';
import { eventRef } from './crash-points.js';
import { hashImage, paddedImage } from './model/image-hash.js';
import { PersistencyTracker } from './model/persistency-tracker.js';
import { lineOf } from './model/units.js';

/** One trace checked under several models has one set of performance findings: compute it once. */
const computed = new WeakMap<Trace, PerfFinding[]>();

export function perfFindings(trace: Trace, initial: Buffer): PerfFinding[] {
  let found = computed.get(trace);
  if (!found) computed.set(trace, (found = findPerf(trace, initial)));
  // Each result gets its own copy: a consumer editing one result must not change another.
  return found.map((f) => ({ ...f, event: { ...f.event } }));
}

function findPerf(trace: Trace, initial: Buffer): PerfFinding[] {
  const padded = paddedImage(initial);
  const tracker = new PersistencyTracker(padded, hashImage(padded));
  // per line, the threads that flushed it since its last store: another thread's flush of it is
  // not redundant (only a fence of the flushing thread completes a flush)
  const flushedSinceStore = new Map<number, Set<number>>();
  const groups = new Map<string, PerfFinding>();
  const events = trace.events;
  // columns, not event objects: only the first event of a group is made an object (its EventRef)
  const note = (kind: PerfFinding['kind'], i: number) => {
    const key = placeKey(kind, events, i);
    const known = groups.get(key);
    if (known) known.count++;
    else
      groups.set(key, {
        kind,
        event: eventRef(events.get(i)),
        count: 1,
        ...(events.outsideUserCode(i) ? { library: true } : {}),
      });
  };
  const locked = FENCE_KIND_CODES.indexOf('locked');

  for (let i = 0; i < events.length; i++) {
    const kind = events.kind(i);
    if (kind === EventKind.store) {
      const offset = events.offset(i);
      for (let line = lineOf(offset); line <= lineOf(offset + events.size(i) - 1); line++)
        flushedSinceStore.delete(line);
    } else if (kind === EventKind.flush) {
      const line = lineOf(events.offset(i));
      const thread = events.thread(i);
      let flushers = flushedSinceStore.get(line);
      if (flushers?.has(thread)) note('redundant-flush', i);
      else if (!tracker.pendingLines.has(line)) note('clean-flush', i);
      if (!flushers) flushedSinceStore.set(line, (flushers = new Set()));
      flushers.add(thread);
    } else if (
      kind === EventKind.fence &&
      events.flags(i) !== locked &&
      tracker.linesAwaitingFenceOf(events.thread(i)).size === 0
    ) {
      // A locked read-modify-write (a CAS, a lock) orders stores for the model, but it is there to
      // synchronise threads, not to persist: flagging it idle would only be noise (every lock).
      // A fence is idle when nothing waits for a fence of its own thread (another's does not order).
      note('idle-fence', i);
    }
    tracker.applyAt(events, i);
  }
  const never = [...new Set([...tracker.pendingLines.values()].flat().map((u) => u.seq))].sort((a, b) => a - b);
  for (const seq of never) note('never-durable', seq);
  // in the order of their first event (never-durable stores are only known at the end)
  return [...groups.values()].sort((a, b) => a.event.seq - b.event.seq);
}

/**
 * The place a lint is counted under: the user's line (a redundant flush inside pmem_persist called
 * from line X is line X's), else the instruction's address. Events outside the user's code never
 * share a group with the user's own, whatever their site.
 */
function placeKey(kind: PerfFinding['kind'], events: EventTable, i: number): string {
  const site = events.site(i);
  const place = site !== undefined ? `site ${site}` : `pc ${events.pc(i)}`;
  return `${kind}\0${events.outsideUserCode(i) ? 'library' : 'user'}\0${place}`;
}
