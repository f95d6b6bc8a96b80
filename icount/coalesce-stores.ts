// QEMU reports a wide store (SSE/AVX) as several 8-byte accesses of one instruction. For the model
// they are one store — the thing that may tear — so consecutive store events with the same pc and
// instruction count and adjacent bytes are merged back into one, and sequence numbers renumbered.
import type { EventTable } from '../core/trace/event-table.js';

/** Merges each instruction's store pieces, in place (the table is returned). */
export function coalesceInstructionStores(events: EventTable): EventTable {
  return events.mergeStores((a, b) => sameInstruction(events, a, b));
}

function sameInstruction(events: EventTable, a: number, b: number): boolean {
  return (
    events.pc(a) !== 0 &&
    events.pc(a) === events.pc(b) &&
    events.thread(a) === events.thread(b) &&
    events.icount(a) === events.icount(b) &&
    events.nonTemporal(a) === events.nonTemporal(b) &&
    events.pool(a) === events.pool(b)
  );
}
