// Memory and speed of the compact trace and the compact point log (issue 12, item 3), engine only:
// `stores` 8-byte stores, each written back and fenced (3 events a store, one durable change per
// crash point), checked by a checker that answers at once, so the figures are the engine's own.
//   - bytes per event: the heap and array buffers the trace holds once built (or read), besides the
//     bytes stored (the arena), over its events — target ≤ 100;
//   - images/s and peak RSS of the engine at 10^4, 10^5 and 10^6 stores, eadr and adr/strict, with
//     the trace built in memory and read from a trace file (written with core/trace/writer.ts), and
//     the judge's finalize on the log afterwards — target: 10^6 stores (eadr) in ≤ 1 GiB peak RSS.
// Each run is a child process of its own (its peak RSS is its own), with --expose-gc.
// With --baseline DIR (another checkout, built), each row is also run by DIR's own copy of this
// bench, right after this build's: before and after a change, side by side in one run.
// Run: node dist/bench/compact-trace.js [--stores 10000,100000,1000000] [--models eadr,adr]
//      [--sources memory,file] [--baseline DIR] [--out FILE]
// Writes bench/results/compact-trace.json (or --out), with the machine and its load noted.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Checker, ModelName, Trace, TraceHeader } from '../core/api.js';
import { EventKind, EventTable, FENCE_KIND_CODES, FLUSH_KIND_CODES } from '../core/trace/event-table.js';
import { readTrace } from '../core/trace/reader.js';
import { TraceWriter } from '../core/trace/writer.js';
import { observe } from '../harness/engine/engine.js';
import { finalize } from '../harness/judge/finalize.js';
import type { ImageTable } from '../harness/engine/image-table.js';
import type { PointTable } from '../harness/engine/point-table.js';
import { machine, writeResults } from './machine.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const POOL_BYTES = 1 << 20;
const CLWB = FLUSH_KIND_CODES.indexOf('clwb');
const SFENCE = FENCE_KIND_CODES.indexOf('sfence');

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}

const header: TraceHeader = {
  formatVersion: 2,
  source: 'native',
  program: ['bench'],
  pools: [{ id: 0, path: 'bench.pool', size: POOL_BYTES }],
};

/** The value of store i, little-endian: every store writes different bytes. */
function word(i: number): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, BigInt(i + 1), true);
  return b;
}

/** The events of the append log, one at a time, as columns: store i, its clwb, a fence. */
function* appendLogRows(stores: number) {
  let icount = 0;
  for (let i = 0; i < stores; i++) {
    const offset = (i * 8) % POOL_BYTES;
    const pc = 0x401000 + (i % 7) * 16;
    yield { kind: EventKind.store, flags: 0, pool: 0, icount: (icount += 3), pc, offset, data: word(i) };
    yield { kind: EventKind.flush, flags: CLWB, pool: 0, icount: (icount += 3), pc: pc + 4, offset };
    yield { kind: EventKind.fence, flags: SFENCE, pool: 0, icount: (icount += 3), pc: pc + 8 };
  }
}

function appendLogTable(stores: number): EventTable {
  const events = new EventTable();
  for (const row of appendLogRows(stores)) events.appendRow(row);
  return events.seal();
}

/** Writes the append log to a trace file event by event (never the whole trace in memory). */
function writeAppendLog(path: string, stores: number): void {
  const writer = new TraceWriter(path, header);
  let seq = 0;
  let icount = 0;
  for (let i = 0; i < stores; i++) {
    const offset = (i * 8) % POOL_BYTES;
    const pc = 0x401000 + (i % 7) * 16;
    const base = { pool: 0 };
    writer.append({
      ...base,
      seq: seq++,
      icount: (icount += 3),
      pc,
      kind: 'store',
      offset,
      data: word(i),
      nonTemporal: false,
    });
    writer.append({ ...base, seq: seq++, icount: (icount += 3), pc: pc + 4, kind: 'flush', offset, flushKind: 'clwb' });
    writer.append({ ...base, seq: seq++, icount: (icount += 3), pc: pc + 8, kind: 'fence', fenceKind: 'sfence' });
  }
  writer.close();
}

/** Heap and array buffers in use after full collections (array buffers are released a turn later). */
async function usedBytes(): Promise<number> {
  const gc = (globalThis as { gc?: () => void }).gc;
  for (let i = 0; i < 3; i++) {
    gc?.();
    await new Promise((resolve) => setImmediate(resolve));
  }
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

interface Row {
  stores: number;
  model: ModelName;
  source: 'memory' | 'file';
  events: number;
  traceFileMiB?: number;
  /** Seconds to build or read the trace. */
  traceSeconds: number;
  /** Heap and array buffers the trace holds, besides the stored bytes, per event. */
  bytesPerEvent: number;
  storedBytes: number;
  crashPoints: number;
  images: number;
  distinct: number;
  engineSeconds: number;
  imagesPerSecond: number;
  /** Heap and array buffers the engine's log holds after the run (points and image records), per crash point. */
  logBytesPerPoint: number;
  /** Of which the point table's own columns and image number list (PointTable.byteSize). */
  pointTableBytesPerPoint: number;
  /** The image table's columns (ImageTable.byteSize) per distinct image. */
  imageTableBytesPerImage?: number;
  peakRssAfterEngineMiB: number;
  finalizeSeconds: number;
  peakRssMiB: number;
}

async function one(stores: number, model: ModelName, source: 'memory' | 'file', file?: string): Promise<Row> {
  const before = await usedBytes();
  let started = process.hrtime.bigint();
  const events = source === 'file' ? readTrace(file!).events : appendLogTable(stores);
  const traceSeconds = Number(process.hrtime.bigint() - started) / 1e9;
  const trace: Trace = { header, mappings: [], events };
  const traceBytes = (await usedBytes()) - before;
  const answer: Checker = { check: async () => ({ kind: 'passed' as const, output: '' }), close: async () => {} };
  started = process.hrtime.bigint();
  const log = await observe({
    scenario: 'append',
    trace,
    initial: Buffer.alloc(POOL_BYTES),
    model,
    strategy: model === 'eadr' ? 'eadr' : 'strict',
    oracle: 'exit',
    seed: '0',
    checker: answer,
    inFlight: 8,
    replayCommand: (id) => id,
  });
  const engineSeconds = Number(process.hrtime.bigint() - started) / 1e9;
  const peakRssAfterEngine = process.resourceUsage().maxRSS;
  const logBytes = (await usedBytes()) - before - traceBytes;
  started = process.hrtime.bigint();
  finalize(log, 0);
  const finalizeSeconds = Number(process.hrtime.bigint() - started) / 1e9;
  const images = log.points.imageCount;
  return {
    stores,
    model,
    source,
    events: events.length,
    ...(file ? { traceFileMiB: Number((statSync(file).size / 2 ** 20).toFixed(1)) } : {}),
    traceSeconds: Number(traceSeconds.toFixed(3)),
    bytesPerEvent: Number(((traceBytes - events.arenaBytes) / events.length).toFixed(1)),
    storedBytes: events.arenaBytes,
    crashPoints: log.points.length,
    images,
    distinct: log.images.size,
    engineSeconds: Number(engineSeconds.toFixed(3)),
    imagesPerSecond: Math.round(images / engineSeconds),
    logBytesPerPoint: Math.round(logBytes / log.points.length),
    pointTableBytesPerPoint: Number(((log.points as PointTable).byteSize / log.points.length).toFixed(1)),
    imageTableBytesPerImage: Number(((log.images as ImageTable).byteSize / log.images.size).toFixed(1)),
    peakRssAfterEngineMiB: Math.round(peakRssAfterEngine / 1024),
    finalizeSeconds: Number(finalizeSeconds.toFixed(3)),
    peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
  };
}

/** One row in a child process of its own, run by this bench or by the one of the `baseline` checkout. */
function inChild(
  stores: number,
  model: ModelName,
  source: 'memory' | 'file',
  file?: string,
  baseline?: string,
): Row | object {
  const build = { build: baseline ? `baseline ${baseline}` : 'this checkout' };
  try {
    const out = execFileSync(
      process.execPath,
      [
        '--expose-gc',
        '--max-old-space-size=4096',
        baseline ? join(baseline, 'dist/bench/compact-trace.js') : fileURLToPath(import.meta.url),
        '--one',
        String(stores),
        model,
        source,
        ...(file ? [file] : []),
      ],
      { encoding: 'utf8', maxBuffer: 1 << 20, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    return { ...build, ...(JSON.parse(out) as Row) };
  } catch (err) {
    return { ...build, stores, model, source, error: String((err as Error).message).split('\n')[0]! };
  }
}

async function main(): Promise<void> {
  const oneAt = process.argv.indexOf('--one');
  if (oneAt >= 0) {
    const [stores, model, source, file] = process.argv.slice(oneAt + 1);
    const row = await one(Number(stores), model as ModelName, source as 'memory' | 'file', file);
    process.stdout.write(JSON.stringify(row));
    return;
  }
  const storeCounts = arg('stores', '10000,100000,1000000').split(',').map(Number);
  const models = arg('models', 'eadr,adr').split(',') as ModelName[];
  const sources = arg('sources', 'memory,file').split(',') as Array<'memory' | 'file'>;
  const baseline = arg('baseline', '') || undefined;
  const load = { start: loadavg(), uptime: execFileSync('uptime', { encoding: 'utf8' }).trim() };
  console.log(`load: ${load.uptime}`);
  const dir = mkdtempSync(join(tmpdir(), 'pmfit-bench-compact-'));
  const rows: Array<Row | object> = [];
  try {
    for (const stores of storeCounts) {
      const file = join(dir, `append-${stores}.pmtrace`);
      if (sources.includes('file')) writeAppendLog(file, stores);
      for (const source of sources)
        for (const model of models) {
          for (const build of baseline ? [undefined, baseline] : [undefined]) {
            const row = inChild(stores, model, source, source === 'file' ? file : undefined, build);
            console.log(JSON.stringify(row));
            rows.push(row);
          }
        }
      rmSync(file, { force: true });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const end = loadavg();
  const out = arg('out', join(root, 'bench/results/compact-trace.json'));
  writeResults(out, {
    date: new Date().toISOString(),
    machine: machine(),
    load: { uptimeAtStart: load.uptime, loadavgStart: load.start, loadavgEnd: end },
    command: `node dist/bench/compact-trace.js ${process.argv.slice(2).join(' ')}`.trim(),
    workload:
      'N 8-byte stores, each written back (clwb) and fenced: 3 events a store; engine only (a checker that answers at once), eadr/eadr and adr/strict; then finalize (the judge without re-simulation)',
    targets: { bytesPerEvent: 100, peakRssMiBAt1e6StoresEadr: 1024 },
    rows,
  });
  console.log(`load at end: ${end.map((l) => l.toFixed(2)).join(' ')}`);
}

await main();
