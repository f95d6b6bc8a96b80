// Crash points: the event boundaries of a trace. Point i means "crash after i events"; it stands
// for every instruction count from the i-th event up to just before the next one, because a crash
// between two instructions that touch no pmem leaves the same possible images.
//
// With threads, an event's icount counts the instructions of its own thread, and a point's range
// is in the count of the thread of the event before it (thread 0 at the start): up to just before
// that thread's next event when the next event is its own, else the one count of the event before
// (what the other threads ran in between is not counted in it). The points stay the positions in
// the recorded order: pmfit checks the interleaving that ran.
import type { CrashPoint, EventRef, TraceEvent } from '../../core/api.js';
import { EventKind, type EventTable, MARKER_KIND_CODES } from '../../core/trace/event-table.js';

const STOP = MARKER_KIND_CODES.indexOf('stop');

/** The instruction count a trace ends at: its icount_stop marker, else its last event. */
export function finalIcount(events: EventTable): number {
  for (let i = events.length - 1; i >= 0; i--)
    if (events.kind(i) === EventKind.marker && events.flags(i) === STOP) return events.icount(i);
  return events.length > 0 ? events.icount(events.length - 1) : 0;
}

/** The instruction counts the crash point after `index` events stands for (no event object made). */
export function icountRange(
  events: EventTable,
  index: number,
  total = finalIcount(events),
): [from: number, to: number] {
  const icountFrom = index > 0 ? events.icount(index - 1) : 0;
  const sameThread = index >= events.length || events.thread(index) === (index > 0 ? events.thread(index - 1) : 0);
  const icountTo = sameThread
    ? Math.max(icountFrom, index < events.length ? events.icount(index) - 1 : total)
    : icountFrom;
  return [icountFrom, icountTo];
}

/** The crash point after `index` events of `events`. */
export function crashPointAt(events: EventTable, index: number, total = finalIcount(events)): CrashPoint {
  const [icountFrom, icountTo] = icountRange(events, index, total);
  return { index, icountFrom, icountTo, ...(index > 0 ? { lastEvent: events.get(index - 1) } : {}) };
}

/** An event as data, for findings and reports (reports/format.ts words it). */
export function eventRef(e: TraceEvent): EventRef {
  // a native event made inside a library names the function its user's line called (via)
  const where = { ...(e.site ? { site: e.site } : e.pc ? { pc: e.pc } : {}), ...(e.via ? { via: e.via } : {}) };
  switch (e.kind) {
    case 'store':
      return {
        kind: e.kind,
        seq: e.seq,
        offset: e.offset,
        size: e.data.length,
        ...(e.nonTemporal ? { variant: 'non-temporal' as const } : {}),
        bytes: Buffer.from(e.data.subarray(0, 16)).toString('hex'),
        ...where,
      };
    case 'flush':
      return { kind: e.kind, seq: e.seq, offset: e.offset - (e.offset % 64), variant: e.flushKind, ...where };
    case 'fence':
      return { kind: e.kind, seq: e.seq, variant: e.fenceKind, ...where };
    case 'msync':
      return { kind: e.kind, seq: e.seq, offset: e.offset, size: e.length, ...where };
    case 'marker':
      return { kind: e.kind, seq: e.seq, variant: e.markerKind, ...(e.name ? { name: e.name } : {}), ...where };
  }
}
