// Benchmark of the native tracer with threads: the same records (bench/programs/thread-stores.c),
// written by 1, 2 and 4 threads, traced whole. With one thread the tracer takes no lock; with more,
// every callback that may write a record takes one. Prints the figures and writes
// bench/results/threads.json. Run: node dist/bench/threads.js [records]
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { traceNative } from '../icount/driver.js';
import { machine, writeResults } from './machine.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const program = join(root, 'build/bench-programs/thread-stores');
const records = Number(process.argv[2] ?? 100_000);

interface Row {
  threads: number;
  records: number;
  events: number;
  stores: number;
  instructions: number;
  /** Best of three wall-clock seconds of the traced run (QEMU start-up included). */
  seconds: number;
  eventsPerSecond: number;
}

async function traced(threads: number, dir: string): Promise<Row> {
  let best: Row | undefined;
  for (let i = 0; i < 3; i++) {
    const pool = join(dir, `pool-${threads}-${i}`);
    const started = process.hrtime.bigint();
    const r = await traceNative({
      pools: [pool],
      program,
      args: [pool, String(threads), String(records)],
      out: join(dir, 'trace.pmtrace'),
      whole: true,
    });
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const row = {
      threads,
      records,
      events: r.summary.events,
      stores: r.summary.stores,
      instructions: r.summary.allInstructions,
      seconds,
      eventsPerSecond: r.summary.events / seconds,
    };
    if (!best || row.seconds < best.seconds) best = row;
  }
  return best!;
}

async function main(): Promise<void> {
  execFileSync('make', ['-s', '-f', 'icount/icount.mk', 'tracer'], { cwd: root, stdio: 'inherit' });
  const loadStart = loadavg();
  const dir = mkdtempSync(join(tmpdir(), 'pmfit-bench-'));
  const rows: Row[] = [];
  try {
    for (const threads of [1, 2, 4]) rows.push(await traced(threads, dir));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const loadEnd = loadavg();
  console.log('threads   records     events     stores  instructions   seconds   events/s');
  for (const r of rows)
    console.log(
      `${String(r.threads).padStart(7)}${String(r.records).padStart(10)}${String(r.events).padStart(11)}${String(r.stores).padStart(11)}${String(r.instructions).padStart(14)}${r.seconds.toFixed(3).padStart(10)}${r.eventsPerSecond.toExponential(2).padStart(11)}`,
    );
  console.log(
    `load average: ${loadStart.map((l) => l.toFixed(2)).join(' ')} at start, ${loadEnd.map((l) => l.toFixed(2)).join(' ')} at end`,
  );
  const result = {
    date: new Date().toISOString(),
    machine: machine(true),
    program: 'bench/programs/thread-stores.c',
    loadAverage: { start: loadStart, end: loadEnd },
    rows,
  };
  writeResults(join(root, 'bench/results/threads.json'), result);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
