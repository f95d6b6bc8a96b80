// Records what a TypeScript snippet does to a pool, as trace events in program order.
// The Pool calls it; scenarios never do. Call sites are taken from the JS stack so a finding
// can name the line of the snippet that made a lost store.
import { relative } from 'node:path';
import type { FenceKind, FlushKind, MarkerKind, TraceEvent } from './api.js';

export const CACHE_LINE = 64;

export class TraceRecorder {
  readonly events: TraceEvent[] = [];
  private enabled = true;

  constructor(private readonly options: { pool?: number; sites?: boolean } = {}) {}

  /** Stops recording (the untraced init phase uses a recorder that is paused). */
  pause(): void {
    this.enabled = false;
  }

  resume(): void {
    this.enabled = true;
  }

  store(offset: number, data: Uint8Array, nonTemporal = false): void {
    if (data.length === 0) return;
    this.push({ kind: 'store', offset, data: new Uint8Array(data), nonTemporal });
  }

  /** Flushes every cache line overlapping [offset, offset+length). */
  flushRange(offset: number, length: number, flushKind: FlushKind = 'clwb'): void {
    if (length <= 0) return;
    const first = Math.floor(offset / CACHE_LINE) * CACHE_LINE;
    for (let line = first; line < offset + length; line += CACHE_LINE) this.push({ kind: 'flush', offset: line, flushKind });
  }

  fence(fenceKind: FenceKind = 'sfence'): void {
    this.push({ kind: 'fence', fenceKind });
  }

  msync(offset: number, length: number): void {
    this.push({ kind: 'msync', offset, length });
  }

  marker(markerKind: MarkerKind, name = ''): void {
    this.push({ kind: 'marker', markerKind, name });
  }

  private push(event: DistributiveOmit<TraceEvent, 'seq' | 'icount' | 'pc' | 'pool' | 'site'>): void {
    if (!this.enabled) return;
    const site = this.options.sites === false ? undefined : callSite();
    this.events.push({
      ...event,
      seq: this.events.length,
      // A TS snippet's "instruction count" is its event count: crash point i stands for icount i.
      icount: this.events.length + 1,
      pc: 0,
      pool: this.options.pool ?? 0,
      ...(site ? { site } : {}),
    } as TraceEvent);
  }
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

const INTERNAL_FRAME = /\/core\/(pool|trace-recorder)\.(js|ts)/;

/** The first stack frame outside pmfit's core: the snippet line that called the Pool. */
function callSite(): string | undefined {
  const holder: { stack?: string } = {};
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 8;
  Error.captureStackTrace(holder, callSite);
  Error.stackTraceLimit = limit;
  for (const line of (holder.stack ?? '').split('\n').slice(1)) {
    const match = /\(?((?:file:\/\/)?\/[^()\s]+):(\d+):(\d+)\)?\s*$/.exec(line);
    if (!match || INTERNAL_FRAME.test(match[1]!)) continue;
    const file = match[1]!.replace(/^file:\/\//, '');
    return `${relative(process.cwd(), file) || file}:${match[2]}:${match[3]}`;
  }
  return undefined;
}
