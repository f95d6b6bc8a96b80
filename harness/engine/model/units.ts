// x86 memory granularity: 64-byte cache lines made of 8-byte atomic units.
// A store is split into per-line pieces; a piece that fits in one aligned 8-byte unit is atomic,
// a wider or unaligned one is split at 8-byte boundaries into units that may persist separately.
import type { StoreEvent } from '../../../core/api.js';

import { LINE_BYTES, UNIT_BYTES } from '../../../core/geometry.js';

export { LINE_BYTES, UNIT_BYTES };

/** The part of one store that lands in one 8-byte unit: the smallest thing that persists alone. */
export interface StoreUnit {
  /** The store's sequence number. */
  seq: number;
  /** Index of the unit within the store (0-based), to tell a torn store from a whole one. */
  part: number;
  /** Number of units the store was split into. */
  parts: number;
  offset: number;
  data: Uint8Array;
  nonTemporal: boolean;
}

export function lineOf(offset: number): number {
  return Math.floor(offset / LINE_BYTES);
}

/** Splits a store into its 8-byte units, in address order. */
export function splitStore(store: StoreEvent): StoreUnit[] {
  return splitStoreBytes(store.seq, store.offset, store.data, store.nonTemporal);
}

/** Splits the store `seq` of `data` at `offset` (a view into the trace's arena: units view it too). */
export function splitStoreBytes(seq: number, offset: number, data: Uint8Array, nonTemporal: boolean): StoreUnit[] {
  const units: StoreUnit[] = [];
  const end = offset + data.length;
  for (let at = offset; at < end; ) {
    const unitEnd = Math.min(end, (Math.floor(at / UNIT_BYTES) + 1) * UNIT_BYTES);
    units.push({
      seq,
      part: units.length,
      parts: 0,
      offset: at,
      data: data.subarray(at - offset, unitEnd - offset),
      nonTemporal,
    });
    at = unitEnd;
  }
  for (const u of units) u.parts = units.length;
  return units;
}
