// Rebuilds crash images from their choices alone (replay, saved failures, the oracles' reference
// images) with the engine's own parts: the tracker walks the trace to the crash point and the
// composer the strategies use builds the image, so a replayed image is the checked one, byte for byte.
import type { LostStore, Trace } from '../../../core/api.js';
import type { ImageChoice } from '../replay-id.js';
import { CrashImageComposer } from './crash-image.js';
import { hashImage, paddedImage } from './image-hash.js';
import { type PendingUnit, PersistencyTracker } from './persistency-tracker.js';

export interface RebuiltImage {
  /** The image, exactly the pool's size. */
  image: Buffer;
  /** Copies of the pending units it kept and lost. */
  kept: PendingUnit[];
  lost: PendingUnit[];
}

/** A choice that does not fit the trace: past its end, or naming units a line does not have. */
export class ChoiceMismatch extends RangeError {
  override name = 'ChoiceMismatch';
}

export function rebuildImage(trace: Trace, initial: Buffer, choice: ImageChoice): RebuiltImage {
  return rebuildImages(trace, initial, [choice])[0]!;
}

/** Rebuilds several images (in the order given) from one walk over the trace. */
export function rebuildImages(trace: Trace, initial: Buffer, choices: readonly ImageChoice[]): RebuiltImage[] {
  const out: RebuiltImage[] = [];
  visitChoices(trace, initial, choices, (i, tracker, choice) => {
    const { kept, keptUnits, lost } = splitAt(tracker, choice);
    const image =
      choice.model === 'eadr'
        ? Buffer.from(tracker.executed.subarray(0, initial.length))
        : CrashImageComposer.of(tracker).build(kept).subarray(0, initial.length);
    out[i] = { image, kept: copy(keptUnits), lost: copy(lost) };
  });
  return out;
}

/**
 * Calls `visit` for each choice (given as its index) with the tracker at the choice's crash point,
 * walking the trace once; what `visit` reads of the tracker is valid only during the call.
 */
export function visitChoices(
  trace: Trace,
  initial: Buffer,
  choices: readonly ImageChoice[],
  visit: (index: number, tracker: PersistencyTracker, choice: ImageChoice) => void,
): void {
  for (const c of choices) {
    if (c.point > trace.events.length)
      throw new ChoiceMismatch(`crash point ${c.point} is past the end of the trace (${trace.events.length} events)`);
  }
  const padded = paddedImage(initial);
  const tracker = new PersistencyTracker(padded, hashImage(padded));
  const order = choices.map((c, i) => ({ c, i })).sort((a, b) => a.c.point - b.c.point);
  let applied = 0;
  for (const { c, i } of order) {
    for (; applied < c.point; applied++) tracker.applyAt(trace.events, applied);
    visit(i, tracker, c);
  }
}

const copy = (units: readonly PendingUnit[]) => units.map((u) => ({ ...u }));

/**
 * The pending units `choice` keeps and loses at the tracker's point (views of the tracker's own
 * units), and its per-line kept counts. An eadr image keeps every pending unit.
 */
export function splitAt(
  tracker: PersistencyTracker,
  choice: ImageChoice,
): { kept: Map<number, number>; keptUnits: PendingUnit[]; lost: PendingUnit[] } {
  const composer = CrashImageComposer.of(tracker);
  const pending = composer.units();
  if (choice.model === 'eadr') {
    const all = new Map(pending);
    return { kept: all, keptUnits: composer.split(all).kept, lost: [] };
  }
  for (const [line, k] of choice.kept) {
    const units = pending.get(line);
    if (units === undefined)
      throw new ChoiceMismatch(
        `line ${line} has no pending units at crash point ${choice.point} (pending lines: ${[...pending.keys()].join(', ') || 'none'})`,
      );
    if (k > units)
      throw new ChoiceMismatch(
        `line ${line} has ${units} pending units at crash point ${choice.point}, the id keeps ${k}`,
      );
  }
  const kept = new Map(
    [...pending].map(([line, units]) => [line, choice.kept.get(line) ?? (choice.rest === 'all' ? units : 0)]),
  );
  const { kept: keptUnits, lost } = composer.split(kept);
  return { kept, keptUnits, lost };
}

/** The units of the `max` earliest stores among `units` (all of them when there are no more). */
function firstStores(units: readonly PendingUnit[], max: number): PendingUnit[] {
  if (units.length <= max) return [...units];
  const seqs = new Float64Array(units.length);
  units.forEach((u, i) => (seqs[i] = u.seq));
  seqs.sort();
  // the max-th distinct sequence number: every unit of a store at or before it is listed
  let distinct = 0;
  let last = -1;
  let bound = seqs[seqs.length - 1]!;
  for (const seq of seqs) {
    if (seq === last) continue;
    last = seq;
    if (++distinct === max) {
      bound = seq;
      break;
    }
  }
  return units.filter((u) => u.seq <= bound);
}

/** Traces with events of more than one thread (their stores name their thread, 0 included). */
/**
 * The stores some units belong to, one entry per store (its units merged), in program order; at
 * most `max` of them, the earliest. In a trace of several threads each names its thread.
 * (engine.ts keeps a private copy of this; it can use this one.)
 */
export function storesOf(units: readonly PendingUnit[], trace: Trace, max = Infinity): LostStore[] {
  if (units.length === 0) return [];
  // units ordered by sequence number, then offset: one pass lists each store once with the bytes
  // of it these units cover. Only the units of the first `max` stores are sorted: a strict image
  // late in a long run loses thousands of units, and only 64 stores are listed.
  const sorted = firstStores(units, max).sort((x, y) => x.seq - y.seq || x.offset - y.offset);
  const out: LostStore[] = [];
  for (let i = 0; i < sorted.length && out.length < max; ) {
    const seq = sorted[i]!.seq;
    let from = sorted[i]!.offset;
    let to = from + sorted[i]!.data.length;
    for (i++; i < sorted.length && sorted[i]!.seq === seq; i++) {
      from = Math.min(from, sorted[i]!.offset);
      to = Math.max(to, sorted[i]!.offset + sorted[i]!.data.length);
    }
    const events = trace.events;
    const whole = events.isStore(seq) ? { offset: events.offset(seq), size: events.size(seq) } : { offset: 0, size: 0 };
    const site = events.site(seq);
    const pc = events.pc(seq);
    const via = events.via(seq);
    // A torn store (only some of its units here): the bytes here, and the whole store beside them.
    const part = whole.size > 0 && (from !== whole.offset || to - from !== whole.size);
    out.push({
      seq,
      ...(part ? { offset: from, size: to - from, store: whole } : whole),
      ...(site ? { site } : pc ? { pc } : {}),
      ...(via ? { via } : {}),
      ...(events.hasThreads ? { thread: events.thread(seq) } : {}),
    });
  }
  return out;
}
