// Rebuilds one crash image from its choice alone (what `pmfit replay` does): replay the trace up
// to the crash point, then add to the durable image the prefix of pending units each line kept.
import type { Trace } from '../../core/api.js';
import type { ImageChoice } from '../replay-id.js';
import { hashImage, paddedImage } from './image-hash.js';
import { PersistencyTracker, type PendingUnit } from './persistency-tracker.js';

export interface RebuiltImage {
  image: Buffer;
  kept: PendingUnit[];
  lost: PendingUnit[];
}

export function rebuildImage(trace: Trace, initial: Buffer, choice: ImageChoice): RebuiltImage {
  if (choice.point > trace.events.length) throw new RangeError(`crash point ${choice.point} is past the end of the trace (${trace.events.length} events)`);
  const padded = paddedImage(initial);
  const tracker = new PersistencyTracker(padded, hashImage(padded));
  for (const event of trace.events.slice(0, choice.point)) tracker.apply(event);
  if (choice.model === 'eadr') {
    return { image: tracker.executed.subarray(0, initial.length), kept: [...tracker.pendingLines.values()].flat(), lost: [] };
  }
  const image = Buffer.from(tracker.durable);
  const kept: PendingUnit[] = [];
  const lost: PendingUnit[] = [];
  for (const [line, units] of tracker.pendingLines) {
    const k = choice.kept.get(line) ?? (choice.rest === 'all' ? units.length : 0);
    if (k > units.length) throw new RangeError(`line ${line} has ${units.length} pending units at crash point ${choice.point}, the id keeps ${k}`);
    units.forEach((u, i) => (i < k ? kept : lost).push(u));
  }
  for (const u of kept) image.set(u.data, u.offset);
  return { image: image.subarray(0, initial.length), kept, lost };
}
