// Benchmark of the whole pipeline as a user runs it (issue 12, item 6 (b) and (f)): `pmfit check` of
// a native program — the QEMU tracer, the crash-state engine, the native checks through the fork
// server and the re-simulation of the bug's fix — timed from outside, as one process, next to the
// physical reference measured in the same run:
//   1. the record/flag workload (test/fixtures/native/record-flag.c, built here into build/bench/ with
//      the flags of test/bug-helpers.ts' buildNative, with -DMAX_RECORDS=1000 -DPOOL_SIZE=65536 so
//      N = 1000 fits): N records of 64 bytes, then a flag persisted before the records are durable
//      (one missing barrier, the bug). For N = 1, 10, 100, 1000, model adr, strategies strict (the
//      cheap baseline) and extremes: wall time of the `pmfit check` process, crash points, images,
//      distinct images, images/s, findings (must be exactly 1: anything else fails the bench) and the
//      time to verdict (from the start of the process to the first progress line that counts a
//      failing image; progress lines every PROGRESS_MS on stderr, so it is known to within that).
//      A run past --cap-seconds is killed (its whole process group) and recorded as `capped`, with
//      the last progress it logged;
//   2. the CLI's start time: `pmfit --version` and `pmfit list`, median of 10;
//   3. the physical reference for the same N: the program alone, natively (`record-flag run POOL N`),
//      and under the bare QEMU plugin (`pmfit icount`), so the report can say how much of the
//      pipeline is tracing and how much checking;
//   4. the wide non-temporal copy (bench/npool/nt-copy.c: 4 KiB by pmem_memcpy_nodrain, a drain,
//      a flag persisted — correct, so no finding), adr/extremes, whole pipeline, once with
//      `/bin/true` as the check (the engine and the fork server alone) and once with its real check.
// Median of 3 runs for N <= 10, one above (the references: median of 3 at every N, they are cheap).
// Run: node dist/bench/pipeline.js [--max-n 1000] [--cap-seconds 600] [--out FILE]
// Writes bench/results/pipeline.json (or --out), with the machine and its load noted.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Report } from '../core/api.js';
import { machine, writeResults } from './machine.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const PMFIT = join(root, 'bin/pmfit.js');
const SOURCE = 'test/fixtures/native/record-flag.c';
const PROGRAM = join(root, 'build/bench/record-flag');
const NT_COPY = join(root, 'build/bench/nt-copy');
const MAX_RECORDS = 1000;
const POOL_SIZE = 65536;
const MODEL = 'adr';
const PROGRESS_MS = 250;
/** The flags of test/bug-helpers.ts' buildNative (NATIVE_CFLAGS): the x86 twins' flags. */
const NATIVE_CFLAGS = [
  '-std=gnu11',
  '-O1',
  '-g',
  '-Wall',
  '-Wextra',
  `-I${join(root, 'icount')}`,
  `-I${join(root, 'scenarios', 'native')}`,
  '-mclwb',
  '-msse2',
];

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}
const maxN = Number(arg('max-n', '1000'));
const capSeconds = Number(arg('cap-seconds', '600'));
const outPath = arg('out', join(root, 'bench/results/pipeline.json'));
const SIZES = [1, 10, 100, 1000].filter((n) => n <= maxN);
const STRATEGIES = ['strict', 'extremes'] as const;

const repeats = (n: number) => (n <= 10 ? 3 : 1);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

const round = (x: number, digits = 3) => Number(x.toFixed(digits));

function seconds(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e9;
}

// ------------------------------------------------------------------ 1. the pipeline

interface ProgressSeen {
  pointsDone: number;
  pointsTotal: number;
  images: number;
  distinct: number;
  failing: number;
}

interface CheckRun {
  status: 'done' | 'capped';
  exitCode: number | null;
  wallSeconds: number;
  /** From the report (absent when capped). */
  crashPoints?: number;
  images?: number;
  distinctImages?: number;
  findings?: number;
  engineWallSeconds?: number;
  /** From the start of the process to the first progress line counting a failing image. */
  verdictSeconds?: number;
  verdictFrom?: 'first failing line' | 'engine done line';
  /** The last progress line logged (a capped run: how far it got). */
  lastProgress?: ProgressSeen;
}

/** A program other than record/flag, checked the same way (the wide non-temporal copy). */
interface OtherProgram {
  program: string;
  size: number;
  check: string;
}

function pmfitCheck(dir: string, n: number, strategy: string, other?: OtherProgram): Promise<CheckRun> {
  const report = join(dir, `report-${n}-${strategy}-${Math.random().toString(36).slice(2)}.json`);
  const pool = join(dir, `${Math.random().toString(36).slice(2)}.pool`);
  const program = other?.program ?? PROGRAM;
  const args = [
    PMFIT,
    'check',
    '--pool',
    pool,
    '--size',
    String(other?.size ?? POOL_SIZE),
    '--init',
    `${program} init {pool}`,
    '--check',
    other?.check ?? `${PROGRAM} check {pool}`,
    '--model',
    MODEL,
    '--strategy',
    strategy,
    '--report',
    `json=${report}`,
    '--',
    program,
    'run',
    '{pool}',
    ...(other ? [] : [String(n)]),
  ];
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const startedMs = Date.now();
    // its own process group: a capped run is killed with the fork server and QEMU it started
    const child = spawn(process.execPath, args, {
      cwd: root,
      detached: true,
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, PMFIT_PROGRESS_INTERVAL_MS: String(PROGRESS_MS) },
    });
    let verdictSeconds: number | undefined;
    /** The engine's `done` line: the end of the crash-state exploration. */
    let engineDoneSeconds: number | undefined;
    let lastProgress: ProgressSeen | undefined;
    let pending = '';
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      const arrived = seconds(started);
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop()!;
      for (const line of lines) {
        let entry: Record<string, unknown>;
        try {
          entry = JSON.parse(line) as Record<string, unknown>;
        } catch {
          stderr += `${line}\n`;
          continue;
        }
        if (typeof entry.progress !== 'string') continue;
        lastProgress = {
          pointsDone: Number(entry.pointsDone),
          pointsTotal: Number(entry.pointsTotal),
          images: Number(entry.images),
          distinct: Number(entry.distinct),
          failing: Number(entry.failing),
        };
        // the line's own time stamp (pino's `time`, ms since the epoch) when it has one
        const at = typeof entry.time === 'number' ? (entry.time - startedMs) / 1000 : arrived;
        if (verdictSeconds === undefined && lastProgress.failing > 0) verdictSeconds = at;
        if (entry.done === true && engineDoneSeconds === undefined) engineDoneSeconds = at;
      }
    });
    let capped = false;
    const timer = setTimeout(() => {
      capped = true;
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    }, capSeconds * 1000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      const wallSeconds = seconds(started);
      const base = {
        exitCode: code,
        wallSeconds: round(wallSeconds),
        // the failing count can lag the last checks (strict at N = 1 ends its run with 0 failing and a
        // finding): then the verdict is known by the end of the exploration, the engine's done line
        ...(verdictSeconds !== undefined
          ? { verdictSeconds: round(verdictSeconds), verdictFrom: 'first failing line' as const }
          : engineDoneSeconds !== undefined && code === 1
            ? { verdictSeconds: round(engineDoneSeconds), verdictFrom: 'engine done line' as const }
            : {}),
        ...(lastProgress ? { lastProgress } : {}),
      };
      if (capped) {
        resolve({ status: 'capped', ...base });
        return;
      }
      if (!existsSync(report)) {
        reject(
          new Error(
            `${other ? other.program : `N=${n}`} ${strategy}: no report (exit ${code}): ${stderr.slice(-2000)}`,
          ),
        );
        return;
      }
      const r = JSON.parse(readFileSync(report, 'utf8')) as Report;
      rmSync(report, { force: true });
      resolve({
        status: 'done',
        ...base,
        crashPoints: r.summary.crashPoints,
        images: r.summary.images,
        distinctImages: r.summary.distinctImages,
        findings: r.findings.length,
        engineWallSeconds: round(r.summary.wallMs / 1000),
      });
    });
  });
}

interface PipelineRow {
  n: number;
  strategy: string;
  model: string;
  runs: number;
  status: 'done' | 'capped';
  /** Median over the runs. */
  wallSeconds: number;
  crashPoints?: number;
  images?: number;
  distinctImages?: number;
  /** images / wall seconds of the whole process, and distinct images / wall seconds. */
  imagesPerSecond?: number;
  distinctPerSecond?: number;
  findings?: number;
  verdictSeconds?: number;
  verdictFrom?: string;
  engineWallSeconds?: number;
  exitCode: number | null;
  lastProgress?: ProgressSeen;
  allWallSeconds: number[];
}

function summarise(n: number, strategy: string, runs: CheckRun[]): PipelineRow {
  const capped = runs.find((r) => r.status === 'capped');
  const walls = runs.map((r) => r.wallSeconds);
  if (capped)
    return {
      n,
      strategy,
      model: MODEL,
      runs: runs.length,
      status: 'capped',
      wallSeconds: capped.wallSeconds,
      ...(capped.verdictSeconds !== undefined ? { verdictSeconds: capped.verdictSeconds } : {}),
      exitCode: capped.exitCode,
      ...(capped.lastProgress ? { lastProgress: capped.lastProgress } : {}),
      allWallSeconds: walls,
    };
  const first = runs[0]!;
  const wall = median(walls);
  const verdicts = runs.flatMap((r) => (r.verdictSeconds !== undefined ? [r.verdictSeconds] : []));
  const verdictFrom = [...new Set(runs.flatMap((r) => (r.verdictFrom ? [r.verdictFrom] : [])))].join(', ');
  return {
    n,
    strategy,
    model: MODEL,
    runs: runs.length,
    status: 'done',
    wallSeconds: round(wall),
    crashPoints: first.crashPoints!,
    images: first.images!,
    distinctImages: first.distinctImages!,
    imagesPerSecond: Math.round(first.images! / wall),
    distinctPerSecond: Math.round(first.distinctImages! / wall),
    findings: first.findings!,
    ...(verdicts.length ? { verdictSeconds: round(median(verdicts)), verdictFrom } : {}),
    engineWallSeconds: round(median(runs.map((r) => r.engineWallSeconds!))),
    exitCode: first.exitCode,
    allWallSeconds: walls,
  };
}

// ------------------------------------------------------------------ 2. and 3. the references

function wallOf(cmd: string, args: string[], expect: (status: number | null) => boolean): number {
  const t = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { cwd: root, encoding: 'utf8' });
  const s = seconds(t);
  if (!expect(r.status)) throw new Error(`${cmd} ${args.join(' ')}: exit ${r.status}: ${r.stderr}`);
  return s;
}

interface ReferenceRow {
  n: number;
  nativeSeconds: number;
  icountSeconds: number;
  instructions: number;
  stores: number;
}

function references(dir: string, n: number): ReferenceRow {
  const pool = join(dir, `ref-${n}.pool`);
  const native: number[] = [];
  for (let i = 0; i < 3; i++) {
    rmSync(pool, { force: true });
    execFileSync(PROGRAM, ['init', pool]);
    native.push(wallOf(PROGRAM, ['run', pool, String(n)], (s) => s === 0));
  }
  const icount: number[] = [];
  let counts = { instructions: 0, stores: 0 };
  for (let i = 0; i < 3; i++) {
    rmSync(pool, { force: true });
    const t = process.hrtime.bigint();
    const text = execFileSync(
      process.execPath,
      [
        PMFIT,
        'icount',
        '--pool',
        pool,
        '--size',
        String(POOL_SIZE),
        '--init',
        `${PROGRAM} init {pool}`,
        '--json',
        '--',
        PROGRAM,
        'run',
        '{pool}',
        String(n),
      ],
      { cwd: root, encoding: 'utf8' },
    );
    icount.push(seconds(t));
    const j = JSON.parse(text) as Record<string, unknown>;
    counts = { instructions: Number(j.instructions), stores: Number(j.stores) };
  }
  return { n, nativeSeconds: round(median(native), 4), icountSeconds: round(median(icount)), ...counts };
}

// ------------------------------------------------------------------ main

async function main(): Promise<void> {
  const load = { before: loadavg(), uptime: execFileSync('uptime', { encoding: 'utf8' }).trim() };
  const started = new Date().toISOString();
  mkdirSync(join(root, 'build/bench'), { recursive: true });
  execFileSync(
    'cc',
    [
      ...NATIVE_CFLAGS,
      `-DMAX_RECORDS=${MAX_RECORDS}`,
      `-DPOOL_SIZE=${POOL_SIZE}`,
      '-o',
      PROGRAM,
      SOURCE,
      join('scenarios', 'native', 'npool.c'),
    ],
    { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] },
  );
  const dir = mkdtempSync(join(tmpdir(), 'pmfit-bench-pipeline-'));
  const failures: string[] = [];
  try {
    // 2. the CLI's start time
    const version = median(
      Array.from({ length: 10 }, () => wallOf(process.execPath, [PMFIT, '--version'], (s) => s === 0)),
    );
    const list = median(Array.from({ length: 10 }, () => wallOf(process.execPath, [PMFIT, 'list'], (s) => s === 0)));
    const cli = { versionSeconds: round(version), listSeconds: round(list), runs: 10 };
    console.log(
      `CLI start: pmfit --version ${cli.versionSeconds.toFixed(3)} s, pmfit list ${cli.listSeconds.toFixed(3)} s (median of 10)`,
    );

    // 3. the physical reference
    const refs: ReferenceRow[] = [];
    for (const n of SIZES) {
      const r = references(dir, n);
      refs.push(r);
      console.log(
        `reference N=${n}: native ${r.nativeSeconds.toFixed(4)} s, pmfit icount ${r.icountSeconds.toFixed(3)} s (${r.instructions} instructions, ${r.stores} pool stores)`,
      );
    }

    // 1. the pipeline
    const rows: PipelineRow[] = [];
    for (const n of SIZES)
      for (const strategy of STRATEGIES) {
        const runs: CheckRun[] = [];
        for (let i = 0; i < repeats(n); i++) {
          const run = await pmfitCheck(dir, n, strategy);
          runs.push(run);
          if (run.status === 'capped') break;
        }
        const row = summarise(n, strategy, runs);
        rows.push(row);
        if (row.status === 'done' && row.findings !== 1)
          failures.push(`N=${n} ${strategy}: ${row.findings} findings, expected exactly 1`);
        if (row.status === 'done' && row.exitCode !== 1)
          failures.push(`N=${n} ${strategy}: exit ${row.exitCode}, expected 1 (a finding)`);
        console.log(
          row.status === 'capped'
            ? `check N=${n} ${strategy}: CAPPED at ${capSeconds} s (killed), last progress ${JSON.stringify(row.lastProgress ?? null)}`
            : `check N=${n} ${strategy}: ${row.wallSeconds.toFixed(2)} s, ${row.findings} finding(s)`,
        );
      }

    // 4. the wide non-temporal copy: 4 KiB by pmem_memcpy_nodrain, a drain, a flag (correct)
    execFileSync(
      'cc',
      [
        ...NATIVE_CFLAGS,
        '-o',
        NT_COPY,
        join('bench', 'npool', 'nt-copy.c'),
        join('scenarios', 'native', 'npool.c'),
        '-lpmem',
      ],
      { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] },
    );
    const ntCopy: Array<{ check: string } & CheckRun> = [];
    for (const check of ['/bin/true {pool}', `${NT_COPY} check {pool}`]) {
      const run = await pmfitCheck(dir, 0, 'extremes', { program: NT_COPY, size: 16384, check });
      ntCopy.push({ check, ...run });
      if (run.status === 'done' && (run.findings !== 0 || run.exitCode !== 0))
        failures.push(`nt-copy (${check}): ${run.findings} findings, exit ${run.exitCode}, expected none`);
      console.log(
        run.status === 'capped'
          ? `nt-copy 4 KiB extremes (${check}): CAPPED at ${capSeconds} s`
          : `nt-copy 4 KiB extremes (${check}): ${run.wallSeconds.toFixed(2)} s, ${run.crashPoints} crash points, ${run.distinctImages} distinct images, ${run.findings} finding(s)`,
      );
    }

    const loadAfter = loadavg();
    const table = tableOf(rows, refs, cli);
    console.log(`\n${table}`);
    console.log(`load average before ${fmtLoad(load.before)}, after ${fmtLoad(loadAfter)}`);
    const result = {
      date: started,
      machine: machine(true),
      load: { uptimeAtStart: load.uptime, loadavgBefore: load.before, loadavgAfter: loadAfter },
      program: SOURCE,
      build: `cc (buildNative's flags) -DMAX_RECORDS=${MAX_RECORDS} -DPOOL_SIZE=${POOL_SIZE}`,
      poolSize: POOL_SIZE,
      model: MODEL,
      capSeconds,
      progressIntervalMs: PROGRESS_MS,
      notes: [
        'wallSeconds: the whole `pmfit check` process, spawned as a user runs it (trace, engine, checks through the fork server, fix re-simulation, report)',
        "verdictSeconds: from the spawn to the first progress line (every progressIntervalMs on stderr, by its own time stamp) counting a failing image; when none does (the count can lag the last checks), to the engine's done line (verdictFrom says which)",
        'imagesPerSecond and distinctPerSecond: over the whole process wall time',
        'median of 3 runs for N <= 10, one run above; references (native, pmfit icount) median of 3 at every N',
        'a capped run was killed with its process group at capSeconds; lastProgress is how far it got',
      ],
      cli,
      references: refs,
      pipeline: rows.map((r) => {
        const ref = refs.find((x) => x.n === r.n)!;
        return {
          ...r,
          // the share of the process that is the traced run under QEMU (pmfit icount, start included)
          tracingShare: r.status === 'done' ? round(ref.icountSeconds / r.wallSeconds) : undefined,
        };
      }),
      ntCopy: {
        program: 'bench/npool/nt-copy.c (4 KiB pmem_memcpy_nodrain, pmem_drain, a flag persisted; correct)',
        model: MODEL,
        strategy: 'extremes',
        runs: ntCopy,
      },
      failures,
    };
    writeResults(outPath, result);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  if (failures.length) {
    console.error(`BENCH FAILED: not one finding per run:\n  ${failures.join('\n  ')}`);
    process.exit(1);
  }
}

function fmtLoad(l: number[]): string {
  return l.map((x) => x.toFixed(2)).join(' ');
}

function tableOf(
  rows: PipelineRow[],
  refs: ReferenceRow[],
  cli: { versionSeconds: number; listSeconds: number },
): string {
  const out: string[] = [];
  out.push(
    `CLI start (median of 10): pmfit --version ${cli.versionSeconds.toFixed(3)} s, pmfit list ${cli.listSeconds.toFixed(3)} s`,
  );
  out.push('');
  out.push('    N  native run (s)  pmfit icount (s)  instructions  pool stores');
  for (const r of refs)
    out.push(
      `${String(r.n).padStart(5)}${r.nativeSeconds.toFixed(4).padStart(16)}${r.icountSeconds.toFixed(3).padStart(18)}${String(r.instructions).padStart(14)}${String(r.stores).padStart(13)}`,
    );
  out.push('');
  out.push(
    `    N  strategy  runs   status     wall (s)  points     images   distinct  images/s  distinct/s  findings  verdict (s)  icount/wall`,
  );
  for (const r of rows) {
    const ref = refs.find((x) => x.n === r.n)!;
    const dash = (v: number | undefined, d = 0) => (v === undefined ? '-' : v.toFixed(d));
    out.push(
      `${String(r.n).padStart(5)}  ${r.strategy.padEnd(9)}${String(r.runs).padStart(5)}  ${r.status.padEnd(8)}${(r.status === 'capped' ? `>${r.wallSeconds.toFixed(1)}` : r.wallSeconds.toFixed(2)).padStart(11)}${dash(r.crashPoints).padStart(8)}${dash(r.images).padStart(11)}${dash(r.distinctImages).padStart(11)}${dash(r.imagesPerSecond).padStart(10)}${dash(r.distinctPerSecond).padStart(12)}${dash(r.findings).padStart(10)}${dash(r.verdictSeconds, 2).padStart(13)}${(r.status === 'done' ? `${((100 * ref.icountSeconds) / r.wallSeconds).toFixed(0)}%` : '-').padStart(13)}`,
    );
    if (r.status === 'capped' && r.lastProgress)
      out.push(
        `       (capped: crash points ${r.lastProgress.pointsDone}/${r.lastProgress.pointsTotal}, ${r.lastProgress.distinct} distinct images, ${r.lastProgress.failing} failing when killed)`,
      );
  }
  return out.join('\n');
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : err);
  process.exit(1);
});
