// Scaling of the engine: traces of 1,000, 10,000 and 100,000 stores into the same data structure
// (bench/scenarios/log-append.ts), each crash-tested under adr strict with the TS checker. Prints
// wall time, images per second and peak memory per size, and --jobs 1 against --jobs 2 on the
// 10,000-store run. Each measurement runs in a child process of its own, so its peak RSS is its own.
// Run: node dist/bench/scaling.js            (writes bench/results/scaling.json)
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { runEngine } from '../harness/judge/judge-run.js';
import { makeTempDir, removeTempDir } from '../core/support/temp-dir.js';
import { TsCheckPool } from '../harness/check/ts-pool.js';
import { recordScenario } from '../icount/ts-record.js';
import { machine, writeResults } from './machine.js';
import { logAppendScenario } from './scenarios/log-append.js';

interface Row {
  stores: number;
  jobs: number;
  crashPoints: number;
  distinctImages: number;
  seconds: number;
  imagesPerSecond: number;
  peakRssMiB: number;
  verdict: string;
}

const SCENARIO_MODULE = new URL('./scenarios/log-append.js', import.meta.url).href;

/** One measurement, in this process: record the trace, then check every crash point. */
async function measureOne(stores: number, jobs: number): Promise<Row> {
  const dir = makeTempDir();
  try {
    const { trace, initial } = recordScenario(logAppendScenario(stores / 2), dir);
    const checker = new TsCheckPool({
      scenarioModule: SCENARIO_MODULE,
      exportName: 'checkOnly',
      jobs,
      timeoutMs: 10_000,
    });
    const started = process.hrtime.bigint();
    const result = await runEngine({
      scenario: 'log-append',
      trace,
      initial,
      model: 'adr',
      strategy: 'strict',
      oracle: 'exit',
      seed: '0',
      checker,
      inFlight: jobs * 16,
      replayCommand: (id) => id,
    });
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    await checker.close();
    return {
      stores,
      jobs,
      crashPoints: result.summary.crashPoints,
      distinctImages: result.summary.distinctImages,
      seconds: Number(seconds.toFixed(3)),
      imagesPerSecond: Math.round(result.summary.distinctImages / seconds),
      peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
      verdict: result.summary.verdict,
    };
  } finally {
    removeTempDir(dir);
  }
}

function inChild(stores: number, jobs: number): Row {
  const out = execFileSync(process.execPath, [fileURLToPath(import.meta.url), '--one', String(stores), String(jobs)], {
    encoding: 'utf8',
    maxBuffer: 1 << 20,
  });
  return JSON.parse(out) as Row;
}

async function main(): Promise<void> {
  const one = process.argv.indexOf('--one');
  if (one >= 0) {
    process.stdout.write(
      JSON.stringify(await measureOne(Number(process.argv[one + 1]), Number(process.argv[one + 2]))),
    );
    return;
  }
  const rows = [1_000, 10_000, 100_000].map((stores) => inChild(stores, 2));
  const jobsRows = [1, 2].map((jobs) => inChild(10_000, jobs));
  const m = machine();
  console.log(`machine: ${m.cores} cores, ${m.cpu}, node ${m.node}`);
  console.log('stores   jobs  crash points  distinct images  seconds  images/s  peak RSS MiB  verdict');
  for (const r of [...rows, ...jobsRows]) {
    console.log(
      `${String(r.stores).padStart(7)}  ${String(r.jobs).padStart(4)}  ${String(r.crashPoints).padStart(12)}  ${String(r.distinctImages).padStart(15)}  ${r.seconds.toFixed(2).padStart(7)}  ${String(r.imagesPerSecond).padStart(8)}  ${String(r.peakRssMiB).padStart(12)}  ${r.verdict}`,
    );
  }
  const jobsSpeedup = jobsRows[1]!.imagesPerSecond / jobsRows[0]!.imagesPerSecond;
  const flatness = rows[2]!.imagesPerSecond / rows[1]!.imagesPerSecond;
  console.log(
    `images/s at 100k stores / at 10k stores: ${flatness.toFixed(2)}; --jobs 2 / --jobs 1 at 10k stores: ${jobsSpeedup.toFixed(2)}×`,
  );
  const file = new URL('./results/scaling.json', new URL('../../bench/', import.meta.url));
  writeResults(fileURLToPath(file), {
    date: new Date().toISOString(),
    machine: m,
    command: 'node dist/bench/scaling.js',
    rows,
    jobsRows,
    ratios: { imagesPerSecond100kOver10k: flatness, jobs2OverJobs1: jobsSpeedup },
  });
}

await main();
