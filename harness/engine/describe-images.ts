// Describes checked images after the fact: which pending stores each kept and lost, and the class
// that choice suggests. The engine checks images without describing them (a description costs the
// image's pending units, and most images pass); the judge asks for the ones that fail, and they are
// described in one walk over the trace, each at the crash point where it first appeared — the
// state the engine chose it from — so a description is what admitting it would have recorded.
import type { RunLog, Trace } from '../../core/api.js';
import { classify } from './classify.js';
import { splitAt, storesOf, visitChoices } from './model/image-builder.js';
import type { PendingUnit } from './model/persistency-tracker.js';
import { lineOf } from './model/units.js';
import { parseReplayId } from './replay-id.js';

/** Stores listed per image (the rest counted): keeps memory bounded by the trace, not by images × pending. */
export const MAX_LISTED_STORES = 64;

/** Fills in the description of each image `keys` names that has none yet. */
export function describeImages(log: RunLog, trace: Trace, initial: Buffer, keys: Iterable<string>): void {
  const todo = [...new Set(keys)]
    .map((key) => ({ key, image: log.images.get(key)! }))
    .filter(({ image }) => image.class === undefined);
  if (todo.length === 0) return;
  const choices = todo.map(({ image }) => ({ ...parseReplayId(image.replayId), point: image.firstPoint }));
  visitChoices(trace, initial, choices, (i, tracker, choice) => {
    // An eadr image keeps every executed store: nothing is pending-and-chosen, nothing lost.
    const { keptUnits, lost } = choice.model === 'eadr' ? { keptUnits: [], lost: [] } : splitAt(tracker, choice);
    log.images.describe(todo[i]!.key, {
      class: classify(keptUnits, lost),
      lostLines: countLines(lost),
      lostUnits: lost.length,
      lostStores: storesOf(lost, trace, MAX_LISTED_STORES),
      keptStores: storesOf(keptUnits, trace, MAX_LISTED_STORES),
    });
  });
}

/** The number of distinct lines among `units`, which come grouped by line (as splitAt lists them). */
function countLines(units: readonly PendingUnit[]): number {
  let lines = 0;
  let last = -1;
  for (const u of units) {
    const line = lineOf(u.offset);
    if (line !== last) lines++;
    last = line;
  }
  return lines;
}
