// Streaming writer of the binary trace format: buffered appends to one file.
import { closeSync, openSync, writeSync } from 'node:fs';
import type { CodeObject, PoolMapping, TraceEvent, TraceHeader } from '../api.js';
import {
  FILE_PREAMBLE_BYTES,
  type FrameState,
  FrameKind,
  OBJECT_MAIN,
  OBJECT_USER,
  RECORD_HEAD_BYTES,
  RecordKind,
  SITE_FUNCTION,
  SITE_TS,
  TRACE_FORMAT_ONE_THREAD,
  TRACE_FORMAT_VERSION,
  TRACE_MAGIC,
  encodePayload,
  frameOf,
  kindCode,
  sameFrame,
  writeRecordHead,
} from './format.js';

import { EventTable } from './event-table.js';

const FLUSH_THRESHOLD = 1 << 16;

export class TraceWriter {
  private readonly fd: number;
  private chunks: Buffer[] = [];
  private buffered = 0;
  private readonly siteIds = new Map<string, number>();
  private readonly nativeSites = new Set<number>();
  private readonly nativeNames = new Set<number>();
  private frame: FrameState | undefined;
  /** The thread of the last event written: a thread record precedes an event of another. */
  private thread = 0;
  /** A thread record was written: the preamble is rewritten at close to say version 3. */
  private threadsWritten = false;

  constructor(
    path: string,
    private readonly header: TraceHeader,
  ) {
    this.fd = openSync(path, 'w');
    this.push(encodePreamble(header, TRACE_FORMAT_ONE_THREAD));
  }

  append(event: TraceEvent): void {
    const ts = this.header.source === 'ts';
    const pc = ts && event.site !== undefined ? this.siteId(event.site) : event.pc;
    if ((event.thread ?? 0) !== this.thread) {
      this.thread = event.thread ?? 0;
      this.threadsWritten = true;
      const payload = Buffer.allocUnsafe(4);
      payload.writeUInt32LE(this.thread, 0);
      this.pushRecord(RecordKind.thread, 0, 0, 0, payload);
    }
    if (!ts) this.nativeContext(event);
    const { flags, payload } = encodePayload(event);
    const head = Buffer.allocUnsafe(RECORD_HEAD_BYTES);
    writeRecordHead(head, 0, {
      kind: kindCode(event),
      flags,
      pool: event.pool,
      len: payload.length,
      seq: event.seq,
      icount: event.icount,
      pc,
    });
    this.push(head, payload);
  }

  appendMapping(mapping: PoolMapping): void {
    const payload = Buffer.allocUnsafe(24);
    payload.writeBigUInt64LE(BigInt(mapping.base), 0);
    payload.writeBigUInt64LE(BigInt(mapping.length), 8);
    payload.writeBigUInt64LE(BigInt(mapping.fileOffset), 16);
    this.pushRecord(RecordKind.map, 0, mapping.pool, 0, payload);
  }

  appendObject(object: CodeObject): void {
    const path = Buffer.from(object.path, 'utf8');
    const payload = Buffer.allocUnsafe(16 + path.length);
    payload.writeBigUInt64LE(BigInt(object.start), 0);
    payload.writeBigUInt64LE(BigInt(object.end), 8);
    payload.set(path, 16);
    const flags = (object.user ? OBJECT_USER : 0) | (object.main ? OBJECT_MAIN : 0);
    this.pushRecord(RecordKind.object, flags, 0, object.bias, payload);
  }

  close(): void {
    this.flush();
    // the version is one digit either way: the header keeps its length, the records their place
    if (this.threadsWritten) {
      const preamble = encodePreamble(this.header, TRACE_FORMAT_VERSION);
      writeSync(this.fd, preamble, 0, preamble.length, 0);
    }
    closeSync(this.fd);
  }

  /** TS call sites are interned: the first use of a site writes a kind-6 record naming it. */
  private siteId(site: string): number {
    let id = this.siteIds.get(site);
    if (id === undefined) {
      id = this.siteIds.size + 1;
      this.siteIds.set(site, id);
      this.pushRecord(RecordKind.site, SITE_TS, 0, id, Buffer.from(site, 'utf8'));
    }
    return id;
  }

  /**
   * What a native event's reader needs before it: a frame record when its user frame changed, and
   * the line (kind 6) of the pc its site belongs to (the caller's, for a caller frame), and the name
   * of the function the user called (`via`), each written once per pc.
   */
  private nativeContext(event: TraceEvent): void {
    const frame = frameOf(event);
    if (!this.frame || !sameFrame(this.frame, frame)) {
      this.frame = frame;
      const payload = Buffer.allocUnsafe(frame.kind === FrameKind.caller ? 8 : 0);
      if (frame.kind === FrameKind.caller) payload.writeBigUInt64LE(BigInt(frame.calleePc), 0);
      this.pushRecord(RecordKind.frame, frame.kind, 0, frame.callerPc, payload);
    }
    const linePc = frame.kind === FrameKind.caller ? frame.callerPc : event.pc;
    if (event.site !== undefined && linePc !== 0 && !this.nativeSites.has(linePc)) {
      this.nativeSites.add(linePc);
      this.pushRecord(RecordKind.site, 0, 0, linePc, Buffer.from(event.site, 'utf8'));
    }
    if (event.via !== undefined && frame.calleePc !== 0 && !this.nativeNames.has(frame.calleePc)) {
      this.nativeNames.add(frame.calleePc);
      this.pushRecord(RecordKind.site, SITE_FUNCTION, 0, frame.calleePc, Buffer.from(event.via, 'utf8'));
    }
  }

  private pushRecord(kind: number, flags: number, pool: number, pc: number, payload: Buffer): void {
    const head = Buffer.allocUnsafe(RECORD_HEAD_BYTES);
    writeRecordHead(head, 0, { kind, flags, pool, len: payload.length, seq: 0, icount: 0, pc });
    this.push(head, payload);
  }

  private push(...bufs: Buffer[]): void {
    for (const b of bufs) {
      this.chunks.push(b);
      this.buffered += b.length;
    }
    if (this.buffered >= FLUSH_THRESHOLD) this.flush();
  }

  private flush(): void {
    if (this.buffered === 0) return;
    writeSync(this.fd, Buffer.concat(this.chunks, this.buffered));
    this.chunks = [];
    this.buffered = 0;
  }
}

/** A trace of one thread says version 2 (it is one), so older readers still read it. */
function encodePreamble(header: TraceHeader, version: number): Buffer {
  const json = Buffer.from(JSON.stringify({ ...header, formatVersion: version }), 'utf8');
  const pre = Buffer.alloc(FILE_PREAMBLE_BYTES);
  pre.write(TRACE_MAGIC, 0, 'latin1');
  pre.writeUInt32LE(version, 8);
  pre.writeUInt32LE(json.length, 12);
  return Buffer.concat([pre, json]);
}

/** Writes a whole in-memory trace to a file. */
export function writeTrace(
  path: string,
  header: TraceHeader,
  events: Iterable<TraceEvent>,
  mappings: PoolMapping[] = [],
  objects: CodeObject[] = [],
): void {
  const writer = new TraceWriter(path, header);
  for (const m of mappings) writer.appendMapping(m);
  for (const o of objects) writer.appendObject(o);
  // a flat table (several pools: core/pool-layout.ts) is written back in each pool's own offsets
  const flat = events instanceof EventTable ? events : undefined;
  for (const e of events) {
    const base = flat && 'offset' in e ? flat.poolBase(e.pool) : 0;
    writer.append(base === 0 ? e : ({ ...e, offset: (e as { offset: number }).offset - base } as TraceEvent));
  }
  writer.close();
}
