// QEMU reports a wide store (SSE/AVX) as several 8-byte accesses of one instruction. For the model
// they are one store — the thing that may tear — so consecutive store events with the same pc and
// instruction count and adjacent bytes are merged back into one, and sequence numbers renumbered.
import type { StoreEvent, TraceEvent } from '../core/api.js';

export function coalesceInstructionStores(events: readonly TraceEvent[]): TraceEvent[] {
  const out: TraceEvent[] = [];
  for (const event of events) {
    const last = out[out.length - 1];
    if (event.kind === 'store' && last?.kind === 'store' && sameInstruction(last, event)) {
      out[out.length - 1] = merge(last, event);
      continue;
    }
    out.push({ ...event, seq: out.length });
  }
  return out;
}

function sameInstruction(a: StoreEvent, b: StoreEvent): boolean {
  return (
    a.pc !== 0 &&
    a.pc === b.pc &&
    (a.thread ?? 0) === (b.thread ?? 0) &&
    a.icount === b.icount &&
    a.nonTemporal === b.nonTemporal &&
    a.pool === b.pool &&
    (a.offset + a.data.length === b.offset || b.offset + b.data.length === a.offset)
  );
}

function merge(a: StoreEvent, b: StoreEvent): StoreEvent {
  const [low, high] = a.offset < b.offset ? [a, b] : [b, a];
  const data = new Uint8Array(low.data.length + high.data.length);
  data.set(low.data, 0);
  data.set(high.data, low.data.length);
  return { ...a, offset: low.offset, data };
}
