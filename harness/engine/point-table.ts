// The crash points a run checked (RunLog.points), column by column: a handful of typed arrays and
// one flat list of image keys, so a point costs ~37 bytes and 8 more per image key it adds — where
// a PointRecord object with its own key array cost ~340. Consecutive points that show the same
// images (the engine hands the same array again while nothing pending changed) share one range of
// the key list. The event before a point is kept only for the few points described (failing ones).
// Iterating or `atPoint` materializes PointRecords; JSON.stringify writes exactly those records.
import type { EventRef, PointList, PointRecord } from '../../core/api.js';

const INITIAL_ROWS = 64;
const PARTIAL = 1;
const HAS_ALLOWED = 2;

export class PointTable implements PointList {
  private rows = 0;
  private indexes = new Float64Array(INITIAL_ROWS);
  private icountFroms = new Float64Array(INITIAL_ROWS);
  private icountTos = new Float64Array(INITIAL_ROWS);
  private stateSpaces = new Float64Array(INITIAL_ROWS);
  private keyStarts = new Uint32Array(INITIAL_ROWS);
  private keyCounts = new Uint32Array(INITIAL_ROWS);
  private flags = new Uint8Array(INITIAL_ROWS);
  /** ops oracle only: [from, to] per row, allocated with the first point that has them. */
  private allowed: Uint32Array | undefined;
  private readonly keys: string[] = [];
  /** The image list pushed last, by reference: the next point reuses its range when handed the same one. */
  private lastImages: readonly string[] | undefined;
  private readonly lastEvents = new Map<number, EventRef>();

  /** A table of `records`, which must be in ascending crash-point order (a merge sorts them first). */
  static from(records: Iterable<PointRecord>): PointTable {
    const table = new PointTable();
    for (const record of records) {
      table.push(record);
      if (record.lastEvent) table.describe(record.index, record.lastEvent);
    }
    return table;
  }

  get length(): number {
    return this.rows;
  }

  /** Appends the next crash point (ascending). `images` is shared, not copied, when it is the previous point's array. */
  push(record: Omit<PointRecord, 'lastEvent'>): void {
    if (this.rows > 0 && record.index <= this.indexes[this.rows - 1]!)
      throw new RangeError(`crash point ${record.index} comes after point ${this.indexes[this.rows - 1]}`);
    if (this.rows === this.indexes.length) this.grow();
    const i = this.rows++;
    this.indexes[i] = record.index;
    this.icountFroms[i] = record.icountFrom;
    this.icountTos[i] = record.icountTo;
    this.stateSpaces[i] = record.stateSpace;
    if (i > 0 && record.images === this.lastImages) {
      this.keyStarts[i] = this.keyStarts[i - 1]!;
      this.keyCounts[i] = this.keyCounts[i - 1]!;
    } else {
      this.keyStarts[i] = this.keys.length;
      this.keyCounts[i] = record.images.length;
      for (const key of record.images) this.keys.push(key);
      this.lastImages = record.images;
    }
    let flags = record.partial ? PARTIAL : 0;
    if (record.allowed) {
      this.allowed ??= new Uint32Array(this.indexes.length * 2);
      this.allowed[2 * i] = record.allowed[0];
      this.allowed[2 * i + 1] = record.allowed[1];
      flags |= HAS_ALLOWED;
    }
    this.flags[i] = flags;
  }

  /** The record of crash point `index`, if the run checked it (a binary search: shards skip points). */
  atPoint(index: number): PointRecord | undefined {
    const row = this.rowOf(index);
    return row < 0 ? undefined : this.record(row);
  }

  /** Keeps the event before crash point `index` (only points with a failing image are described). */
  describe(index: number, lastEvent: EventRef): void {
    const row = this.rowOf(index);
    if (row < 0) throw new RangeError(`crash point ${index} is not in the log`);
    this.lastEvents.set(row, lastEvent);
  }

  /** Images shown at each point, summed (without making a record per point). */
  get imageCount(): number {
    let n = 0;
    for (let i = 0; i < this.rows; i++) n += this.keyCounts[i]!;
    return n;
  }

  get stateSpace(): number {
    let n = 0;
    for (let i = 0; i < this.rows; i++) n += this.stateSpaces[i]!;
    return n;
  }

  /** The crash points exhaustive could only sample. */
  partialPoints(): number[] {
    const out: number[] = [];
    for (let i = 0; i < this.rows; i++) if (this.flags[i]! & PARTIAL) out.push(this.indexes[i]!);
    return out;
  }

  *[Symbol.iterator](): Iterator<PointRecord> {
    for (let i = 0; i < this.rows; i++) yield this.record(i);
  }

  /** The records, for JSON: the same objects, key for key, a log of PointRecord objects would write. */
  toJSON(): PointRecord[] {
    return [...this];
  }

  private record(i: number): PointRecord {
    const start = this.keyStarts[i]!;
    const lastEvent = this.lastEvents.get(i);
    // key order as the engine's records had it (lastEvent was added last, by the judge)
    return {
      index: this.indexes[i]!,
      icountFrom: this.icountFroms[i]!,
      icountTo: this.icountTos[i]!,
      images: this.keys.slice(start, start + this.keyCounts[i]!),
      stateSpace: this.stateSpaces[i]!,
      partial: (this.flags[i]! & PARTIAL) !== 0,
      ...(this.flags[i]! & HAS_ALLOWED ? { allowed: [this.allowed![2 * i]!, this.allowed![2 * i + 1]!] } : {}),
      ...(lastEvent ? { lastEvent } : {}),
    } as PointRecord;
  }

  private rowOf(index: number): number {
    let lo = 0;
    let hi = this.rows - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const at = this.indexes[mid]!;
      if (at === index) return mid;
      if (at < index) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }

  private grow(): void {
    const rows = this.indexes.length * 2;
    this.indexes = grown(this.indexes, rows);
    this.icountFroms = grown(this.icountFroms, rows);
    this.icountTos = grown(this.icountTos, rows);
    this.stateSpaces = grown(this.stateSpaces, rows);
    this.keyStarts = grown(this.keyStarts, rows);
    this.keyCounts = grown(this.keyCounts, rows);
    this.flags = grown(this.flags, rows);
    if (this.allowed) this.allowed = grown(this.allowed, rows * 2);
  }
}

function grown<T extends Float64Array | Uint32Array | Uint8Array>(column: T, length: number): T {
  const out = new (column.constructor as new (n: number) => T)(length);
  out.set(column as never);
  return out;
}
