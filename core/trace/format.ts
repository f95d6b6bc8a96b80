// The binary trace format's constants and record codec (docs/trace-format.md).
// Shared by the streaming writer and reader so the two can never disagree.
import type { FenceKind, FlushKind, MarkerKind, TraceEvent } from '../api.js';
import { EventKind, type EventRow, FENCE_KIND_CODES, FLUSH_KIND_CODES, MARKER_KIND_CODES } from './event-table.js';

export const TRACE_MAGIC = 'PMFTRACE';
export const TRACE_FORMAT_VERSION = 3;
/**
 * Version 1 is version 2 without frame and object records, version 2 is version 3 without thread
 * records: both still read (the native tracer writes 2 when one thread made every event).
 */
export const TRACE_FORMAT_OLDEST = 1;
/** What a writer declares when no thread record is in the file: such a trace is a version-2 trace. */
export const TRACE_FORMAT_ONE_THREAD = 2;
export const RECORD_HEAD_BYTES = 32;
export const FILE_PREAMBLE_BYTES = 16;

export const RecordKind = {
  store: 1,
  flush: 2,
  fence: 3,
  msync: 4,
  marker: 5,
  site: 6,
  map: 7,
  frame: 8,
  object: 9,
  thread: 10,
} as const;

/** The flags of a frame record: where the events after it come from. */
export const FrameKind = { outside: 0, own: 1, caller: 2 } as const;
/** Flags of a kind-6 record: a TS site table entry; a native pc's function name (not a line). */
export const SITE_TS = 1;
export const SITE_FUNCTION = 2;
/** Flags of an object record. */
export const OBJECT_USER = 1;
export const OBJECT_MAIN = 2;

/** The frame an event comes from, as a frame record says it (native traces). */
export interface FrameState {
  kind: number;
  callerPc: number;
  calleePc: number;
}

/** The frame of an event as it was read back (or resolved): what a writer records before it. */
export function frameOf(event: TraceEvent): FrameState {
  if (event.outsideUserCode) return { kind: FrameKind.outside, callerPc: 0, calleePc: 0 };
  if (event.callerPc !== undefined)
    return { kind: FrameKind.caller, callerPc: event.callerPc, calleePc: event.calleePc ?? 0 };
  return { kind: FrameKind.own, callerPc: 0, calleePc: 0 };
}

export function sameFrame(a: FrameState, b: FrameState): boolean {
  return a.kind === b.kind && a.callerPc === b.callerPc && a.calleePc === b.calleePc;
}

export const FLUSH_KINDS: readonly FlushKind[] = FLUSH_KIND_CODES;
export const FENCE_KINDS: readonly FenceKind[] = FENCE_KIND_CODES;
export const MARKER_KINDS: readonly MarkerKind[] = MARKER_KIND_CODES;

export interface RecordHead {
  kind: number;
  flags: number;
  pool: number;
  len: number;
  seq: number;
  icount: number;
  pc: number;
}

export function writeRecordHead(buf: Buffer, at: number, head: RecordHead): void {
  buf.writeUInt8(head.kind, at);
  buf.writeUInt8(head.flags, at + 1);
  buf.writeUInt16LE(head.pool, at + 2);
  buf.writeUInt32LE(head.len, at + 4);
  buf.writeBigUInt64LE(BigInt(head.seq), at + 8);
  buf.writeBigUInt64LE(BigInt(head.icount), at + 16);
  buf.writeBigUInt64LE(BigInt(head.pc), at + 24);
}

export function readRecordHead(buf: Buffer, at: number): RecordHead {
  return {
    kind: buf.readUInt8(at),
    flags: buf.readUInt8(at + 1),
    pool: buf.readUInt16LE(at + 2),
    len: buf.readUInt32LE(at + 4),
    seq: readSafeU64(buf, at + 8),
    icount: readSafeU64(buf, at + 16),
    pc: readSafeU64(buf, at + 24),
  };
}

/** Reads a u64 that must fit a JS number (offsets, counts and user-space addresses do). */
export function readSafeU64(buf: Buffer, at: number): number {
  // two 32-bit halves, no BigInt: the reader decodes three of these per record
  const high = buf.readUInt32LE(at + 4);
  if (high > SAFE_HIGH_WORD) throw new TraceFormatError(`u64 at byte ${at} is too large: ${buf.readBigUInt64LE(at)}`);
  return high * 2 ** 32 + buf.readUInt32LE(at);
}

/** The largest high word of a u64 that is still a safe integer (2^53 - 1 has high word 2^21 - 1). */
const SAFE_HIGH_WORD = 2 ** 21 - 1;

/** Encodes one event's payload; the head is written by the caller. */
export function encodePayload(event: TraceEvent): { flags: number; payload: Buffer } {
  switch (event.kind) {
    case 'store': {
      const payload = Buffer.allocUnsafe(8 + event.data.length);
      payload.writeBigUInt64LE(BigInt(event.offset), 0);
      payload.set(event.data, 8);
      return { flags: event.nonTemporal ? 1 : 0, payload };
    }
    case 'flush':
      return { flags: FLUSH_KINDS.indexOf(event.flushKind), payload: u64s(event.offset) };
    case 'fence':
      return { flags: FENCE_KINDS.indexOf(event.fenceKind), payload: Buffer.alloc(0) };
    case 'msync':
      return { flags: 0, payload: u64s(event.offset, event.length) };
    case 'marker':
      return { flags: MARKER_KINDS.indexOf(event.markerKind), payload: Buffer.from(event.name, 'utf8') };
  }
}

function u64s(...values: number[]): Buffer {
  const buf = Buffer.allocUnsafe(8 * values.length);
  values.forEach((v, i) => buf.writeBigUInt64LE(BigInt(v), 8 * i));
  return buf;
}

export function kindCode(event: TraceEvent): number {
  return RecordKind[event.kind];
}

/** What the records before an event say about it: its line, and (native) its user frame. */
export interface EventContext {
  site?: string | undefined;
  frame?: FrameState | undefined;
  /** The name of the function the user called (frame kind caller), when a writer recorded it. */
  via?: string | undefined;
  /** The thread the last thread record named (0, and left out of the event, before any). */
  thread?: number | undefined;
}

/**
 * An event record (kinds 1–5) as the columns of an event table (core/trace/event-table.ts). A
 * store's `data` is a view into `payload`: the table copies it into its arena.
 */
export function decodeEventRow(head: RecordHead, payload: Buffer, context: EventContext, pcIsSiteId = false): EventRow {
  const { site, frame, via, thread } = context;
  const row: EventRow = {
    kind: EventKind.store,
    flags: head.flags,
    pool: head.pool,
    icount: head.icount,
    pc: pcIsSiteId ? 0 : head.pc,
    ...(thread ? { thread } : {}),
    ...(site ? { site } : {}),
    ...(frame?.kind === FrameKind.outside ? { outsideUserCode: true } : {}),
    ...(frame?.kind === FrameKind.caller ? { callerPc: frame.callerPc, calleePc: frame.calleePc } : {}),
    ...(via ? { via } : {}),
  };
  switch (head.kind) {
    case RecordKind.store:
      need(payload, 8, 'store');
      row.offset = readSafeU64(payload, 0);
      row.data = payload.subarray(8);
      row.flags = head.flags & 1;
      return row;
    case RecordKind.flush:
      need(payload, 8, 'flush');
      pick(FLUSH_KINDS, head.flags, 'flush');
      return { ...row, kind: EventKind.flush, offset: readSafeU64(payload, 0) };
    case RecordKind.fence:
      pick(FENCE_KINDS, head.flags, 'fence');
      return { ...row, kind: EventKind.fence };
    case RecordKind.msync:
      need(payload, 16, 'msync');
      return {
        ...row,
        kind: EventKind.msync,
        flags: 0,
        offset: readSafeU64(payload, 0),
        length: readSafeU64(payload, 8),
      };
    case RecordKind.marker:
      pick(MARKER_KINDS, head.flags, 'marker');
      return { ...row, kind: EventKind.marker, name: payload.toString('utf8') };
    default:
      throw new TraceFormatError(`unknown record kind ${head.kind} at event ${head.seq}`);
  }
}

function need(payload: Buffer, bytes: number, what: string): void {
  if (payload.length < bytes)
    throw new TraceFormatError(`${what} record has ${payload.length} payload bytes, needs ${bytes}`);
}

function pick<T>(table: readonly T[], code: number, what: string): T {
  const value = table[code];
  if (value === undefined) throw new TraceFormatError(`unknown ${what} kind code ${code}`);
  return value;
}

export class TraceFormatError extends Error {
  override name = 'TraceFormatError';
}
