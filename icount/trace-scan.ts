// One pass over a native trace file for the two questions `pmfit icount` asks of it besides the
// tracer's counts: did the program mark its window (an icount_start or icount_stop marker), and did
// it store a pointer into its own loaded image in the pool (the code-pointer note). Reading the
// trace into event objects costs ~5 µs and ~1 KiB per event (a 10⁶-event run took 12 s and 1.3 GiB);
// this pass reads the record heads in place, in bounded chunks, and allocates nothing per record.
//
// It answers exactly what the full path (readTrace, coalesceInstructionStores, firstPointerInto)
// answers: the stores of one instruction that QEMU split into 8-byte accesses are joined again
// before their aligned words are looked at, since a pointer may straddle two of the accesses.
import { closeSync, openSync, readSync } from 'node:fs';
import type { TraceHeader } from '../core/api.js';
import { UNIT_BYTES } from '../core/geometry.js';
import {
  FILE_PREAMBLE_BYTES,
  MARKER_KINDS,
  RECORD_HEAD_BYTES,
  RecordKind,
  TRACE_MAGIC,
  TraceFormatError,
} from '../core/trace/format.js';

/** The flags codes of the window markers (kind 5): icount_start and icount_stop. */
const MARKER_START = MARKER_KINDS.indexOf('start');
const MARKER_STOP = MARKER_KINDS.indexOf('stop');
const CHUNK_BYTES = 1 << 20;
const TWO_32 = 2 ** 32;

export interface TraceScan {
  header: TraceHeader;
  /** An icount_start or icount_stop marker event is in the trace. */
  windowMarkers: boolean;
  /** Some (coalesced) store wrote an aligned 8-byte word whose value lies in the range asked about. */
  codePointer: boolean;
}

/** [lo, hi): the addresses of the main binary as the traced run loaded it. */
export interface AddressRange {
  lo: number;
  hi: number;
}

/**
 * The store being joined from QEMU's accesses of one instruction (or a system call's chunks): its
 * first access — where its bytes sit (the read chunk until the chunk is refilled, then a copy of its
 * own) — the later ones, each copied once, the pool range they cover together, and what tells their
 * instruction. Addresses and counts are kept as their two 32-bit halves: compared as they are.
 */
interface PendingStore {
  live: boolean;
  view: DataView;
  start: number;
  length: number;
  offset: number;
  /** The accesses joined to the first one (rare: wide stores, system calls' chunks). */
  more: { bytes: Uint8Array; offset: number }[];
  /** [low, high): the pool bytes of all the accesses, contiguous. */
  low: number;
  high: number;
  pool: number;
  pcLow: number;
  pcHigh: number;
  icountLow: number;
  icountHigh: number;
  nonTemporal: number;
}

/** Scans the trace at `path`; `pointers` (optional) is the range of addresses to look for in stores. */
export function scanTrace(path: string, pointers?: AddressRange): TraceScan {
  const fd = openSync(path, 'r');
  try {
    return new Scanner(fd, pointers).run();
  } finally {
    closeSync(fd);
  }
}

class Scanner {
  private buf = Buffer.allocUnsafe(CHUNK_BYTES);
  private view = viewOf(this.buf);
  private end = 0;
  private at = 0;
  private eof = false;
  /** Reused for every store (no allocation per record); `live` says whether it holds one. */
  private readonly pending: PendingStore = {
    live: false,
    view: this.view,
    start: 0,
    length: 0,
    offset: 0,
    more: [],
    low: 0,
    high: 0,
    pool: 0,
    pcLow: 0,
    pcHigh: 0,
    icountLow: 0,
    icountHigh: 0,
    nonTemporal: 0,
  };
  private windowMarkers = false;
  private codePointer = false;
  /** The high halves a pointer into the range can have: most words are rejected on them alone. */
  private readonly highest: number;
  private readonly lowest: number;

  constructor(
    private readonly fd: number,
    private readonly pointers: AddressRange | undefined,
  ) {
    this.lowest = pointers ? Math.floor(pointers.lo / TWO_32) : 0;
    this.highest = pointers ? Math.floor((pointers.hi - 1) / TWO_32) : -1;
  }

  run(): TraceScan {
    if (!this.have(FILE_PREAMBLE_BYTES) || this.buf.toString('latin1', this.at, this.at + 8) !== TRACE_MAGIC)
      throw new TraceFormatError('not a pmfit trace (bad magic)');
    const headerBytes = this.view.getUint32(this.at + 12, true);
    this.at += FILE_PREAMBLE_BYTES;
    if (!this.have(headerBytes)) throw new TraceFormatError('trace is truncated inside the header');
    const header = parseHeader(this.buf.toString('utf8', this.at, this.at + headerBytes));
    this.at += headerBytes;
    while (this.have(RECORD_HEAD_BYTES)) {
      const len = this.view.getUint32(this.at + 4, true);
      if (!this.have(RECORD_HEAD_BYTES + len)) throw new TraceFormatError('trace is truncated inside a record');
      this.record(this.at, len);
      this.at += RECORD_HEAD_BYTES + len;
    }
    if (this.at < this.end) throw new TraceFormatError('trace is truncated inside a record head');
    this.settle();
    return { header, windowMarkers: this.windowMarkers, codePointer: this.codePointer };
  }

  /** One record at `head` (its payload follows): only stores and markers matter here. */
  private record(head: number, len: number): void {
    const view = this.view;
    const kind = view.getUint8(head);
    if (kind > RecordKind.marker) return; // site, map, frame, object: not events, they split no store
    if (kind !== RecordKind.store) {
      this.settle();
      if (kind === RecordKind.marker) {
        const flags = view.getUint8(head + 1);
        if (flags === MARKER_START || flags === MARKER_STOP) this.windowMarkers = true;
      }
      return;
    }
    if (!this.pointers || this.codePointer) return;
    if (len < 8) throw new TraceFormatError(`store record has ${len} payload bytes, needs 8`);
    const start = head + RECORD_HEAD_BYTES + 8;
    const length = len - 8;
    const offset = u64(view, head + RECORD_HEAD_BYTES);
    const last = this.pending;
    if (
      last.live &&
      last.pcLow === view.getUint32(head + 24, true) &&
      last.pcHigh === view.getUint32(head + 28, true) &&
      (last.pcLow !== 0 || last.pcHigh !== 0) &&
      last.icountLow === view.getUint32(head + 16, true) &&
      last.icountHigh === view.getUint32(head + 20, true) &&
      last.nonTemporal === (view.getUint8(head + 1) & 1) &&
      last.pool === view.getUint16(head + 2, true) &&
      (last.high === offset || offset + length === last.low)
    ) {
      last.more.push({ bytes: this.buf.slice(start, start + length), offset });
      last.low = Math.min(last.low, offset);
      last.high = Math.max(last.high, offset + length);
      return;
    }
    this.settle();
    last.live = true;
    last.view = view;
    last.start = start;
    last.length = length;
    last.offset = offset;
    if (last.more.length > 0) last.more = [];
    last.low = offset;
    last.high = offset + length;
    last.pool = view.getUint16(head + 2, true);
    last.pcLow = view.getUint32(head + 24, true);
    last.pcHigh = view.getUint32(head + 28, true);
    last.icountLow = view.getUint32(head + 16, true);
    last.icountHigh = view.getUint32(head + 20, true);
    last.nonTemporal = view.getUint8(head + 1) & 1;
  }

  /** The store being joined is complete: look at its aligned words. */
  private settle(): void {
    const store = this.pending;
    if (!store.live) return;
    store.live = false;
    if (!this.pointers || this.codePointer) return;
    const { lo, hi } = this.pointers;
    const { view, start, length } = store.more.length === 0 ? store : joined(store);
    // words aligned in the pool: the only ones a pointer field occupies
    for (let at = (UNIT_BYTES - (store.low % UNIT_BYTES)) % UNIT_BYTES; at + UNIT_BYTES <= length; at += UNIT_BYTES) {
      const high = view.getUint32(start + at + 4, true);
      if (high < this.lowest || high > this.highest) continue;
      const value = high * TWO_32 + view.getUint32(start + at, true);
      if (value >= lo && value < hi) {
        this.codePointer = true;
        return;
      }
    }
  }

  /** True when `n` bytes from `at` are in the buffer, reading (and growing the buffer) as needed. */
  private have(n: number): boolean {
    while (this.end - this.at < n && !this.eof) this.refill(n);
    return this.end - this.at >= n;
  }

  private refill(atLeast: number): void {
    // the store being joined points into the buffer that is about to move: give it its own bytes
    const pending = this.pending;
    if (pending.live && pending.view === this.view) {
      pending.view = viewOf(Buffer.from(this.buf.subarray(pending.start, pending.start + pending.length)));
      pending.start = 0;
    }
    const rest = this.end - this.at;
    if (atLeast > this.buf.length) {
      const bigger = Buffer.allocUnsafe(Math.max(atLeast, 2 * this.buf.length));
      this.buf.copy(bigger, 0, this.at, this.end);
      this.buf = bigger;
      this.view = viewOf(bigger);
    } else this.buf.copyWithin(0, this.at, this.end);
    this.at = 0;
    this.end = rest;
    const got = readSync(this.fd, this.buf, this.end, this.buf.length - this.end, null);
    if (got === 0) this.eof = true;
    this.end += got;
  }
}

/** The bytes of all the accesses of a joined store, in pool order (built once, when it is complete). */
function joined(store: PendingStore): { view: DataView; start: number; length: number } {
  const bytes = new Uint8Array(store.high - store.low);
  bytes.set(
    new Uint8Array(store.view.buffer, store.view.byteOffset + store.start, store.length),
    store.offset - store.low,
  );
  for (const part of store.more) bytes.set(part.bytes, part.offset - store.low);
  return { view: viewOf(bytes), start: 0, length: bytes.length };
}

function viewOf(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** A little-endian u64 as a number, rounded as Number(bigint) rounds it (exact below 2⁵³). */
function u64(view: DataView, at: number): number {
  return view.getUint32(at + 4, true) * TWO_32 + view.getUint32(at, true);
}

function parseHeader(json: string): TraceHeader {
  try {
    return JSON.parse(json) as TraceHeader;
  } catch {
    throw new TraceFormatError('trace header is not valid JSON');
  }
}
