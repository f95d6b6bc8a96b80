// Streaming writer of the binary trace format: buffered appends to one file.
import { closeSync, openSync, writeSync } from 'node:fs';
import type { PoolMapping, TraceEvent, TraceHeader } from '../api.js';
import {
  FILE_PREAMBLE_BYTES,
  RECORD_HEAD_BYTES,
  RecordKind,
  TRACE_FORMAT_VERSION,
  TRACE_MAGIC,
  encodePayload,
  kindCode,
  writeRecordHead,
} from './format.js';

const FLUSH_THRESHOLD = 1 << 16;

export class TraceWriter {
  private readonly fd: number;
  private chunks: Buffer[] = [];
  private buffered = 0;
  private readonly siteIds = new Map<string, number>();
  private readonly nativeSites = new Set<number>();

  constructor(
    path: string,
    private readonly header: TraceHeader,
  ) {
    this.fd = openSync(path, 'w');
    this.push(encodePreamble(header));
  }

  append(event: TraceEvent): void {
    const ts = this.header.source === 'ts';
    const pc = ts && event.site !== undefined ? this.siteId(event.site) : event.pc;
    if (!ts && event.site !== undefined && event.pc !== 0) this.nativeSite(event.pc, event.site);
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

  close(): void {
    this.flush();
    closeSync(this.fd);
  }

  /** TS call sites are interned: the first use of a site writes a kind-6 record naming it. */
  private siteId(site: string): number {
    let id = this.siteIds.get(site);
    if (id === undefined) {
      id = this.siteIds.size + 1;
      this.siteIds.set(site, id);
      this.pushRecord(RecordKind.site, 1, 0, id, Buffer.from(site, 'utf8'));
    }
    return id;
  }

  /** A native pc resolved to a source line: written once, keyed by the pc itself. */
  private nativeSite(pc: number, site: string): void {
    if (this.nativeSites.has(pc)) return;
    this.nativeSites.add(pc);
    this.pushRecord(RecordKind.site, 0, 0, pc, Buffer.from(site, 'utf8'));
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

function encodePreamble(header: TraceHeader): Buffer {
  const json = Buffer.from(JSON.stringify({ ...header, formatVersion: TRACE_FORMAT_VERSION }), 'utf8');
  const pre = Buffer.alloc(FILE_PREAMBLE_BYTES);
  pre.write(TRACE_MAGIC, 0, 'latin1');
  pre.writeUInt32LE(TRACE_FORMAT_VERSION, 8);
  pre.writeUInt32LE(json.length, 12);
  return Buffer.concat([pre, json]);
}

/** Writes a whole in-memory trace to a file. */
export function writeTrace(
  path: string,
  header: TraceHeader,
  events: Iterable<TraceEvent>,
  mappings: PoolMapping[] = [],
): void {
  const writer = new TraceWriter(path, header);
  for (const m of mappings) writer.appendMapping(m);
  for (const e of events) writer.append(e);
  writer.close();
}
