// What `pmfit icount` needs of a traced run: the tracer's counts and the notes a person should see
// (a fork, a code pointer stored in the pool, a run traced whole for want of markers). The counts
// come from the tracer's summary; the notes from one pass over the trace file (trace-scan.ts), never
// from the trace read into events, so the command costs little more than the tracer itself whatever
// the number of events. Only a run that did store a code pointer reads its trace in full, to name
// the store's line exactly as `pmfit check` does.
import type { TracerSummary } from './driver.js';
import { codePointerNote, loadSpan } from './code-pointers.js';
import {
  type NativeTarget,
  WHOLE_RUN_NOTE,
  readAttributedTrace,
  runNotes,
  runTraced,
  wholeRunTraced,
  type WorkingPools,
} from './target.js';
import { type AddressRange, scanTrace } from './trace-scan.js';

export interface CountedTarget {
  summary: TracerSummary;
  notes: string[];
  /** Set when the whole run was traced for want of markers or --from/--to (target.ts, WHOLE_RUN_NOTE). */
  wholeRunNote?: string;
}

/** Runs the program once under the tracer on the working pool; returns its counts and notes. */
export async function countTarget(
  target: NativeTarget,
  binary: string,
  working: WorkingPools,
  dir: string,
): Promise<CountedTarget> {
  // readelf reads the binary while the program runs (loadSpan never rejects)
  const [{ out, summary }, span] = await Promise.all([runTraced(target, binary, working, dir), loadSpan(binary)]);
  const scan = scanTrace(out, loadedImage(span, summary.mainBase));
  const pointer = scan.codePointer
    ? await codePointerNote(await readAttributedTrace(out, binary), binary, target.program)
    : undefined;
  return {
    summary,
    notes: [...runNotes(target, summary), ...(pointer ? [pointer] : [])],
    ...(wholeRunTraced(scan.header.window, scan.windowMarkers) ? { wholeRunNote: WHOLE_RUN_NOTE } : {}),
  };
}

/**
 * The main binary's addresses as the tracer loaded it, when it is position-independent (a load
 * bias): a pointer into that range means something else when a check runs the program natively.
 */
function loadedImage(span: { lo: number; hi: number } | undefined, mainBase: number): AddressRange | undefined {
  if (mainBase === 0 || !span) return undefined;
  return { lo: mainBase + span.lo, hi: mainBase + span.hi };
}
