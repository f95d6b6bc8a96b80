// Records what a TypeScript snippet does to a pool, as trace events in program order.
// The Pool calls it; scenarios never do. Call sites are taken from the JS stack so a finding
// can name the line of the snippet that made a lost store.
import { findSourceMap } from 'node:module';
import { isAbsolute, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FenceKind, FlushKind, MarkerKind, TraceEvent } from '../api.js';
import { EventTable } from './event-table.js';

export const CACHE_LINE = 64;

export class TraceRecorder {
  /** Columnar, like a trace read from a file: the engine reads both the same way. */
  readonly events = new EventTable();
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
    // the table copies the bytes into its arena: the pool may change them afterwards
    this.push({ kind: 'store', offset, data, nonTemporal });
  }

  /** Flushes every cache line overlapping [offset, offset+length). */
  flushRange(offset: number, length: number, flushKind: FlushKind = 'clwb'): void {
    if (length <= 0) return;
    const first = Math.floor(offset / CACHE_LINE) * CACHE_LINE;
    for (let line = first; line < offset + length; line += CACHE_LINE)
      this.push({ kind: 'flush', offset: line, flushKind });
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

/**
 * pmfit's own code, compiled (dist/core/…) or not (core/…): this module sits in core/trace/, two
 * levels below the root. Only these folders, not a user's file that happens to be called pool.ts;
 * the built-in scenarios (scenarios/) and the tests are user code like any scenario file.
 */
const PMFIT_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const INTERNAL_DIRS = ['core/', 'harness/', 'icount/'].map((d) => join(PMFIT_ROOT, d));

/** Is a stack frame's file (a path or a file: URL) pmfit's own code? */
export function isPmfitFrame(fileName: string): boolean {
  const path = fileName.startsWith('file://') ? fileURLToPath(fileName) : fileName;
  return INTERNAL_DIRS.some((dir) => path.startsWith(dir));
}

/** V8's structured call sites: read them directly instead of formatting and parsing a stack string. */
function structuredStack(_: Error, frames: NodeJS.CallSite[]): NodeJS.CallSite[] {
  return frames;
}

/** The first stack frame outside pmfit's core: the snippet line that called the Pool. */
function callSite(): string | undefined {
  const holder: { stack?: NodeJS.CallSite[] } = {};
  const { stackTraceLimit, prepareStackTrace } = Error;
  Error.stackTraceLimit = 8;
  Error.prepareStackTrace = structuredStack as typeof Error.prepareStackTrace;
  Error.captureStackTrace(holder, callSite);
  const frames = holder.stack ?? [];
  Error.prepareStackTrace = prepareStackTrace;
  Error.stackTraceLimit = stackTraceLimit;
  for (const frame of frames) {
    const name = frame.getFileName();
    if (!name || isPmfitFrame(name) || name.startsWith('node:')) continue;
    return sourceLocation(name, frame.getLineNumber() ?? 0, frame.getColumnNumber() ?? 0);
  }
  return undefined;
}

// Compiled scenarios carry source maps: name the TypeScript line, not the emitted JavaScript one.
process.setSourceMapsEnabled(true);
const locations = new Map<string, string>();

/** `file:line:col` of a generated position, mapped to its source when a source map knows it (cached). */
function sourceLocation(name: string, line: number, column: number): string {
  const key = `${name}:${line}:${column}`;
  let location = locations.get(key);
  if (location === undefined) {
    const entry = findSourceMap(name)?.findEntry(line - 1, column - 1) as
      | { originalSource?: string; originalLine?: number; originalColumn?: number }
      | undefined;
    const mapped = entry?.originalSource
      ? { file: entry.originalSource, line: entry.originalLine! + 1, column: entry.originalColumn! + 1 }
      : { file: name, line, column };
    const file = mapped.file.replace(/^file:\/\//, '');
    // relative to the working directory when the file is below it, else absolute (never ../../)
    const below = relative(process.cwd(), file);
    const shown = below && !below.startsWith('..') && !isAbsolute(below) ? below : file;
    location = `${shown}:${mapped.line}:${mapped.column}`;
    locations.set(key, location);
  }
  return location;
}
