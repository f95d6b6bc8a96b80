// Benchmark of the native tracer: a store-heavy pmem hash table (bench/programs/pmem-hash.c) run
// natively, under the tracer (fast and -singlestep exact modes), and under the ptrace counter.
// Writes bench/results/tracer.json. Run: node dist/bench/tracer.js [inserts] [ptrace-inserts]
import { execFileSync, spawnSync } from 'node:child_process';
import { machine, writeResults } from './machine.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { traceNative } from '../icount/driver.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const program = join(root, 'build/bench-programs/pmem-hash');
const inserts = Number(process.argv[2] ?? 100_000);
// ptrace single-steps about 2e4 instructions a second: it gets a smaller run, scaled per instruction
const ptraceInserts = Number(process.argv[3] ?? 300);

interface Row {
  mode: string;
  inserts: number;
  instructions: number;
  stores: number;
  seconds: number;
  instructionsPerSecond: number;
  storesPerSecond: number;
}

function seconds(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e9;
}

function row(mode: string, n: number, instructions: number, stores: number, secs: number): Row {
  return {
    mode,
    inserts: n,
    instructions,
    stores,
    seconds: secs,
    instructionsPerSecond: instructions / secs,
    storesPerSecond: stores / secs,
  };
}

/** Best of three: the machine is shared, the minimum is the least disturbed run. */
async function best<T extends { secs: number }>(run: () => Promise<T> | T): Promise<T> {
  let winner: T | undefined;
  for (let i = 0; i < 3; i++) {
    const r = await run();
    if (!winner || r.secs < winner.secs) winner = r;
  }
  return winner!;
}

async function main(): Promise<void> {
  execFileSync('make', ['-s', '-f', 'icount/icount.mk', 'tracer'], { cwd: root, stdio: 'inherit' });
  const dir = mkdtempSync(join(tmpdir(), 'pmfit-bench-'));
  try {
    const pool = join(dir, 'pool');
    const out = join(dir, 'trace.pmtrace');
    const fast = await best(async () => {
      const t = process.hrtime.bigint();
      const r = await traceNative({ pools: [pool], program, args: [pool, String(inserts)], out, exact: 'auto' });
      return { r, secs: seconds(t) };
    });
    if (fast.r.reran) throw new Error('the benchmark snippet should not need the exact re-run');
    const exact = await best(async () => {
      const t = process.hrtime.bigint();
      const r = await traceNative({ pools: [pool], program, args: [pool, String(inserts)], out, exact: 'always' });
      return { r, secs: seconds(t) };
    });
    const all = fast.r.summary.allInstructions;
    const native = await best(() => {
      const t = process.hrtime.bigint();
      const r = spawnSync(program, [pool, String(inserts)]);
      if (r.status !== 0) throw new Error(`native run failed: ${r.stderr}`);
      return { secs: seconds(t) };
    });
    const ptrace = await best(() => {
      const t = process.hrtime.bigint();
      const text = execFileSync(join(root, 'build/ptrace-count'), ['-w', program, pool, String(ptraceInserts)], {
        encoding: 'utf8',
      });
      return { counts: JSON.parse(text.trim().split('\n').pop()!) as { all: number }, secs: seconds(t) };
    });
    const traceBytes = Number(execFileSync('stat', ['-c', '%s', out], { encoding: 'utf8' }));
    const rows = [
      row('native', inserts, all, 2 * inserts, native.secs),
      row('tracer', inserts, all, fast.r.summary.stores, fast.secs),
      row('tracer -singlestep (exact)', inserts, all, exact.r.summary.stores, exact.secs),
      row('ptrace single-step', ptraceInserts, ptrace.counts.all, 2 * ptraceInserts, ptrace.secs),
    ];
    report(rows, fast.r.summary.instructions, traceBytes);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function report(rows: Row[], windowInstructions: number, traceBytes: number): void {
  const byMode = new Map(rows.map((r) => [r.mode, r]));
  const nat = byMode.get('native')!;
  const tr = byMode.get('tracer')!;
  const ex = byMode.get('tracer -singlestep (exact)')!;
  const pt = byMode.get('ptrace single-step')!;
  const ratios = {
    tracerSlowdownVsNative: tr.seconds / nat.seconds,
    exactSlowdownVsTracer: ex.seconds / tr.seconds,
    tracerSpeedupVsPtrace: tr.instructionsPerSecond / pt.instructionsPerSecond,
    ptraceSecondsScaledToFullRun: tr.instructions / pt.instructionsPerSecond,
  };
  console.log('mode                          inserts   instructions     seconds   instr/s        stores/s');
  for (const r of rows) {
    console.log(
      `${r.mode.padEnd(30)}${String(r.inserts).padStart(7)}${String(r.instructions).padStart(15)}${r.seconds.toFixed(3).padStart(12)}${r.instructionsPerSecond.toExponential(2).padStart(11)}${r.storesPerSecond.toExponential(2).padStart(16)}`,
    );
  }
  console.log(`ptrace ran ${pt.inserts} inserts (whole run, single-stepped); its rate is scaled per instruction.`);
  console.log(
    `tracer: ${tr.instructions} instructions in all, ${windowInstructions} in the icount window, trace ${traceBytes} bytes`,
  );
  console.log(
    `ratios: tracer/native time ${ratios.tracerSlowdownVsNative.toFixed(1)}x, exact/fast tracer ${ratios.exactSlowdownVsTracer.toFixed(1)}x, tracer/ptrace rate ${ratios.tracerSpeedupVsPtrace.toFixed(0)}x, ptrace for the full run ≈ ${ratios.ptraceSecondsScaledToFullRun.toFixed(0)} s`,
  );
  const result = {
    date: new Date().toISOString(),
    machine: machine(true),
    program: 'bench/programs/pmem-hash.c',
    windowInstructions,
    traceBytes,
    rows,
    ratios,
  };
  writeResults(join(root, 'bench/results/tracer.json'), result);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
