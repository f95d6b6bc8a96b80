// A trace's events in memory, column by column: one typed array per field, one byte arena for the
// bytes stores wrote, strings (sites, function names, marker names) interned once. About 64 bytes
// per event besides the stored bytes, where an event object costs ~470 (issue 12). Hot loops read
// the columns (kind, offset, data view...); `get(i)` materializes one TraceEvent object on demand.
// An event's sequence number is its position: a table only ever holds consecutive events.
import type { FenceKind, FlushKind, MarkerKind, TraceEvent } from '../api.js';

/** Event kind codes: the same numbers as the trace format's record kinds 1–5. */
export const EventKind = { store: 1, flush: 2, fence: 3, msync: 4, marker: 5 } as const;
export type EventKindCode = (typeof EventKind)[keyof typeof EventKind];

const KIND_NAMES = [undefined, 'store', 'flush', 'fence', 'msync', 'marker'] as const;
/** Flag codes per kind, as in the trace format: a store's bit 0 is non-temporal. */
export const FLUSH_KIND_CODES: readonly FlushKind[] = ['clflush', 'clflushopt', 'clwb'];
export const FENCE_KIND_CODES: readonly FenceKind[] = ['sfence', 'mfence', 'locked'];
export const MARKER_KIND_CODES: readonly MarkerKind[] = ['start', 'stop', 'user'];
const NON_TEMPORAL = 1;

/** Frame column codes: 0 says nothing (no frame record, or the user's own code). */
const OUTSIDE_FRAME = 1;

const INITIAL_ROWS = 64;
const INITIAL_ARENA = 1024;

/** One store, flush... as columns take it: what `appendRow` needs (the reader decodes into this). */
export interface EventRow {
  kind: EventKindCode;
  /** The kind's flag code (FLUSH_KIND_CODES...; a store's bit 0 is non-temporal). */
  flags: number;
  pool: number;
  thread?: number;
  icount: number;
  pc: number;
  /** store, flush, msync: the pool offset. */
  offset?: number;
  /** msync: the length synced (a store's length is its data's). */
  length?: number;
  /** store: the bytes written (copied into the arena). */
  data?: Uint8Array;
  site?: string | undefined;
  via?: string | undefined;
  /** marker: its name. */
  name?: string;
  outsideUserCode?: boolean;
  callerPc?: number;
  calleePc?: number;
}

export class EventTable implements Iterable<TraceEvent> {
  private rows = 0;
  private kinds = new Uint8Array(INITIAL_ROWS);
  private flagCodes = new Uint8Array(INITIAL_ROWS);
  private pools = new Uint16Array(INITIAL_ROWS);
  // another thread's events (issue: threads) get its number here; 0 is the first thread
  private threads = new Uint32Array(INITIAL_ROWS);
  private icounts = new Float64Array(INITIAL_ROWS);
  private pcs = new Float64Array(INITIAL_ROWS);
  private offsets = new Float64Array(INITIAL_ROWS);
  /** store: bytes written; msync: bytes synced. */
  private sizes = new Float64Array(INITIAL_ROWS);
  /** store: where its bytes start in the arena. */
  private dataStarts = new Float64Array(INITIAL_ROWS);
  /** String ids + 1 (0: none) of the site, the function called (via) and a marker's name. */
  private siteIds = new Uint32Array(INITIAL_ROWS);
  private viaIds = new Uint32Array(INITIAL_ROWS);
  private nameIds = new Uint32Array(INITIAL_ROWS);
  /** 0 none, 1 outside the user's code, k ≥ 2 the caller frame callers[k - 2]. */
  private frameIds = new Uint32Array(INITIAL_ROWS);
  private arena = new Uint8Array(INITIAL_ARENA);
  private arenaUsed = 0;
  /** Some event is another thread's than the first. */
  private otherThreads = false;
  /** Where each pool's offsets start, once flattenPools ran (core/pool-layout.ts); else all 0. */
  private poolBases: readonly number[] = [];
  private readonly strings: string[] = [];
  private readonly stringIds = new Map<string, number>();
  private readonly callers: Array<{ callerPc: number; calleePc: number }> = [];
  private readonly callerIds = new Map<string, number>();

  /** A table holding `events` (their seq must be 0, 1, 2...). */
  static from(events: Iterable<TraceEvent>): EventTable {
    const table = new EventTable();
    for (const event of events) table.push(event);
    return table.seal();
  }

  get length(): number {
    return this.rows;
  }

  // ------------------------------------------------------------ columns, for hot loops

  kind(i: number): EventKindCode {
    return this.kinds[i] as EventKindCode;
  }

  kindName(i: number): TraceEvent['kind'] {
    return KIND_NAMES[this.kinds[i]!]!;
  }

  /** The kind's flag code: FLUSH_KIND_CODES, FENCE_KIND_CODES or MARKER_KIND_CODES index. */
  flags(i: number): number {
    return this.flagCodes[i]!;
  }

  isStore(i: number): boolean {
    return this.kinds[i] === EventKind.store;
  }

  nonTemporal(i: number): boolean {
    return this.kinds[i] === EventKind.store && (this.flagCodes[i]! & NON_TEMPORAL) !== 0;
  }

  /** store, flush, msync: the pool offset (0 for others); flat over several pools (flattenPools). */
  offset(i: number): number {
    return this.offsets[i]!;
  }

  /**
   * Moves every store, flush and msync of pool p by bases[p]: the events of several pool files
   * become events of one flat image (core/pool-layout.ts). Done once, right after reading.
   */
  flattenPools(bases: readonly number[]): void {
    if (this.poolBases.length > 0) throw new Error('the trace is already flat');
    for (let i = 0; i < this.rows; i++) {
      const kind = this.kinds[i];
      if (kind === EventKind.store || kind === EventKind.flush || kind === EventKind.msync)
        this.offsets[i] = this.offsets[i]! + (bases[this.pools[i]!] ?? 0);
    }
    this.poolBases = bases;
  }

  /** Where pool p's offsets start in this table (0 until flattenPools): its file offsets are offset - this. */
  poolBase(pool: number): number {
    return this.poolBases[pool] ?? 0;
  }

  /** store: bytes written; msync: bytes synced; 0 for others. */
  size(i: number): number {
    return this.sizes[i]!;
  }

  /** A store's bytes: a view into the arena, not a copy (never write through it). */
  data(i: number): Uint8Array {
    const start = this.dataStarts[i]!;
    return this.arena.subarray(start, start + (this.kinds[i] === EventKind.store ? this.sizes[i]! : 0));
  }

  icount(i: number): number {
    return this.icounts[i]!;
  }

  pc(i: number): number {
    return this.pcs[i]!;
  }

  pool(i: number): number {
    return this.pools[i]!;
  }

  thread(i: number): number {
    return this.threads[i]!;
  }

  /** Some event was made by another thread than the first (a report then names each store's thread). */
  get hasThreads(): boolean {
    return this.otherThreads;
  }

  site(i: number): string | undefined {
    const id = this.siteIds[i]!;
    return id === 0 ? undefined : this.strings[id - 1];
  }

  via(i: number): string | undefined {
    const id = this.viaIds[i]!;
    return id === 0 ? undefined : this.strings[id - 1];
  }

  outsideUserCode(i: number): boolean {
    return this.frameIds[i] === OUTSIDE_FRAME;
  }

  /** The user call that led to event i when its instruction is not the user's (native). */
  caller(i: number): { callerPc: number; calleePc: number } | undefined {
    const id = this.frameIds[i]!;
    return id > OUTSIDE_FRAME ? this.callers[id - OUTSIDE_FRAME - 1] : undefined;
  }

  // ------------------------------------------------------------ objects, for the API surface

  /** Event i as an object (a fresh one each call: changing it changes nothing here). */
  get(i: number): TraceEvent {
    if (!Number.isInteger(i) || i < 0 || i >= this.rows)
      throw new RangeError(`event ${i} is outside the trace (${this.rows} events)`);
    return eventOfRow(i, this.row(i), true);
  }

  /** Event i as columns (its bytes a view into the arena). */
  row(i: number): EventRow {
    const caller = this.caller(i);
    const nameId = this.nameIds[i]!;
    return {
      kind: this.kinds[i] as EventKindCode,
      flags: this.flagCodes[i]!,
      pool: this.pools[i]!,
      thread: this.threads[i]!,
      icount: this.icounts[i]!,
      pc: this.pcs[i]!,
      offset: this.offsets[i]!,
      length: this.sizes[i]!,
      ...(this.kinds[i] === EventKind.store ? { data: this.data(i) } : {}),
      site: this.site(i),
      via: this.via(i),
      ...(nameId !== 0 ? { name: this.strings[nameId - 1]! } : {}),
      ...(this.frameIds[i] === OUTSIDE_FRAME ? { outsideUserCode: true } : {}),
      ...(caller ? { callerPc: caller.callerPc, calleePc: caller.calleePc } : {}),
    };
  }

  /** Like Array.prototype.at: undefined past either end, negative counts from the end. */
  at(i: number): TraceEvent | undefined {
    const at = i < 0 ? this.rows + i : i;
    return at >= 0 && at < this.rows ? this.get(at) : undefined;
  }

  *[Symbol.iterator](): Iterator<TraceEvent> {
    for (let i = 0; i < this.rows; i++) yield this.get(i);
  }

  // ------------------------------------------------------------ building

  /** Appends an event object; its seq must be the table's length (events are consecutive). */
  push(event: TraceEvent): void {
    if (event.seq !== this.rows) throw new RangeError(`event ${this.rows} has sequence number ${event.seq}`);
    this.appendRow(rowOfEvent(event));
  }

  /** Appends one event given as columns; returns its position. */
  appendRow(row: EventRow): number {
    if (this.rows === this.kinds.length) this.resize(Math.max(INITIAL_ROWS, this.rows * 2));
    const i = this.rows++;
    this.kinds[i] = row.kind;
    this.flagCodes[i] = row.flags;
    this.pools[i] = row.pool;
    this.threads[i] = row.thread ?? 0;
    if (this.threads[i] !== 0) this.otherThreads = true;
    this.icounts[i] = row.icount;
    this.pcs[i] = row.pc;
    this.offsets[i] = row.offset ?? 0;
    this.sizes[i] = row.kind === EventKind.store ? (row.data?.length ?? 0) : (row.length ?? 0);
    this.dataStarts[i] = row.data ? this.storeBytes(row.data) : 0;
    this.siteIds[i] = this.stringId(row.site);
    this.viaIds[i] = this.stringId(row.via);
    this.nameIds[i] = row.name ? this.stringId(row.name) : 0;
    this.frameIds[i] = row.outsideUserCode
      ? OUTSIDE_FRAME
      : row.callerPc !== undefined
        ? this.callerId(row.callerPc, row.calleePc ?? 0)
        : 0;
    return i;
  }

  /** Appends event i of `source` (renumbered to this table's length), a store's bytes replaced by `data` at `offset`. */
  appendFrom(source: EventTable, i: number, store?: { offset: number; data: Uint8Array }): number {
    const row = source.row(i);
    if (store) {
      row.offset = store.offset;
      row.data = store.data;
    }
    return this.appendRow(row);
  }

  /**
   * Merges each run of consecutive stores that `together(first, next)` joins and whose bytes are
   * adjacent (each next one just above or just below the bytes so far) into one store, in place:
   * later events move down and are renumbered, so a trace is never held twice (native traces:
   * QEMU's 8-byte pieces of one wide store, icount/coalesce-stores.ts).
   */
  mergeStores(together: (first: number, next: number) => boolean): this {
    let write = 0;
    let arenaWrite = 0;
    for (let read = 0; read < this.rows; ) {
      let end = read + 1;
      let low = this.offsets[read]!;
      let high = low + this.sizes[read]!;
      if (this.kinds[read] === EventKind.store) {
        for (; end < this.rows && this.kinds[end] === EventKind.store && together(read, end); end++) {
          const offset = this.offsets[end]!;
          if (offset === high) high += this.sizes[end]!;
          else if (offset + this.sizes[end]! === low) low = offset;
          else break;
        }
      }
      // the pieces' bytes lie back to back in the arena (stores append in order), at or above arenaWrite
      const dataStart = arenaWrite;
      if (this.kinds[read] === EventKind.store) {
        const merged = new Uint8Array(high - low);
        for (let k = read; k < end; k++) merged.set(this.data(k), this.offsets[k]! - low);
        this.arena.set(merged, arenaWrite);
        arenaWrite += merged.length;
      }
      this.moveRow(read, write);
      this.offsets[write] = low;
      if (this.kinds[write] === EventKind.store) this.sizes[write] = high - low;
      this.dataStarts[write] = dataStart;
      write++;
      read = end;
    }
    this.rows = write;
    this.arenaUsed = arenaWrite;
    return this.seal();
  }

  /** Copies row `from` over row `to` (to ≤ from), every column. */
  private moveRow(from: number, to: number): void {
    if (from === to) return;
    this.kinds[to] = this.kinds[from]!;
    this.flagCodes[to] = this.flagCodes[from]!;
    this.pools[to] = this.pools[from]!;
    this.threads[to] = this.threads[from]!;
    this.icounts[to] = this.icounts[from]!;
    this.pcs[to] = this.pcs[from]!;
    this.offsets[to] = this.offsets[from]!;
    this.sizes[to] = this.sizes[from]!;
    this.dataStarts[to] = this.dataStarts[from]!;
    this.siteIds[to] = this.siteIds[from]!;
    this.viaIds[to] = this.viaIds[from]!;
    this.nameIds[to] = this.nameIds[from]!;
    this.frameIds[to] = this.frameIds[from]!;
  }

  /** Sets event i's user line (attribution resolves them after reading). */
  setSite(i: number, site: string | undefined): void {
    this.siteIds[i] = this.stringId(site);
  }

  /** Sets the name of the function event i's user call entered. */
  setVia(i: number, via: string | undefined): void {
    this.viaIds[i] = this.stringId(via);
  }

  /** Gives back the room grown for events that never came: call once the table is complete. */
  seal(): this {
    if (this.kinds.length > this.rows) this.resize(this.rows);
    if (this.arena.length > this.arenaUsed) this.arena = this.arena.slice(0, this.arenaUsed);
    return this;
  }

  /** Bytes the columns and the arena hold (the strings and frames interned aside): for benchmarks. */
  get columnBytes(): number {
    return this.kinds.length * BYTES_PER_ROW;
  }

  get arenaBytes(): number {
    return this.arena.length;
  }

  private stringId(text: string | undefined): number {
    if (text === undefined) return 0;
    let id = this.stringIds.get(text);
    if (id === undefined) {
      this.strings.push(text);
      id = this.strings.length;
      this.stringIds.set(text, id);
    }
    return id;
  }

  private callerId(callerPc: number, calleePc: number): number {
    const key = `${callerPc}:${calleePc}`;
    let id = this.callerIds.get(key);
    if (id === undefined) {
      this.callers.push({ callerPc, calleePc });
      id = this.callers.length + OUTSIDE_FRAME;
      this.callerIds.set(key, id);
    }
    return id;
  }

  private storeBytes(data: Uint8Array): number {
    if (this.arenaUsed + data.length > this.arena.length) {
      const grown = new Uint8Array(Math.max(this.arena.length * 2, this.arenaUsed + data.length));
      grown.set(this.arena.subarray(0, this.arenaUsed));
      this.arena = grown;
    }
    const start = this.arenaUsed;
    this.arena.set(data, start);
    this.arenaUsed += data.length;
    return start;
  }

  /** Every column to `rows` rows, one at a time (so growing or sealing never holds two copies of all). */
  private resize(rows: number): void {
    const n = Math.max(rows, 0);
    this.kinds = resized(this.kinds, n, this.rows);
    this.flagCodes = resized(this.flagCodes, n, this.rows);
    this.pools = resized(this.pools, n, this.rows);
    this.threads = resized(this.threads, n, this.rows);
    this.icounts = resized(this.icounts, n, this.rows);
    this.pcs = resized(this.pcs, n, this.rows);
    this.offsets = resized(this.offsets, n, this.rows);
    this.sizes = resized(this.sizes, n, this.rows);
    this.dataStarts = resized(this.dataStarts, n, this.rows);
    this.siteIds = resized(this.siteIds, n, this.rows);
    this.viaIds = resized(this.viaIds, n, this.rows);
    this.nameIds = resized(this.nameIds, n, this.rows);
    this.frameIds = resized(this.frameIds, n, this.rows);
  }
}

/** Bytes of one row over every column. */
const BYTES_PER_ROW = 1 + 1 + 2 + 4 + 8 * 5 + 4 * 4;

type Column = Uint8Array | Uint16Array | Uint32Array | Float64Array;

function resized<T extends Column>(column: T, rows: number, used: number): T {
  const out = new (column.constructor as new (n: number) => T)(rows);
  out.set(column.subarray(0, Math.min(used, rows)));
  return out;
}

/** The columns of an event object. */
export function rowOfEvent(event: TraceEvent): EventRow {
  const row: EventRow = {
    kind: EventKind[event.kind],
    flags: 0,
    pool: event.pool,
    thread: event.thread ?? 0,
    icount: event.icount,
    pc: event.pc,
    site: event.site,
    via: event.via,
    ...(event.outsideUserCode ? { outsideUserCode: true } : {}),
    ...(event.callerPc !== undefined ? { callerPc: event.callerPc, calleePc: event.calleePc ?? 0 } : {}),
  };
  switch (event.kind) {
    case 'store':
      row.flags = event.nonTemporal ? NON_TEMPORAL : 0;
      row.offset = event.offset;
      row.data = event.data;
      break;
    case 'flush':
      row.flags = FLUSH_KIND_CODES.indexOf(event.flushKind);
      row.offset = event.offset;
      break;
    case 'fence':
      row.flags = FENCE_KIND_CODES.indexOf(event.fenceKind);
      break;
    case 'msync':
      row.offset = event.offset;
      row.length = event.length;
      break;
    case 'marker':
      row.flags = MARKER_KIND_CODES.indexOf(event.markerKind);
      row.name = event.name;
      break;
  }
  return row;
}

/**
 * The event object of a row, numbered `seq`. `copyData`: a store's bytes copied out of the row's
 * view (an object handed out must not alias the arena, nor a reader's chunk).
 */
export function eventOfRow(seq: number, row: EventRow, copyData: boolean): TraceEvent {
  const base = {
    seq,
    icount: row.icount,
    pc: row.pc,
    pool: row.pool,
    ...(row.site !== undefined ? { site: row.site } : {}),
    ...(row.outsideUserCode ? { outsideUserCode: true } : {}),
    ...(row.callerPc !== undefined ? { callerPc: row.callerPc, calleePc: row.calleePc ?? 0 } : {}),
    ...(row.via !== undefined ? { via: row.via } : {}),
    ...(row.thread ? { thread: row.thread } : {}),
  };
  switch (row.kind) {
    case EventKind.store: {
      const data = row.data ?? new Uint8Array(0);
      return {
        ...base,
        kind: 'store',
        offset: row.offset ?? 0,
        data: copyData ? data.slice() : data,
        nonTemporal: (row.flags & NON_TEMPORAL) !== 0,
      };
    }
    case EventKind.flush:
      return { ...base, kind: 'flush', offset: row.offset ?? 0, flushKind: FLUSH_KIND_CODES[row.flags]! };
    case EventKind.fence:
      return { ...base, kind: 'fence', fenceKind: FENCE_KIND_CODES[row.flags]! };
    case EventKind.msync:
      return { ...base, kind: 'msync', offset: row.offset ?? 0, length: row.length ?? 0 };
    case EventKind.marker:
      return { ...base, kind: 'marker', markerKind: MARKER_KIND_CODES[row.flags]!, name: row.name ?? '' };
  }
}
