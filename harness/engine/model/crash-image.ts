// Composes adr crash images at the tracker's current crash point: the durable image plus, for each
// pending line, a prefix (in program order) of its pending units. A candidate is described by its
// per-line choices, never copied: digests are derived from the durable digest (or from the digest
// with every pending unit kept) by swapping in the chosen lines' hashes, and its image is the
// durable journal's current position plus the lines it changes. One composer follows a tracker for
// the whole walk; what it caches per line is recomputed only when that line changes.
import type { LineImage } from '../../../core/api.js';
import { mixLineBytes } from './image-hash.js';
import { lineImage } from './line-journal.js';
import type { PendingUnit, PersistencyTracker } from './persistency-tracker.js';
import { LINE_BYTES } from './units.js';

/** What lines not listed keep: none of their pending units, or all of them. */
export type Rest = 'none' | 'all';

/** Per pending line: its units, and for each prefix length 0..n the line's content and its hash. */
interface LinePrefixes {
  version: number;
  units: readonly PendingUnit[];
  hashes: Uint32Array[];
  contents: Uint8Array[];
}

export interface PendingLine {
  line: number;
  units: number;
}

const composers = new WeakMap<PersistencyTracker, CrashImageComposer>();

export class CrashImageComposer {
  private readonly cache = new Map<number, LinePrefixes>();
  private pointVersion = -1;
  private lines: PendingLine[] = [];
  private unitCounts = new Map<number, number>();
  private sortedVersion = -1;
  private sorted = new Float64Array(0);

  constructor(private readonly tracker: PersistencyTracker) {}

  /** The composer that follows `tracker` (one per tracker, so its caches carry over between points). */
  static of(tracker: PersistencyTracker): CrashImageComposer {
    let composer = composers.get(tracker);
    if (!composer) composers.set(tracker, (composer = new CrashImageComposer(tracker)));
    return composer;
  }

  /** The pending lines at the current point, ascending, with their unit counts. */
  pendingLines(): readonly PendingLine[] {
    this.refresh();
    return this.lines;
  }

  /** Each pending line's unit count, as replay ids need them. */
  units(): ReadonlyMap<number, number> {
    this.refresh();
    return this.unitCounts;
  }

  /** The lines with pending units, ascending; re-sorted only when a line joins or leaves the set. */
  sortedLines(): Float64Array {
    if (this.sortedVersion !== this.tracker.pendingSetVersion) {
      this.sortedVersion = this.tracker.pendingSetVersion;
      this.sorted = Float64Array.from(this.tracker.pendingLines.keys()).sort();
    }
    return this.sorted;
  }

  /** The digest of the image keeping `kept.get(L)` pending units of each listed line L, `rest` of the others. */
  digest(kept: ReadonlyMap<number, number>, rest: Rest = 'none'): Uint32Array {
    const acc = Uint32Array.from(rest === 'all' ? this.allDigest() : this.tracker.durableDigest);
    for (const [line, k] of kept) this.swap(acc, line, rest, k);
    return acc;
  }

  /** The digest of the image keeping `rest` of every line but `k` units of `line`: one line's work. */
  digestWith(rest: Rest, line: number, k: number): Uint32Array {
    const acc = Uint32Array.from(rest === 'all' ? this.allDigest() : this.tracker.durableDigest);
    this.swap(acc, line, rest, k);
    return acc;
  }

  /** The image as the durable journal's current position plus the lines it changes. */
  image(kept: ReadonlyMap<number, number>, rest: Rest, size: number): LineImage {
    const journal = this.tracker.journals.durable;
    if (!journal) throw new Error('the tracker keeps no durable journal: images can only be built whole');
    const lines: number[] = [];
    const contents: Uint8Array[] = [];
    if (rest === 'none') {
      for (const line of [...kept.keys()].sort((a, b) => a - b)) {
        const k = kept.get(line)!;
        if (k > 0) {
          lines.push(line);
          contents.push(this.prefixes(line).contents[k]!);
        }
      }
    } else {
      const pending = this.tracker.pendingLines;
      for (const line of this.sortedLines()) {
        const units = pending.get(line)!.length;
        const k = kept.get(line) ?? units;
        if (k > 0) {
          lines.push(line);
          contents.push(this.prefixes(line).contents[k]!);
        }
      }
    }
    return lineImage(journal, size, lines, contents);
  }

  /** A fresh copy of the image. */
  build(kept: ReadonlyMap<number, number>, rest: Rest = 'none'): Buffer {
    const image = Buffer.from(this.tracker.durable);
    for (const [line, units] of this.tracker.pendingLines) {
      const k = kept.get(line) ?? (rest === 'all' ? units.length : 0);
      if (k > 0) image.set(this.prefixes(line).contents[k]!, line * LINE_BYTES);
    }
    return image;
  }

  /** The pending units the image keeps and the ones it loses. */
  split(kept: ReadonlyMap<number, number>, rest: Rest = 'none'): { kept: PendingUnit[]; lost: PendingUnit[] } {
    const out = { kept: [] as PendingUnit[], lost: [] as PendingUnit[] };
    for (const [line, units] of this.tracker.pendingLines) {
      const k = kept.get(line) ?? (rest === 'all' ? units.length : 0);
      units.forEach((u, i) => (i < k ? out.kept : out.lost).push(u));
    }
    return out;
  }

  /** Replaces `line`'s hash for what `rest` keeps of it by its hash keeping `k` units. */
  private swap(acc: Uint32Array, line: number, rest: Rest, k: number): void {
    const p = this.prefixes(line);
    const from = p.hashes[rest === 'all' ? p.units.length : 0]!;
    const to = p.hashes[k]!;
    if (from === to) return;
    for (let lane = 0; lane < 4; lane++) acc[lane] = (acc[lane]! - from[lane]! + to[lane]!) >>> 0;
  }

  /**
   * The digest of the image keeping every pending unit: the executed image, whose digest the
   * tracker keeps (each line's durable bytes plus all its pending units are its executed bytes).
   */
  private allDigest(): Uint32Array {
    return this.tracker.executedDigest;
  }

  /** Brings the per-point views up to date when the tracker changed since they were made. */
  private refresh(): void {
    if (this.pointVersion === this.tracker.version) return;
    this.pointVersion = this.tracker.version;
    const pending = this.tracker.pendingLines;
    this.lines = Array.from(this.sortedLines(), (line) => ({ line, units: pending.get(line)!.length }));
    this.unitCounts = new Map(this.lines.map((l) => [l.line, l.units]));
    this.prune();
  }

  /** Forgets lines no longer pending (never asked for again at their current version), amortized. */
  private prune(): void {
    const pending = this.tracker.pendingLines;
    if (this.cache.size <= 2 * pending.size + 64) return;
    for (const line of this.cache.keys()) if (!pending.has(line)) this.cache.delete(line);
  }

  /** How many pending units `line` holds (0 when none). */
  unitsOf(line: number): number {
    return this.tracker.pendingLines.get(line)?.length ?? 0;
  }

  /** How many images the model allows here: the product over pending lines of (units + 1). */
  stateSpace(): number {
    let space = 1;
    for (const units of this.tracker.pendingLines.values()) space *= units.length + 1;
    return space;
  }

  /** How many lines are pending. */
  pendingCount(): number {
    return this.tracker.pendingLines.size;
  }

  private prefixes(line: number): LinePrefixes {
    const version = this.tracker.lineVersion(line);
    const cached = this.cache.get(line);
    if (cached && cached.version === version) return cached;
    const units = this.tracker.pendingLines.get(line) ?? [];
    const bytes = Buffer.from(this.tracker.durable.subarray(line * LINE_BYTES, (line + 1) * LINE_BYTES));
    const contents: Uint8Array[] = [Uint8Array.from(bytes)];
    const hashes = [lineHash(line, bytes)];
    for (const u of units) {
      bytes.set(u.data, u.offset - line * LINE_BYTES);
      contents.push(Uint8Array.from(bytes));
      hashes.push(lineHash(line, bytes));
    }
    const fresh = { version, units, hashes, contents };
    this.cache.set(line, fresh);
    this.prune();
    return fresh;
  }
}

function lineHash(line: number, bytes: Uint8Array): Uint32Array {
  const acc = new Uint32Array(4);
  mixLineBytes(acc, line, bytes, 1);
  return acc;
}
