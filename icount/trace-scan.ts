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

/** Scans the trace at `path`; `pointers` (optional) is the range of addresses to look for in stores. */
export function scanTrace(path: string, pointers?: AddressRange): TraceScan {
  const fd = openSync(path, 'r');
  try {
    return scanFile(fd, pointers);
  } finally {
    closeSync(fd);
  }
}

/**
 * The pass itself: one tight loop over the complete records of each chunk (the hot path of a
 * command whose whole cost should be the tracer's), then the next chunk.
 */
function scanFile(fd: number, pointers: AddressRange | undefined): TraceScan {
  const chunks = new Chunks(fd);
  if (!chunks.have(FILE_PREAMBLE_BYTES) || chunks.buf.toString('latin1', 0, 8) !== TRACE_MAGIC)
    throw new TraceFormatError('not a pmfit trace (bad magic)');
  const headerBytes = chunks.view.getUint32(12, true);
  chunks.at = FILE_PREAMBLE_BYTES;
  if (!chunks.have(headerBytes)) throw new TraceFormatError('trace is truncated inside the header');
  const header = parseHeader(chunks.buf.toString('utf8', chunks.at, chunks.at + headerBytes));
  chunks.at += headerBytes;
  const stores = pointers ? new StoreJoiner(pointers) : undefined;
  let windowMarkers = false;
  for (;;) {
    const { buf, view, end } = chunks;
    let at = chunks.at;
    while (end - at >= RECORD_HEAD_BYTES) {
      const len = view.getUint32(at + 4, true);
      if (end - at < RECORD_HEAD_BYTES + len) break;
      const kind = buf[at]!;
      if (kind === RecordKind.store) stores?.store(view, at, len);
      else if (kind <= RecordKind.marker) {
        // any other event ends the store being joined; site, map, frame and object records do not
        stores?.settle();
        if (kind === RecordKind.marker && (buf[at + 1] === MARKER_START || buf[at + 1] === MARKER_STOP))
          windowMarkers = true;
      }
      at += RECORD_HEAD_BYTES + len;
    }
    chunks.at = at;
    if (chunks.eof) break;
    stores?.detach(view);
    // at least the next record head, or the whole record whose head is there
    const need = end - at >= RECORD_HEAD_BYTES ? RECORD_HEAD_BYTES + view.getUint32(at + 4, true) : RECORD_HEAD_BYTES;
    chunks.refill(need);
  }
  if (chunks.at < chunks.end) throw new TraceFormatError('trace is truncated inside a record');
  stores?.settle();
  return { header, windowMarkers, codePointer: stores?.found ?? false };
}

/** The trace file read front to back into one buffer, refilled (and grown for a large record) in place. */
class Chunks {
  buf = Buffer.allocUnsafe(CHUNK_BYTES);
  view = viewOf(this.buf);
  end = 0;
  at = 0;
  eof = false;

  constructor(private readonly fd: number) {}

  /** True when `n` bytes from `at` are in the buffer, reading as needed. */
  have(n: number): boolean {
    while (this.end - this.at < n && !this.eof) this.refill(n);
    return this.end - this.at >= n;
  }

  /** Moves the unread bytes to the front and reads after them, so that `atLeast` bytes fit. */
  refill(atLeast: number): void {
    const rest = this.end - this.at;
    if (atLeast > this.buf.length) {
      const bigger = Buffer.allocUnsafe(Math.max(atLeast, 2 * this.buf.length));
      this.buf.copy(bigger, 0, this.at, this.end);
      this.buf = bigger;
      this.view = viewOf(bigger);
    } else this.buf.copyWithin(0, this.at, this.end);
    this.at = 0;
    this.end = rest;
    while (this.end < atLeast && !this.eof) {
      const got = readSync(this.fd, this.buf, this.end, this.buf.length - this.end, null);
      if (got === 0) this.eof = true;
      this.end += got;
    }
  }
}

/**
 * Joins the accesses of one instruction (or a system call's chunks) back into the store the model
 * sees — coalesceInstructionStores' rule: consecutive store events, same pc (not 0), icount,
 * non-temporal flag and pool, adjacent bytes below or above — and looks at each joined store's
 * aligned words for a value in the range.
 *
 * Only an access with an unaligned end can complete a word with another access's bytes: a junction
 * on an 8-byte boundary splits no aligned word. So an access whose offset and length are multiples
 * of 8 (nearly every store) is looked at on its own, at once, and is only joined when it extends an
 * unaligned access of its instruction. An unaligned one is held: its bytes stay where they were read
 * (copied out only when the chunk moves), later accesses joined to it are copied once, and the
 * whole is built once, when it is complete. Addresses and counts are kept as their two 32-bit
 * halves: compared as they are.
 */
class StoreJoiner {
  found = false;
  /** An unaligned access is held, maybe with the accesses joined to it. */
  private live = false;
  private view: DataView = viewOf(new Uint8Array(0));
  private start = 0;
  private length = 0;
  private offset = 0;
  /** The accesses joined to the first one. */
  private more: { bytes: Uint8Array; offset: number }[] = [];
  /** [low, high): the pool bytes of all the accesses, contiguous. */
  private low = 0;
  private high = 0;
  /** The low 32-bit half of `low`: its alignment, without a floating-point modulo. */
  private lowHalf = 0;
  private pool = 0;
  private pcLow = 0;
  private pcHigh = 0;
  private icountLow = 0;
  private icountHigh = 0;
  private nonTemporal = 0;
  /** The high halves a pointer into the range can have: most words are rejected on them alone. */
  private readonly lowest: number;
  private readonly highest: number;

  constructor(private readonly range: AddressRange) {
    this.lowest = Math.floor(range.lo / TWO_32);
    this.highest = Math.floor((range.hi - 1) / TWO_32);
  }

  /** A store record at `head` of `view`, with `len` payload bytes. */
  store(view: DataView, head: number, len: number): void {
    if (this.found) return;
    if (len < 8) throw new TraceFormatError(`store record has ${len} payload bytes, needs 8`);
    const start = head + RECORD_HEAD_BYTES + 8;
    const length = len - 8;
    const offsetHalf = view.getUint32(head + RECORD_HEAD_BYTES, true);
    const aligned = ((offsetHalf | length) & (UNIT_BYTES - 1)) === 0;
    if (aligned && !this.live) {
      this.words(view, start, length, 0);
      return;
    }
    const offset = view.getUint32(head + RECORD_HEAD_BYTES + 4, true) * TWO_32 + offsetHalf;
    if (
      this.live &&
      this.icountLow === view.getUint32(head + 16, true) &&
      this.pcLow === view.getUint32(head + 24, true) &&
      this.pcHigh === view.getUint32(head + 28, true) &&
      (this.pcLow !== 0 || this.pcHigh !== 0) &&
      this.icountHigh === view.getUint32(head + 20, true) &&
      this.nonTemporal === (view.getUint8(head + 1) & 1) &&
      this.pool === view.getUint16(head + 2, true) &&
      (this.high === offset || offset + length === this.low)
    ) {
      this.more.push({ bytes: new Uint8Array(view.buffer, view.byteOffset + start, length).slice(), offset });
      if (offset < this.low) {
        this.low = offset;
        this.lowHalf = offsetHalf;
      }
      this.high = Math.max(this.high, offset + length);
      return;
    }
    this.settle();
    if (aligned) {
      this.words(view, start, length, 0);
      return;
    }
    this.live = true;
    this.view = view;
    this.start = start;
    this.length = length;
    this.offset = offset;
    if (this.more.length > 0) this.more = [];
    this.low = offset;
    this.lowHalf = offsetHalf;
    this.high = offset + length;
    this.pool = view.getUint16(head + 2, true);
    this.pcLow = view.getUint32(head + 24, true);
    this.pcHigh = view.getUint32(head + 28, true);
    this.icountLow = view.getUint32(head + 16, true);
    this.icountHigh = view.getUint32(head + 20, true);
    this.nonTemporal = view.getUint8(head + 1) & 1;
  }

  /** The chunk `view` is about to move: the held access, if it is there, gets its own bytes. */
  detach(view: DataView): void {
    if (!this.live || this.view !== view) return;
    this.view = viewOf(new Uint8Array(view.buffer, view.byteOffset + this.start, this.length).slice());
    this.start = 0;
  }

  /** The held store is complete: look at its aligned words. */
  settle(): void {
    if (!this.live) return;
    this.live = false;
    if (this.found) return;
    // words aligned in the pool: the only ones a pointer field occupies
    const first = (UNIT_BYTES - (this.lowHalf & (UNIT_BYTES - 1))) & (UNIT_BYTES - 1);
    if (this.more.length === 0) this.words(this.view, this.start, this.length, first);
    else this.words(viewOf(this.joined()), 0, this.high - this.low, first);
  }

  /** Looks at the words at `start + first`, `start + first + 8`, … of `view` that end within `length`. */
  private words(view: DataView, start: number, length: number, first: number): void {
    const { lo, hi } = this.range;
    for (let at = first; at + UNIT_BYTES <= length; at += UNIT_BYTES) {
      const high = view.getUint32(start + at + 4, true);
      if (high < this.lowest || high > this.highest) continue;
      const value = high * TWO_32 + view.getUint32(start + at, true);
      if (value >= lo && value < hi) {
        this.found = true;
        return;
      }
    }
  }

  /** The bytes of all the accesses, in pool order. */
  private joined(): Uint8Array {
    const bytes = new Uint8Array(this.high - this.low);
    bytes.set(new Uint8Array(this.view.buffer, this.view.byteOffset + this.start, this.length), this.offset - this.low);
    for (const part of this.more) bytes.set(part.bytes, part.offset - this.low);
    return bytes;
  }
}

function viewOf(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function parseHeader(json: string): TraceHeader {
  try {
    return JSON.parse(json) as TraceHeader;
  } catch {
    throw new TraceFormatError('trace header is not valid JSON');
  }
}
