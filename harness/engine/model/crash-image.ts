// Composes adr crash images at the tracker's current crash point: the durable image plus, for each
// pending line, a prefix (in program order) of its pending units. Digests are derived from the
// durable digest by swapping in the chosen lines' hashes, so a candidate costs only its lines.
import { mixLineBytes } from './image-hash.js';
import type { PendingUnit, PersistencyTracker } from './persistency-tracker.js';
import { LINE_BYTES } from './units.js';

/** Per pending line: its units and the hash of its content for each prefix length 0..n. */
interface LinePrefixes {
  version: number;
  units: readonly PendingUnit[];
  hashes: Uint32Array[];
}

export class CrashImageComposer {
  private readonly cache = new Map<number, LinePrefixes>();

  constructor(private readonly tracker: PersistencyTracker) {}

  /** The pending lines at the current point, ascending, with their unit counts. */
  pendingLines(): Array<{ line: number; units: number }> {
    const lines = [...this.tracker.pendingLines].map(([line, units]) => ({ line, units: units.length }));
    return lines.sort((a, b) => a.line - b.line);
  }

  /** The digest of the image keeping `kept.get(L)` pending units of each line L. */
  digest(kept: ReadonlyMap<number, number>): Uint32Array {
    const acc = Uint32Array.from(this.tracker.durableDigest);
    for (const [line, k] of kept) {
      if (k === 0) continue;
      const prefixes = this.prefixes(line);
      for (let lane = 0; lane < 4; lane++)
        acc[lane] = (acc[lane]! - prefixes.hashes[0]![lane]! + prefixes.hashes[k]![lane]!) >>> 0;
    }
    return acc;
  }

  /** A fresh copy of the image keeping `kept` units per line. */
  build(kept: ReadonlyMap<number, number>): Buffer {
    const image = Buffer.from(this.tracker.durable);
    for (const [line, k] of kept)
      for (const u of this.tracker.pendingLines.get(line)!.slice(0, k)) image.set(u.data, u.offset);
    return image;
  }

  /** The pending units the image keeps and the ones it loses. */
  split(kept: ReadonlyMap<number, number>): { kept: PendingUnit[]; lost: PendingUnit[] } {
    const out = { kept: [] as PendingUnit[], lost: [] as PendingUnit[] };
    for (const [line, units] of this.tracker.pendingLines) {
      const k = kept.get(line) ?? 0;
      units.forEach((u, i) => (i < k ? out.kept : out.lost).push(u));
    }
    return out;
  }

  private prefixes(line: number): LinePrefixes {
    const version = this.tracker.lineVersion(line);
    const cached = this.cache.get(line);
    if (cached && cached.version === version) return cached;
    const units = this.tracker.pendingLines.get(line) ?? [];
    const bytes = Buffer.from(this.tracker.durable.subarray(line * LINE_BYTES, (line + 1) * LINE_BYTES));
    const hashes = [lineHash(line, bytes)];
    for (const u of units) {
      bytes.set(u.data, u.offset - line * LINE_BYTES);
      hashes.push(lineHash(line, bytes));
    }
    const fresh = { version, units, hashes };
    this.cache.set(line, fresh);
    return fresh;
  }
}

function lineHash(line: number, bytes: Uint8Array): Uint32Array {
  const acc = new Uint32Array(4);
  mixLineBytes(acc, line, bytes, 1);
  return acc;
}
