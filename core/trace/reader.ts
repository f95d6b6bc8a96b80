// Streaming reader of the binary trace format: decodes records front to back in bounded chunks.
import { closeSync, openSync, readSync } from 'node:fs';
import type { CodeObject, PoolMapping, Trace, TraceHeader } from '../api.js';
import {
  FILE_PREAMBLE_BYTES,
  type FrameState,
  FrameKind,
  OBJECT_MAIN,
  OBJECT_USER,
  RECORD_HEAD_BYTES,
  RecordKind,
  type RecordHead,
  SITE_FUNCTION,
  TRACE_FORMAT_OLDEST,
  TRACE_FORMAT_VERSION,
  TRACE_MAGIC,
  TraceFormatError,
  decodeEventRow,
  readRecordHead,
  readSafeU64,
} from './format.js';
import { EventTable } from './event-table.js';

const CHUNK_BYTES = 1 << 20;

/** Reads a file sequentially, handing out exact byte counts across chunk boundaries. */
class ByteSource {
  private buf = Buffer.alloc(0);
  private at = 0;
  private eof = false;

  constructor(private readonly fd: number) {}

  /** Returns exactly `n` bytes, or null at a clean end of file; throws on a truncated record. */
  take(n: number, what: string): Buffer | null {
    while (this.buf.length - this.at < n && !this.eof) this.refill(n);
    const available = this.buf.length - this.at;
    if (available === 0 && this.eof) return null;
    if (available < n) throw new TraceFormatError(`trace is truncated inside ${what} (${available} of ${n} bytes)`);
    const out = this.buf.subarray(this.at, this.at + n);
    this.at += n;
    return out;
  }

  private refill(atLeast: number): void {
    const rest = this.buf.subarray(this.at);
    const chunk = Buffer.allocUnsafe(Math.max(CHUNK_BYTES, atLeast));
    const got = readSync(this.fd, chunk, 0, chunk.length, null);
    if (got === 0) this.eof = true;
    this.buf = Buffer.concat([rest, chunk.subarray(0, got)]);
    this.at = 0;
  }
}

function readHeader(source: ByteSource): TraceHeader {
  const pre = source.take(FILE_PREAMBLE_BYTES, 'the preamble');
  if (!pre || pre.toString('latin1', 0, 8) !== TRACE_MAGIC) throw new TraceFormatError('not a pmfit trace (bad magic)');
  const version = pre.readUInt32LE(8);
  if (version < TRACE_FORMAT_OLDEST || version > TRACE_FORMAT_VERSION)
    throw new TraceFormatError(
      `trace format version ${version} is not supported (this pmfit reads ${TRACE_FORMAT_OLDEST} to ${TRACE_FORMAT_VERSION})`,
    );
  const json = source.take(pre.readUInt32LE(12), 'the header');
  if (!json) throw new TraceFormatError('trace is truncated inside the header');
  try {
    return JSON.parse(json.toString('utf8')) as TraceHeader;
  } catch {
    throw new TraceFormatError('trace header is not valid JSON');
  }
}

function decodeFrame(head: RecordHead, payload: Buffer): FrameState {
  if (head.flags > FrameKind.caller) throw new TraceFormatError(`unknown frame kind code ${head.flags}`);
  if (head.flags !== FrameKind.caller) return { kind: head.flags, callerPc: 0, calleePc: 0 };
  if (payload.length < 8) throw new TraceFormatError('frame record is too short');
  return { kind: head.flags, callerPc: head.pc, calleePc: readSafeU64(payload, 0) };
}

function decodeThread(payload: Buffer): number {
  if (payload.length < 4) throw new TraceFormatError('thread record is too short');
  return payload.readUInt32LE(0);
}

function decodeObject(head: RecordHead, payload: Buffer): CodeObject {
  if (payload.length < 16) throw new TraceFormatError('object record is too short');
  return {
    path: payload.toString('utf8', 16),
    bias: head.pc,
    start: readSafeU64(payload, 0),
    end: readSafeU64(payload, 8),
    user: (head.flags & OBJECT_USER) !== 0,
    main: (head.flags & OBJECT_MAIN) !== 0,
  };
}

function decodeMapping(pool: number, payload: Buffer): PoolMapping {
  if (payload.length < 24) throw new TraceFormatError('map record is too short');
  return { pool, base: readSafeU64(payload, 0), length: readSafeU64(payload, 8), fileOffset: readSafeU64(payload, 16) };
}

/**
 * Reads a whole trace into an event table, record by record from 1 MiB chunks of the file (never the
 * whole file in memory), checking that sequence numbers are consecutive. No event object is made.
 */
export function readTrace(path: string): Trace {
  const fd = openSync(path, 'r');
  let source: ByteSource;
  let header: TraceHeader;
  try {
    source = new ByteSource(fd);
    header = readHeader(source);
  } catch (err) {
    closeSync(fd);
    throw err;
  }
  const mappings: PoolMapping[] = [];
  const objects: CodeObject[] = [];
  const events = new EventTable();
  const pcIsSiteId = header.source === 'ts';
  const sites = new Map<number, string>();
  const names = new Map<number, string>();
  let frame: FrameState | undefined;
  // a thread record names the thread of the events after it; before any, thread 0
  let thread = 0;
  try {
    for (;;) {
      const headBytes = source.take(RECORD_HEAD_BYTES, 'a record head');
      if (!headBytes) break;
      const head = readRecordHead(headBytes, 0);
      const payload = source.take(head.len, `record ${head.seq}`) ?? Buffer.alloc(0);
      if (head.kind === RecordKind.site)
        (head.flags & SITE_FUNCTION ? names : sites).set(head.pc, payload.toString('utf8'));
      else if (head.kind === RecordKind.map) mappings.push(decodeMapping(head.pool, payload));
      else if (head.kind === RecordKind.object) objects.push(decodeObject(head, payload));
      else if (head.kind === RecordKind.frame) frame = decodeFrame(head, payload);
      else if (head.kind === RecordKind.thread) thread = decodeThread(payload);
      else {
        if (head.seq !== events.length)
          throw new TraceFormatError(`event ${events.length} has sequence number ${head.seq}`);
        const caller = frame?.kind === FrameKind.caller;
        events.appendRow(
          decodeEventRow(
            head,
            payload,
            {
              site: sites.get(caller ? frame!.callerPc : head.pc),
              frame,
              via: caller ? names.get(frame!.calleePc) : undefined,
              thread,
            },
            pcIsSiteId,
          ),
        );
      }
    }
  } finally {
    closeSync(fd);
  }
  return { header, mappings, events: events.seal(), ...(objects.length > 0 ? { objects } : {}) };
}
