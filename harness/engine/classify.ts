// Classifies an inconsistent crash image from the choices that built it — which pending units it
// kept and lost — never from names. The first class that fits wins, in this order:
//   torn-write     the image keeps some 8-byte units of one store and loses others;
//   missing-flush  a lost store's line was never flushed before the crash;
//   missing-fence  a lost store was flushed (or non-temporal), and a store issued after that flush
//                  (with no fence between, or the lost one would be durable) persisted; with
//                  threads, no fence of the flushing thread between: another thread's does not
//                  order it, and the units' pending state already says so (persistency-tracker.ts);
//   ordering       a lost store was flushed, and a later store on another line, also flushed,
//                  persisted: nothing ordered the two;
//   inconsistent   the image lost nothing and still fails (a logic bug, visible under eadr too);
//   unclassified   none of these.
import type { FindingClass } from '../../core/api.js';
import type { PendingUnit } from './model/persistency-tracker.js';
import { lineOf } from './model/units.js';

export function classify(kept: readonly PendingUnit[], lost: readonly PendingUnit[]): FindingClass {
  if (lost.length === 0) return 'inconsistent';
  const keptSeqs = new Set(kept.map((u) => u.seq));
  if (lost.some((u) => keptSeqs.has(u.seq))) return 'torn-write';
  if (lost.some((u) => !u.flushing && !u.nonTemporal)) return 'missing-flush';
  const keptAfter = (u: PendingUnit, after: number, flushedToo = false) =>
    kept.some((v) => v.seq > after && lineOf(v.offset) !== lineOf(u.offset) && (!flushedToo || v.flushing));
  // A non-temporal store needs only a fence: anything issued after it that persisted first lacked one.
  if (lost.some((u) => (u.flushing && keptAfter(u, u.flushedBy!)) || (u.nonTemporal && keptAfter(u, u.seq))))
    return 'missing-fence';
  if (lost.some((u) => u.flushing && keptAfter(u, u.seq, true))) return 'ordering';
  return 'unclassified';
}
