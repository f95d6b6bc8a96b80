// QEMU reports a wide store (SSE/AVX) as several 8-byte accesses of one instruction. For the model
// they are one store — the thing that may tear — so consecutive store events with the same pc and
// instruction count and adjacent bytes are merged back into one, and sequence numbers renumbered.
import { EventTable } from '../core/trace/event-table.js';

/** A new table with each instruction's store pieces merged (the input table is left as it was). */
export function coalesceInstructionStores(events: EventTable): EventTable {
  const out = new EventTable();
  for (let i = 0; i < events.length; ) {
    if (!events.isStore(i)) {
      out.appendFrom(events, i++);
      continue;
    }
    // the run of pieces of one instruction that starts at i: each piece adjacent to the bytes so far
    let low = events.offset(i);
    let high = low + events.size(i);
    let end = i + 1;
    for (; end < events.length && sameInstruction(events, i, end); end++) {
      const offset = events.offset(end);
      if (offset === high) high += events.size(end);
      else if (offset + events.size(end) === low) low = offset;
      else break;
    }
    if (end === i + 1) {
      out.appendFrom(events, i++);
      continue;
    }
    const data = new Uint8Array(high - low);
    for (let k = i; k < end; k++) data.set(events.data(k), events.offset(k) - low);
    out.appendFrom(events, i, { offset: low, data });
    i = end;
  }
  return out.seal();
}

function sameInstruction(events: EventTable, a: number, b: number): boolean {
  return (
    events.isStore(b) &&
    events.pc(a) !== 0 &&
    events.pc(a) === events.pc(b) &&
    events.icount(a) === events.icount(b) &&
    events.nonTemporal(a) === events.nonTemporal(b) &&
    events.pool(a) === events.pool(b)
  );
}
