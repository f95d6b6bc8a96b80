// Rebuilds crash images from their choices alone (what `pmfit replay` and saved failures do):
// replay the trace up to the crash point, then add to the durable image the prefix of pending units
// each line kept.
import type { Trace } from '../../../core/api.js';
import type { ImageChoice } from '../replay-id.js';
import { hashImage, paddedImage } from './image-hash.js';
import { PersistencyTracker, type PendingUnit } from './persistency-tracker.js';

export interface RebuiltImage {
  image: Buffer;
  kept: PendingUnit[];
  lost: PendingUnit[];
}

export function rebuildImage(trace: Trace, initial: Buffer, choice: ImageChoice): RebuiltImage {
  return rebuildImages(trace, initial, [choice])[0]!;
}

/** Rebuilds several images (in the order given) from one walk over the trace. */
export function rebuildImages(trace: Trace, initial: Buffer, choices: readonly ImageChoice[]): RebuiltImage[] {
  for (const c of choices) {
    if (c.point > trace.events.length)
      throw new RangeError(`crash point ${c.point} is past the end of the trace (${trace.events.length} events)`);
  }
  const padded = paddedImage(initial);
  const tracker = new PersistencyTracker(padded, hashImage(padded));
  const order = choices.map((c, i) => ({ c, i })).sort((a, b) => a.c.point - b.c.point);
  const out: RebuiltImage[] = [];
  let applied = 0;
  for (const { c, i } of order) {
    for (; applied < c.point; applied++) tracker.apply(trace.events[applied]!);
    out[i] = imageAt(tracker, c, initial.length);
  }
  return out;
}

/** The image `choice` names at the tracker's point: a copy, with copies of its units. */
function imageAt(tracker: PersistencyTracker, choice: ImageChoice, size: number): RebuiltImage {
  const pending = [...tracker.pendingLines];
  if (choice.model === 'eadr')
    return {
      image: Buffer.from(tracker.executed.subarray(0, size)),
      kept: pending.flatMap(([, units]) => units.map((u) => ({ ...u }))),
      lost: [],
    };
  const image = Buffer.from(tracker.durable);
  const kept: PendingUnit[] = [];
  const lost: PendingUnit[] = [];
  for (const [line, units] of pending) {
    const k = choice.kept.get(line) ?? (choice.rest === 'all' ? units.length : 0);
    if (k > units.length)
      throw new RangeError(
        `line ${line} has ${units.length} pending units at crash point ${choice.point}, the id keeps ${k}`,
      );
    units.forEach((u, i) => (i < k ? kept : lost).push({ ...u }));
  }
  for (const u of kept) image.set(u.data, u.offset);
  return { image: image.subarray(0, size), kept, lost };
}
