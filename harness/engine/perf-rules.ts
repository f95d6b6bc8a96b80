// Performance findings from the trace alone, like pmemcheck's: flushes and fences that do no
// work, and stores the snippet never made durable. They never change a verdict.
import type { PerfFinding, Trace } from '../../core/api.js';
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
  const flushedSinceStore = new Set<number>();
  const out: PerfFinding[] = [];
  const note = (kind: PerfFinding['kind'], e: Trace['events'][number]) =>
    out.push({ kind, event: eventRef(e), count: 1 });

  for (const e of trace.events) {
    if (e.kind === 'store') {
      for (let line = lineOf(e.offset); line <= lineOf(e.offset + e.data.length - 1); line++)
        flushedSinceStore.delete(line);
    } else if (e.kind === 'flush') {
      const line = lineOf(e.offset);
      if (flushedSinceStore.has(line)) note('redundant-flush', e);
      else if (!tracker.pendingLines.has(line)) note('clean-flush', e);
      flushedSinceStore.add(line);
    } else if (e.kind === 'fence' && e.fenceKind !== 'locked' && tracker.linesAwaitingFence.size === 0) {
      // A locked read-modify-write (a CAS, a lock) orders stores for the model, but it is there to
      // synchronise threads, not to persist: flagging it idle would only be noise (every lock).
      note('idle-fence', e);
    }
    tracker.apply(e);
  }
  const never = [...new Set([...tracker.pendingLines.values()].flat().map((u) => u.seq))].sort((a, b) => a - b);
  for (const seq of never) note('never-durable', trace.events[seq]!);
  return out;
}
