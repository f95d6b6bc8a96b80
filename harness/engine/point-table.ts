// The crash points a run checked (RunLog.points), column by column: a handful of typed arrays and
// one flat list of image numbers (in the run's ImageTable, which knows their keys). Consecutive
// points that show the same images (the engine hands the same list again while nothing pending
// changed) share one entry of the image lists (a range of the number list, the state space,
// partial), so a point costs 24 bytes, and a new list 17 bytes and 4 per image — where a
// PointRecord object with its own key array cost ~340. The event before a point is kept only for
// the few points described (failing ones).
// Iterating or `atPoint` materializes PointRecords; JSON.stringify writes exactly those records.
import type { EventRef, PointList, PointRecord, PointShape } from '../../core/api.js';
import type { ImageTable } from './image-table.js';

const INITIAL_ROWS = 64;
const PARTIAL = 1;
/** An `allowed` slot of a point that has none (ops: every point of a run has them, or none does). */
const NO_ALLOWED = 0xffffffff;
/** Crash point numbers are kept in 32 bits (a trace of 4 billion events does not fit in memory anyway). */
const MAX_INDEX = 0xfffffffe;

export class PointTable implements PointList {
  private rows = 0;
  private indexes = new Uint32Array(INITIAL_ROWS);
  private icountFroms = new Float64Array(INITIAL_ROWS);
  private icountTos = new Float64Array(INITIAL_ROWS);
  /** Which image list each point shows. */
  private listIds = new Uint32Array(INITIAL_ROWS);
  private lists = 0;
  private keyStarts = new Uint32Array(INITIAL_ROWS);
  private keyCounts = new Uint32Array(INITIAL_ROWS);
  private stateSpaces = new Float64Array(INITIAL_ROWS);
  private listFlags = new Uint8Array(INITIAL_ROWS);
  /** ops oracle only: [from, to] per point, allocated with the first point that has them. */
  private allowed: Uint32Array | undefined;
  /** The image numbers of every list, one after another. */
  private imageIds = new Uint32Array(INITIAL_ROWS);
  private imageIdCount = 0;
  /** The image list pushed last, by reference: the next point shares its entry when handed the same one. */
  private lastList: { ids: readonly number[]; stateSpace: number; partial: boolean } | undefined;
  private readonly lastEvents = new Map<number, EventRef>();

  /** `images`: the run's images, which the points' image numbers refer to. */
  constructor(private readonly images: ImageTable) {}

  /**
   * A table of `records`, which must be in ascending crash-point order (a merge sorts them first),
   * whose image keys are all in `images`.
   */
  static from(records: Iterable<PointRecord>, images: ImageTable): PointTable {
    const table = new PointTable(images);
    for (const record of records) {
      table.push(record);
      if (record.lastEvent) table.describe(record.index, record.lastEvent);
    }
    return table;
  }

  get length(): number {
    return this.rows;
  }

  /** Appends the next crash point (ascending), its images by key. */
  push(record: Omit<PointRecord, 'lastEvent'>): void {
    const ids = record.images.map((key) => {
      const id = this.images.idOf(key);
      if (id < 0) throw new RangeError(`image ${key} of crash point ${record.index} is not in the log`);
      return id;
    });
    this.pushIds(record, ids);
  }

  /**
   * Appends the next crash point (ascending), its images by number. A point handed the same `ids`
   * array as the point before (with the same state space and partial) shares its list instead of
   * copying it.
   */
  pushIds(record: Omit<PointRecord, 'lastEvent' | 'images'>, ids: readonly number[]): void {
    if (record.index > MAX_INDEX) throw new RangeError(`crash point ${record.index} is past ${MAX_INDEX}`);
    if (this.rows > 0 && record.index <= this.indexes[this.rows - 1]!)
      throw new RangeError(`crash point ${record.index} comes after point ${this.indexes[this.rows - 1]}`);
    if (this.rows === this.indexes.length) this.growPoints();
    const i = this.rows++;
    this.indexes[i] = record.index;
    this.icountFroms[i] = record.icountFrom;
    this.icountTos[i] = record.icountTo;
    const last = this.lastList;
    const shared =
      last !== undefined &&
      sameIds(last.ids, ids) &&
      last.stateSpace === record.stateSpace &&
      last.partial === record.partial;
    if (!shared) {
      if (this.lists === this.keyStarts.length) this.growLists();
      const list = this.lists++;
      this.keyStarts[list] = this.imageIdCount;
      this.keyCounts[list] = ids.length;
      this.stateSpaces[list] = record.stateSpace;
      this.listFlags[list] = record.partial ? PARTIAL : 0;
      if (this.imageIdCount + ids.length > this.imageIds.length)
        this.imageIds = grown(this.imageIds, Math.max(2 * this.imageIds.length, this.imageIdCount + ids.length));
      for (const id of ids) this.imageIds[this.imageIdCount++] = id;
      this.lastList = { ids, stateSpace: record.stateSpace, partial: record.partial };
    }
    this.listIds[i] = this.lists - 1;
    if (record.allowed) {
      this.allowed ??= new Uint32Array(this.indexes.length * 2).fill(NO_ALLOWED);
      this.allowed[2 * i] = record.allowed[0];
      this.allowed[2 * i + 1] = record.allowed[1];
    }
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
    for (let i = 0; i < this.rows; i++) n += this.keyCounts[this.listIds[i]!]!;
    return n;
  }

  get stateSpace(): number {
    let n = 0;
    for (let i = 0; i < this.rows; i++) n += this.stateSpaces[this.listIds[i]!]!;
    return n;
  }

  /** The crash points exhaustive could only sample. */
  partialPoints(): number[] {
    const out: number[] = [];
    for (let i = 0; i < this.rows; i++) if (this.listFlags[this.listIds[i]!]! & PARTIAL) out.push(this.indexes[i]!);
    return out;
  }

  /** Bytes the columns and the image number list hold: for benchmarks. */
  get byteSize(): number {
    const points = this.indexes.length * (4 + 8 + 8 + 4) + (this.allowed?.length ?? 0) * 4;
    const lists = this.keyStarts.length * (4 + 4 + 8 + 1);
    return points + lists + this.imageIds.byteLength;
  }

  *shapes(): Iterable<PointShape> {
    for (let i = 0; i < this.rows; i++) {
      const list = this.listIds[i]!;
      const start = this.keyStarts[list]!;
      const allowed = this.allowed && this.allowed[2 * i] !== NO_ALLOWED ? this.allowed : undefined;
      yield {
        index: this.indexes[i]!,
        icountFrom: this.icountFroms[i]!,
        icountTo: this.icountTos[i]!,
        ...(allowed ? { allowed: [allowed[2 * i]!, allowed[2 * i + 1]!] as [number, number] } : {}),
        imageIds: this.imageIds.subarray(start, start + this.keyCounts[list]!),
      };
    }
  }

  *[Symbol.iterator](): Iterator<PointRecord> {
    for (let i = 0; i < this.rows; i++) yield this.record(i);
  }

  /** The records, for JSON: the same objects, key for key, a log of PointRecord objects would write. */
  toJSON(): PointRecord[] {
    return [...this];
  }

  private record(i: number): PointRecord {
    const list = this.listIds[i]!;
    const start = this.keyStarts[list]!;
    const images: string[] = [];
    for (let k = start; k < start + this.keyCounts[list]!; k++) images.push(this.images.keyOf(this.imageIds[k]!));
    const lastEvent = this.lastEvents.get(i);
    const allowed = this.allowed && this.allowed[2 * i] !== NO_ALLOWED ? this.allowed : undefined;
    // key order as the engine's records had it (lastEvent was added last, by the judge)
    return {
      index: this.indexes[i]!,
      icountFrom: this.icountFroms[i]!,
      icountTo: this.icountTos[i]!,
      images,
      stateSpace: this.stateSpaces[list]!,
      partial: (this.listFlags[list]! & PARTIAL) !== 0,
      ...(allowed ? { allowed: [allowed[2 * i]!, allowed[2 * i + 1]!] } : {}),
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

  private growPoints(): void {
    const rows = this.indexes.length * 2;
    this.indexes = grown(this.indexes, rows);
    this.icountFroms = grown(this.icountFroms, rows);
    this.icountTos = grown(this.icountTos, rows);
    this.listIds = grown(this.listIds, rows);
    if (this.allowed) {
      const allowed = new Uint32Array(rows * 2).fill(NO_ALLOWED);
      allowed.set(this.allowed);
      this.allowed = allowed;
    }
  }

  private growLists(): void {
    const lists = this.keyStarts.length * 2;
    this.keyStarts = grown(this.keyStarts, lists);
    this.keyCounts = grown(this.keyCounts, lists);
    this.stateSpaces = grown(this.stateSpaces, lists);
    this.listFlags = grown(this.listFlags, lists);
  }
}

/** The same array, or (records read back from JSON) a short one with the same images. */
function sameIds(a: readonly number[], b: readonly number[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length || a.length > 64) return false;
  return a.every((id, i) => id === b[i]);
}

function grown<T extends Float64Array | Uint32Array | Uint8Array>(column: T, length: number): T {
  const out = new (column.constructor as new (n: number) => T)(length);
  out.set(column as never);
  return out;
}
