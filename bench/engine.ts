// Benchmark of the crash-state engine with real native checks through the fork server, on
// synthetic traces (built here, so the figures are the engine's and the checks', not the tracer's):
//   (a) a 4 KiB non-temporal copy (256 movnt of 16 bytes: 64 pending lines), adr/extremes, with
//       /bin/true and with a real check (bench/programs/record-flag-check.c) as the check;
//   (b) the record/flag workload: N records of 64 B (one 64-byte store each) and a flag, every line
//       written back, ONE fence — the flag may persist before a record: the check must catch it. The
//       time to the first failing image (the verdict) and to the end of the run;
//   (d) engine-only images/s and peak RSS at 10^4.. stores (adr/strict, a checker that answers at once,
//       each size in a child process of its own so its peak RSS is its own);
//   (e) the physical limit in the same run: the fork server checking one unchanged image in a loop,
//       and pmfit's distinct images/s with /bin/true as a fraction of it, from 1 to 64 pending lines
//       and from a 64 KiB to a 16 MiB pool — slot files in pmfit's temp dir (tmpfs) and on disk
//       (the OS temp dir): tmpfs cannot show a check's writes to its file, so there every image is
//       written whole (harness/check/slot-image.ts).
// Run: node dist/bench/engine.js [--quick] [--only a,b,d,e] [--max-n 1000] [--stores 10000,100000,1000000] [--out FILE]
// Writes bench/results/engine.json (or --out), with the machine and its load noted.
import { execFile, execFileSync } from 'node:child_process';
import { loadavg, tmpdir } from 'node:os';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CheckOutcome, Checker, ModelName, StrategyName, Trace } from '../core/api.js';
import { EventKind, EventTable, FENCE_KIND_CODES, FLUSH_KIND_CODES } from '../core/trace/event-table.js';
import { makeTempDir, removeTempDir } from '../core/support/temp-dir.js';
import { ForkServerCheckPool } from '../harness/check/fork-server/client.js';
import { observe } from '../harness/engine/engine.js';
import { machine, writeResults } from './machine.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const CHECK = join(root, 'build/bench/record-flag-check');
const JOBS = 2;
const TIMEOUT_MS = 30_000;

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}
const quick = process.argv.includes('--quick');
/** Which parts to run (--only a,b,d,e); the bare loops always run. */
const parts = new Set(arg('only', 'a,b,d,e').split(','));

// ------------------------------------------------------------------ synthetic traces

/** Appends events to a table as columns (no event objects: the bench measures the table's memory). */
class TraceBuilder {
  readonly events = new EventTable();
  private icount = 0;
  private base() {
    return { pool: 0, icount: (this.icount += 3), pc: 0 };
  }
  store(offset: number, data: Uint8Array, nonTemporal = false): void {
    this.events.appendRow({ ...this.base(), kind: EventKind.store, flags: nonTemporal ? 1 : 0, offset, data });
  }
  clwb(offset: number): void {
    this.events.appendRow({ ...this.base(), kind: EventKind.flush, flags: FLUSH_KIND_CODES.indexOf('clwb'), offset });
  }
  sfence(): void {
    this.events.appendRow({ ...this.base(), kind: EventKind.fence, flags: FENCE_KIND_CODES.indexOf('sfence') });
  }
  trace(size: number): Trace {
    return {
      header: { formatVersion: 1, source: 'native', program: ['bench'], pools: [{ id: 0, path: 'bench.pool', size }] },
      mappings: [],
      events: this.events.seal(),
    };
  }
}

function word(value: number): Uint8Array {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt(value));
  return b;
}

/** The content of record i (every word i + 1), or of the flag line. */
function recordLine(i: number, n: number): Buffer {
  const b = Buffer.alloc(64);
  if (i === n) b.writeBigUInt64LE(1n, 0);
  else for (let w = 0; w < 8; w++) b.writeBigUInt64LE(BigInt(i + 1), w * 8);
  return b;
}

/** pmem_memcpy_nodrain of the 63 records and the flag (4 KiB) with 16-byte movnt, then pmem_drain. */
function ntCopy(poolBytes: number): Trace {
  const t = new TraceBuilder();
  for (let line = 0; line < 64; line++) {
    const bytes = recordLine(line, 63);
    for (let part = 0; part < 4; part++)
      t.store(line * 64 + part * 16, bytes.subarray(part * 16, part * 16 + 16), true);
  }
  t.sfence();
  return t.trace(poolBytes);
}

/** N records (one 64-byte store each), the flag, every line written back, one fence. */
function recordFlag(n: number, poolBytes: number): Trace {
  const t = new TraceBuilder();
  for (let i = 0; i < n; i++) t.store(i * 64, recordLine(i, n));
  t.store(n * 64, word(1));
  for (let i = 0; i <= n; i++) t.clwb(i * 64);
  t.sfence();
  return t.trace(poolBytes);
}

/** Rounds of: P 8-byte stores to P lines, each written back, a fence. P pending lines at the top. */
function widePending(p: number, rounds: number, poolBytes: number): Trace {
  const t = new TraceBuilder();
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < p; i++) t.store(((r * p + i) * 64) % poolBytes, word(r * 1000 + i + 1));
    for (let i = 0; i < p; i++) t.clwb(((r * p + i) * 64) % poolBytes);
    t.sfence();
  }
  return t.trace(poolBytes);
}

/** `stores` 8-byte stores, each written back and fenced: one durable change per crash point. */
function appendLog(stores: number, poolBytes: number): Trace {
  const t = new TraceBuilder();
  for (let i = 0; i < stores; i++) {
    const offset = (i * 8) % poolBytes;
    t.store(offset, word(i + 1));
    t.clwb(offset);
    t.sfence();
  }
  return t.trace(poolBytes);
}

// ------------------------------------------------------------------ measuring

interface EngineRow {
  workload: string;
  check: string;
  model: ModelName;
  strategy: StrategyName;
  events: number;
  images: number;
  distinct: number;
  failing: number;
  seconds: number;
  distinctPerSecond: number;
  /** Seconds to the first failing image: the verdict. */
  firstFailureSeconds?: number;
  /** The run was stopped at its first failing image. */
  stoppedAtFirstFailure?: boolean;
  slotDir?: string;
}

type SlotDir = 'tmpfs' | 'disk';

async function withForkServer<T>(
  command: string,
  body: (checker: Checker) => Promise<T>,
  where: SlotDir = 'tmpfs',
): Promise<T> {
  const dir =
    where === 'disk' ? mkdtempSync(join(tmpdir(), 'pmfit-bench-engine-')) : makeTempDir('pmfit-bench-engine-');
  const checker = new ForkServerCheckPool({ command, jobs: JOBS, timeoutMs: TIMEOUT_MS, dir });
  try {
    return await body(checker);
  } finally {
    await checker.close();
    if (where === 'disk') rmSync(dir, { recursive: true, force: true });
    else removeTempDir(dir);
  }
}

async function runEngineOn(
  workload: string,
  check: string,
  trace: Trace,
  checker: Checker,
  options: { stopAtFirstFailure?: boolean; slotDir?: SlotDir } = {},
  model: ModelName = 'adr',
  strategy: StrategyName = 'extremes',
): Promise<EngineRow> {
  const initial = Buffer.alloc(trace.header.pools[0]!.size);
  const started = process.hrtime.bigint();
  const stop = new AbortController();
  let firstFailure: number | undefined;
  const log = await observe({
    scenario: workload,
    trace,
    initial,
    model,
    strategy,
    oracle: 'exit',
    seed: '0',
    checker,
    inFlight: JOBS * 4,
    replayCommand: (id) => id,
    signal: stop.signal,
    onProgress: (p) => {
      if (p.failing > 0 && firstFailure === undefined) {
        firstFailure = Number(process.hrtime.bigint() - started) / 1e9;
        if (options.stopAtFirstFailure) stop.abort();
      }
    },
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const records = [...log.images].map(([, record]) => record);
  const images = log.points.imageCount;
  const errors = records.flatMap((r) => (r.outcome.kind === 'error' ? [r.outcome.error] : []));
  if (errors.length > 0) throw new Error(`${workload}: ${errors.length} checks could not run: ${errors[0]}`);
  const row: EngineRow = {
    workload,
    check,
    model,
    strategy,
    events: trace.events.length,
    images,
    distinct: records.length,
    failing: records.filter((r) => r.outcome.kind !== 'passed').length,
    seconds: Number(seconds.toFixed(3)),
    distinctPerSecond: Math.round(records.length / seconds),
    ...(firstFailure !== undefined ? { firstFailureSeconds: Number(firstFailure.toFixed(3)) } : {}),
    ...(log.incomplete ? { stoppedAtFirstFailure: true } : {}),
    ...(options.slotDir ? { slotDir: options.slotDir } : {}),
  };
  console.log(
    `${workload.padEnd(34)} ${check.padEnd(18)} ${`${model}/${strategy}`.padEnd(13)} ${String(row.distinct).padStart(8)} distinct ${String(row.failing).padStart(6)} failing ${row.seconds.toFixed(2).padStart(8)} s ${String(row.distinctPerSecond).padStart(7)}/s${firstFailure !== undefined ? `  first failure ${firstFailure.toFixed(2)} s` : ''}${log.incomplete ? ' (stopped there)' : ''}`,
  );
  return row;
}

/**
 * Under the bare loop: what this machine forks with no pmfit at all — one C loop per job, each
 * forking a child that maps a 64 KiB pool with libpmem and exits (bench/programs/fork-loop.c).
 * Summed over the jobs running at once, as the fork servers are.
 */
async function machineForkLoop(count: number): Promise<number> {
  const program = join(root, 'build/bench/fork-loop');
  execFileSync('cc', ['-O2', '-Wall', '-o', program, join(root, 'bench/programs/fork-loop.c'), '-lpmem'], {
    stdio: 'inherit',
  });
  const dir = mkdtempSync(join(tmpdir(), 'pmfit-forkloop-'));
  try {
    const pool = join(dir, 'pool');
    writeFileSync(pool, Buffer.alloc(64 * 1024));
    const rates = await Promise.all(
      Array.from(
        { length: JOBS },
        () =>
          new Promise<number>((resolve, reject) =>
            execFile(program, [String(count), pool], { encoding: 'utf8' }, (err, out) =>
              err ? reject(err) : resolve(Number(out.trim())),
            ),
          ),
      ),
    );
    const rate = rates.reduce((a, b) => a + b, 0);
    console.log(
      `${'machine fork+map+exit loop (C)'.padEnd(34)} ${`${JOBS} at once`.padEnd(18)} ${String(Math.round(rate)).padStart(7)}/s`,
    );
    return rate;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The physical limit: the fork server checking one unchanged image, `count` times. */
async function bareLoop(command: string, poolBytes: number, count: number, where: SlotDir = 'tmpfs'): Promise<number> {
  return withForkServer(
    command,
    async (checker) => {
      const image = Buffer.alloc(poolBytes);
      const one = (): Promise<CheckOutcome> => checker.check(sameImage(image));
      for (let i = 0; i < 20; i++) await one();
      const started = process.hrtime.bigint();
      let next = 0;
      const worker = async (): Promise<void> => {
        while (next++ < count) {
          const o = await one();
          if (o.kind === 'error') throw new Error(o.error);
        }
      };
      await Promise.all(Array.from({ length: JOBS * 4 }, worker));
      const rate = count / (Number(process.hrtime.bigint() - started) / 1e9);
      console.log(
        `${`bare fork-server loop (${where})`.padEnd(34)} ${command.split('/').pop()!.padEnd(18)} pool ${String(poolBytes / 1024).padStart(5)} KiB ${String(Math.round(rate)).padStart(7)}/s`,
      );
      return rate;
    },
    where,
  );
}

/**
 * The same image given to the checker again and again: a LineImage of an unchanged journal where
 * the engine has one (the slot writes nothing), else the bytes (then every check rewrites them).
 */
let unchanged: ((image: Buffer) => unknown) | undefined;
function sameImage(image: Buffer): Buffer {
  return (unchanged ? unchanged(image) : Buffer.from(image)) as Buffer;
}

// ------------------------------------------------------------------ engine-only scaling (d)

interface ScaleRow {
  stores: number;
  events: number;
  distinct: number;
  seconds: number;
  distinctPerSecond: number;
  peakRssMiB: number;
}

async function scaleOne(stores: number): Promise<ScaleRow> {
  const trace = appendLog(stores, 1 << 20);
  const answer: Checker = { check: async () => ({ kind: 'passed' as const, output: '' }), close: async () => {} };
  const started = process.hrtime.bigint();
  const log = await observe({
    scenario: 'append',
    trace,
    initial: Buffer.alloc(1 << 20),
    model: 'adr',
    strategy: 'strict',
    oracle: 'exit',
    seed: '0',
    checker: answer,
    inFlight: 8,
    replayCommand: (id) => id,
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const distinct = log.images.size;
  return {
    stores,
    events: trace.events.length,
    distinct,
    seconds: Number(seconds.toFixed(3)),
    distinctPerSecond: Math.round(distinct / seconds),
    peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
  };
}

function scaleInChild(stores: number): ScaleRow | { stores: number; error: string } {
  try {
    const out = execFileSync(
      process.execPath,
      ['--max-old-space-size=4096', fileURLToPath(import.meta.url), '--scale-one', String(stores)],
      { encoding: 'utf8', maxBuffer: 1 << 20, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    return JSON.parse(out) as ScaleRow;
  } catch (err) {
    return { stores, error: String((err as Error).message).split('\n')[0]! };
  }
}

// ------------------------------------------------------------------ main

async function main(): Promise<void> {
  const one = process.argv.indexOf('--scale-one');
  if (one >= 0) {
    process.stdout.write(JSON.stringify(await scaleOne(Number(process.argv[one + 1]))));
    return;
  }
  try {
    const journal = await import(['../harness/engine/model', 'line-journal.js'].join('/'));
    unchanged = journal.fixedImage;
  } catch {
    // an engine without line images: the bare loop rewrites the image every time
  }
  mkdirSync(join(root, 'build/bench'), { recursive: true });
  execFileSync('cc', ['-O2', '-Wall', '-o', CHECK, join(root, 'bench/programs/record-flag-check.c')], {
    stdio: 'inherit',
  });
  const load = { before: loadavg(), uptime: execFileSync('uptime', { encoding: 'utf8' }).trim() };
  console.log(`load: ${load.uptime}`);
  const trueCheck = '/bin/true {pool}';
  const rows: EngineRow[] = [];
  const maxN = Number(arg('max-n', quick ? '100' : '1000'));
  const KiB = 1024;

  // (e) the physical limit first and last, so drift in the machine's load shows
  const loopCount = quick ? 500 : 2000;
  const bare: Record<string, number> = {};
  for (const where of ['tmpfs', 'disk'] as const)
    for (const pool of [64 * KiB, 16 * 1024 * KiB])
      bare[`true-${where}-${pool / KiB}KiB`] = await bareLoop(trueCheck, pool, loopCount, where);
  bare.realCheck = await bareLoop(`${CHECK} {pool} 63`, 64 * KiB, loopCount);
  bare.machineForkLoop = await machineForkLoop(loopCount * 2);

  // (a) the wide non-temporal copy
  if (parts.has('a')) {
    await withForkServer(trueCheck, async (c) =>
      rows.push(await runEngineOn('nt-copy-4KiB', '/bin/true', ntCopy(64 * KiB), c)),
    );
    await withForkServer(`${CHECK} {pool} 63`, async (c) =>
      rows.push(await runEngineOn('nt-copy-4KiB', 'record-flag-check', ntCopy(64 * KiB), c)),
    );
  }

  // (b) record/flag: time to the verdict (first failing image) and to the end of the run
  for (const n of [1, 10, 100, 1000].filter((x) => x <= maxN && parts.has('b'))) {
    const pool = Math.max(64 * KiB, Math.ceil((64 * (n + 1)) / 4096) * 4096);
    await withForkServer(`${CHECK} {pool} ${n}`, async (c) =>
      rows.push(
        await runEngineOn(`record-flag N=${n}`, 'record-flag-check', recordFlag(n, pool), c, {
          stopAtFirstFailure: false,
        }),
      ),
    );
  }

  // (e) flatness: pending lines 1..64 at 64 KiB, pool 64 KiB..16 MiB at 8 pending lines. Each case
  // runs twice, the second three times as long: the whole-run rate counts the run's fixed costs (the
  // fork servers' start, hashing and mirroring a 16 MiB initial image, the slots' first whole write),
  // while the marginal rate (extra images over extra seconds) is the cost per image, which is what
  // the bare loop (warmed up, steady state) measures too.
  const flat: Array<{
    pending: number;
    poolBytes: number;
    slotDir: SlotDir;
    row: EngineRow;
    fractionOfBare: number;
    marginalPerSecond: number;
    marginalFractionOfBare: number;
  }> = [];
  const target = quick ? 600 : 3000;
  for (const where of parts.has('e') ? (['tmpfs', 'disk'] as const) : []) {
    for (const [p, pool] of [
      [1, 64 * KiB],
      [8, 64 * KiB],
      [64, 64 * KiB],
      [8, 1024 * KiB],
      [8, 16 * 1024 * KiB],
    ] as const) {
      // extremes per round: about two images per store, and while the lines are written back, each
      // line awaiting the fence lost whole (p^2 / 2)
      const rounds = Math.max(1, Math.ceil(target / ((p * p) / 2 + 2 * p + 3)));
      const runFor = (r: number) =>
        withForkServer(
          trueCheck,
          (c) =>
            runEngineOn(`pending ${p}, pool ${pool / KiB} KiB, ${r} rounds`, '/bin/true', widePending(p, r, pool), c, {
              slotDir: where,
            }),
          where,
        );
      const row = await runFor(rounds);
      const longer = await runFor(rounds * 3);
      rows.push(row, longer);
      const limit = bare[`true-${where}-${pool >= 16 * 1024 * KiB ? 16 * 1024 : 64}KiB`]!;
      const marginal = (longer.distinct - row.distinct) / Math.max(1e-3, longer.seconds - row.seconds);
      flat.push({
        pending: p,
        poolBytes: pool,
        slotDir: where,
        row,
        fractionOfBare: Number((row.distinctPerSecond / limit).toFixed(3)),
        marginalPerSecond: Math.round(marginal),
        marginalFractionOfBare: Number((marginal / limit).toFixed(3)),
      });
      console.log(
        `  marginal: ${Math.round(marginal)} distinct images/s, ${(marginal / limit).toFixed(2)} of the bare loop (whole run ${(row.distinctPerSecond / limit).toFixed(2)})`,
      );
    }
  }
  bare['true-tmpfs-64KiB-after'] = await bareLoop(trueCheck, 64 * KiB, loopCount);

  // (d) engine-only scaling
  const storeCounts = parts.has('d')
    ? arg('stores', quick ? '10000,100000' : '10000,100000,1000000')
        .split(',')
        .map(Number)
    : [];
  const scaling = storeCounts.map(scaleInChild);
  for (const s of scaling) console.log(`engine only, adr/strict, ${JSON.stringify(s)}`);

  const spread = (xs: number[]) => Number((Math.max(...xs) / Math.min(...xs)).toFixed(2));
  const summary = {
    fractionOfBareLoop: flat.map((f) => ({
      pending: f.pending,
      poolKiB: f.poolBytes / KiB,
      slotDir: f.slotDir,
      fraction: f.fractionOfBare,
      marginal: f.marginalFractionOfBare,
    })),
    flatness: Object.fromEntries(
      (['tmpfs', 'disk'] as const).map((where) => {
        const rates = flat.filter((f) => f.slotDir === where).map((f) => f.row.distinctPerSecond);
        const marginal = flat.filter((f) => f.slotDir === where).map((f) => f.marginalPerSecond);
        return [
          where,
          {
            pendingLines1to64: spread(rates.slice(0, 3)),
            pool64KiBto16MiB: spread([rates[1]!, rates[3]!, rates[4]!]),
            marginalPendingLines1to64: spread(marginal.slice(0, 3)),
            marginalPool64KiBto16MiB: spread([marginal[1]!, marginal[3]!, marginal[4]!]),
          },
        ];
      }),
    ),
  };

  console.log(`summary: ${JSON.stringify(summary)}`);
  load.before = [...load.before, ...loadavg()];
  const out = arg('out', join(root, 'bench/results/engine.json'));
  writeResults(out, {
    date: new Date().toISOString(),
    machine: machine(),
    load: { uptimeAtStart: load.uptime, loadavgStartThenEnd: load.before },
    command: `node dist/bench/engine.js ${process.argv.slice(2).join(' ')}`.trim(),
    jobs: JOBS,
    bareLoopPerSecond: bare,
    rows,
    flat,
    scaling,
    summary,
  });
}

await main();
