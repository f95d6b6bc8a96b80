// Pointers into the program stored in the pool. A position-independent program runs under QEMU at
// one load address and natively (its check) at another, so a function pointer or a C++ vtable
// pointer the traced run stored means something else to the check: crash images would fail for a
// reason that is not a persistency bug. pmfit cannot fix that; it says so once, with the store.
import type { StoreEvent, Trace } from '../core/api.js';
import { UNIT_BYTES } from '../core/geometry.js';
import { execText } from './driver.js';

/** The first store that wrote an address inside the program's loaded image, and that address. */
export interface CodePointer {
  store: StoreEvent;
  value: number;
}

/**
 * Finds the first aligned 8-byte word written to the pool whose value lies in [lo, hi): the main
 * binary's image as the traced run loaded it. One pass over the stores, no allocation per store.
 */
export function firstPointerInto(trace: Trace, lo: number, hi: number): CodePointer | undefined {
  const events = trace.events;
  for (let i = 0; i < events.length; i++) {
    if (!events.isStore(i) || events.size(i) < UNIT_BYTES) continue;
    const data = events.data(i);
    const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    // words aligned in the pool: the only ones a pointer field occupies
    for (
      let at = (UNIT_BYTES - (events.offset(i) % UNIT_BYTES)) % UNIT_BYTES;
      at + UNIT_BYTES <= data.length;
      at += UNIT_BYTES
    ) {
      const value = Number(view.getBigUint64(at, true));
      if (value >= lo && value < hi) return { store: events.get(i) as StoreEvent, value };
    }
  }
  return undefined;
}

/** The span of the binary's LOAD segments (link-time addresses), from `readelf -lW`. */
export async function loadSpan(binary: string): Promise<{ lo: number; hi: number } | undefined> {
  const text = await execText('readelf', ['-lW', binary]).catch(() => '');
  let lo = Infinity;
  let hi = 0;
  for (const line of text.split('\n')) {
    // LOAD  offset  virtaddr  physaddr  filesz  memsz  flags  align
    const m = /^\s*LOAD\s+0x[0-9a-f]+\s+0x([0-9a-f]+)\s+0x[0-9a-f]+\s+0x[0-9a-f]+\s+0x([0-9a-f]+)/i.exec(line);
    if (!m) continue;
    const start = Number.parseInt(m[1]!, 16);
    lo = Math.min(lo, start);
    hi = Math.max(hi, start + Number.parseInt(m[2]!, 16));
  }
  return hi > lo ? { lo, hi } : undefined;
}

/**
 * The note for a position-independent program (its load bias `mainBase` is not 0) that stored a
 * pointer into itself in the pool; undefined otherwise.
 */
export async function codePointerNote(trace: Trace, binary: string, program: string): Promise<string | undefined> {
  const bias = trace.header.mainBase ?? 0;
  if (bias === 0) return undefined;
  const span = await loadSpan(binary);
  if (!span) return undefined;
  const found = firstPointerInto(trace, bias + span.lo, bias + span.hi);
  if (!found) return undefined;
  const where = found.store.site ? ` at ${found.store.site}` : '';
  return `a store${where} (#${found.store.seq}) wrote 0x${found.value.toString(16)} into the pool, an address inside ${program} as the tracer loaded it (a function or vtable pointer?): a position-independent program loads elsewhere when its check runs, so such a pointer means something else there — build it with -no-pie, or store offsets instead of pointers`;
}
