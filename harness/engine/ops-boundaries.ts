// Operation boundaries for the ops oracle (durable linearizability, as Witcher checks it): user
// markers split the snippet into operations; a crash may show the state at any boundary from the
// last one whose operations are already durable up to the first one not yet reached.
import { EventKind, type EventTable, MARKER_KIND_CODES } from '../../core/trace/event-table.js';
import type { PersistencyTracker } from './model/persistency-tracker.js';

/** Crash points (numbers of events) at which an operation ends: the start, each user marker, the end. */
export function operationBoundaries(events: EventTable): number[] {
  const points = new Set([0, events.length]);
  const user = MARKER_KIND_CODES.indexOf('user');
  for (let i = 0; i < events.length; i++)
    if (events.kind(i) === EventKind.marker && events.flags(i) === user) points.add(i);
  return [...points].sort((a, b) => a - b);
}

/** Indexes into `boundaries` of the states a crash after `point` events may show. */
export function allowedBoundaries(
  boundaries: readonly number[],
  point: number,
  tracker: PersistencyTracker,
): [number, number] {
  let oldestPending = Infinity;
  for (const units of tracker.pendingLines.values())
    for (const u of units) oldestPending = Math.min(oldestPending, u.seq);
  // The last boundary not after the crash whose every earlier store is durable (boundaries start
  // at 0, so there is one), and the first at or after the crash: the operation in progress may
  // have completed. Binary searches: a run with many operations asks this at every crash point.
  const from = Math.max(0, firstAbove(boundaries, Math.min(point, oldestPending)) - 1);
  let to = firstAtLeast(boundaries, point);
  if (to === boundaries.length) to = boundaries.length - 1;
  return [from, to];
}

/** The index of the first value greater than `x` in ascending `values` (its length if none). */
function firstAbove(values: readonly number[], x: number): number {
  let lo = 0;
  let hi = values.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (values[mid]! <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The index of the first value at least `x` in ascending `values` (its length if none). */
function firstAtLeast(values: readonly number[], x: number): number {
  return firstAbove(values, x - 1);
}
