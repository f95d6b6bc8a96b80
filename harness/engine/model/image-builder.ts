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
  for (const c of choices) {
    if (c.point > trace.events.length)
      throw new ChoiceMismatch(`crash point ${c.point} is past the end of the trace (${trace.events.length} events)`);
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

const copy = (units: readonly PendingUnit[]) => units.map((u) => ({ ...u }));

/** The image `choice` names at the tracker's point. */
function imageAt(tracker: PersistencyTracker, choice: ImageChoice, size: number): RebuiltImage {
  const composer = new CrashImageComposer(tracker);
  const pending = new Map(composer.pendingLines().map((l) => [l.line, l.units]));
  if (choice.model === 'eadr') {
    const all = composer.split(new Map(pending));
    return { image: Buffer.from(tracker.executed.subarray(0, size)), kept: copy(all.kept), lost: [] };
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
  return { image: composer.build(kept).subarray(0, size), kept: copy(keptUnits), lost: copy(lost) };
}

/** Traces with events of more than one thread (their stores name their thread, 0 included). */
const threaded = new WeakMap<Trace, boolean>();

function hasThreads(trace: Trace): boolean {
  let known = threaded.get(trace);
  if (known === undefined) threaded.set(trace, (known = trace.events.some((e) => (e.thread ?? 0) !== 0)));
  return known;
}

/**
 * The stores some units belong to, one entry per store (its units merged), in program order; at
 * most `max` of them, the earliest. In a trace of several threads each names its thread.
 * (engine.ts keeps a private copy of this; it can use this one.)
 */
export function storesOf(units: readonly PendingUnit[], trace: Trace, max = Infinity): LostStore[] {
  if (units.length === 0) return [];
  // units ordered by sequence number, then offset: one pass lists each store once with the bytes
  // of it these units cover (no Set per image: the engine calls this for every image it admits)
  const sorted = [...units].sort((x, y) => x.seq - y.seq || x.offset - y.offset);
  const out: LostStore[] = [];
  for (let i = 0; i < sorted.length && out.length < max; ) {
    const seq = sorted[i]!.seq;
    let from = sorted[i]!.offset;
    let to = from + sorted[i]!.data.length;
    for (i++; i < sorted.length && sorted[i]!.seq === seq; i++) {
      from = Math.min(from, sorted[i]!.offset);
      to = Math.max(to, sorted[i]!.offset + sorted[i]!.data.length);
    }
    const event = trace.events[seq]!;
    const whole = event.kind === 'store' ? { offset: event.offset, size: event.data.length } : { offset: 0, size: 0 };
    // A torn store (only some of its units here): the bytes here, and the whole store beside them.
    const part = whole.size > 0 && (from !== whole.offset || to - from !== whole.size);
    out.push({
      seq,
      ...(part ? { offset: from, size: to - from, store: whole } : whole),
      ...(event.site ? { site: event.site } : event.pc ? { pc: event.pc } : {}),
      ...(event.via ? { via: event.via } : {}),
      ...(hasThreads(trace) ? { thread: event.thread ?? 0 } : {}),
    });
  }
  return out;
}
