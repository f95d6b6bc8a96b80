// Benchmark of the checkers: images checked per second on one set of crash images, by
//   (a) an in-process TypeScript check (TsCheckPool, built-in scenario list-append),
//   (b) a small C check program spawned per image (ExternalCheckPool, /bin/sh -c),
//   (c) the same C program through the fork server (ForkServerCheckPool),
// each with --jobs 1 and 2. Writes bench/results/checks.json.
// Each row is the best of --repeat runs (the machine is shared; the least disturbed run counts).
// Run: node dist/bench/checks.js [--images N] [--jobs 1,2] [--repeat 3]
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CheckOutcome, Checker } from '../core/api.js';
import { ExternalCheckPool } from '../harness/check/external-pool.js';
import { ForkServerCheckPool } from '../harness/check/fork-server/client.js';
import { makeTempDir, removeTempDir } from '../core/support/temp-dir.js';
import { TsCheckPool } from '../harness/check/ts-pool.js';
import { machine, writeResults } from './machine.js';
import { findBuiltIn } from '../scenarios/index.js';
import { FIRST_NODE, HEADER, LIST_MAGIC, NODE, NODE_MAGIC, POOL_BYTES, SLOT_BYTES } from '../scenarios/linked-list.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const cProgram = join(root, 'build/test-programs/fork-read-byte');
const TIMEOUT_MS = 10_000;
const WARMUP = 50;

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}

const imageCount = Number(arg('images', '2000'));
const jobList = arg('jobs', '1,2').split(',').map(Number);
const repeat = Math.max(1, Number(arg('repeat', '3')));

/** N distinct 4 KiB list images (0–3 nodes, seeded filler in the free slots), the same every run. */
function makeImages(n: number): Buffer[] {
  let x = 0x9e3779b9;
  const next = (): number => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return x >>> 0;
  };
  return Array.from({ length: n }, (_, i) => {
    const img = Buffer.alloc(POOL_BYTES);
    img.writeBigUInt64LE(LIST_MAGIC, HEADER.magic);
    const nodes = i % 4;
    let link: number = HEADER.head;
    for (let k = 0; k < nodes; k++) {
      const node = FIRST_NODE + k * SLOT_BYTES;
      img.writeBigUInt64LE(NODE_MAGIC, node + NODE.magic);
      img.writeBigUInt64LE(BigInt(k + 1), node + NODE.value);
      img.writeBigUInt64LE(BigInt(node), link);
      link = node + NODE.next;
    }
    // unreachable slots get filler, so every image differs
    for (let off = FIRST_NODE + 8 * SLOT_BYTES; off < POOL_BYTES; off += 4) img.writeUInt32LE(next(), off);
    img.writeUInt32LE(i, POOL_BYTES - 4);
    return img;
  });
}

interface Row {
  checker: string;
  jobs: number;
  images: number;
  seconds: number;
  imagesPerSecond: number;
  passed: number;
  /** images/s of every run, the best of which is the row */
  runs: number[];
}

/** The best of `repeat` runs of measureOnce. */
async function measure(
  name: string,
  jobs: number,
  make: (dir: string) => Checker,
  images: Buffer[],
): Promise<{ row: Row; outcomes: CheckOutcome[] }> {
  let best: { row: Row; outcomes: CheckOutcome[] } | undefined;
  const runs: number[] = [];
  for (let i = 0; i < repeat; i++) {
    const r = await measureOnce(name, jobs, make, images);
    runs.push(Math.round(r.row.imagesPerSecond));
    if (!best || r.row.seconds < best.row.seconds) best = r;
  }
  best!.row.runs = runs;
  return best!;
}

async function measureOnce(
  name: string,
  jobs: number,
  make: (dir: string) => Checker,
  images: Buffer[],
): Promise<{ row: Row; outcomes: CheckOutcome[] }> {
  const dir = makeTempDir('pmfit-bench-checks-');
  const checker = make(dir);
  try {
    await Promise.all(images.slice(0, WARMUP).map((img) => checker.check(img)));
    const start = process.hrtime.bigint();
    const outcomes = await Promise.all(images.map((img) => checker.check(img)));
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    const failures = outcomes.filter((o) => o.kind === 'error' || o.kind === 'crashed' || o.kind === 'timed-out');
    if (failures.length)
      throw new Error(`${name}: ${failures.length} checks failed to run, e.g. ${JSON.stringify(failures[0])}`);
    const row = {
      checker: name,
      jobs,
      images: images.length,
      seconds,
      imagesPerSecond: images.length / seconds,
      passed: outcomes.filter((o) => o.kind === 'passed').length,
      runs: [],
    };
    return { row, outcomes };
  } finally {
    await checker.close();
    removeTempDir(dir);
  }
}

async function main(): Promise<void> {
  execFileSync('make', ['-s', '-f', 'harness/check/fork-server/fork-server.mk', 'fork-server'], {
    cwd: root,
    stdio: 'inherit',
  });
  const scenario = findBuiltIn('list-append');
  if (!scenario) throw new Error('built-in scenario list-append not found');
  const images = makeImages(imageCount);
  const command = `${cProgram} {pool}`;
  const rows: Row[] = [];
  let identical = true;
  for (const jobs of jobList) {
    const ts = await measure(
      'ts (list-append, worker threads)',
      jobs,
      () =>
        new TsCheckPool({
          scenarioModule: scenario.module,
          exportName: scenario.exportName,
          jobs,
          timeoutMs: TIMEOUT_MS,
        }),
      images,
    );
    const spawned = await measure(
      'c program, plain spawn',
      jobs,
      (dir) => new ExternalCheckPool({ command, jobs, timeoutMs: TIMEOUT_MS, dir }),
      images,
    );
    const forked = await measure(
      'c program, fork server',
      jobs,
      (dir) => new ForkServerCheckPool({ command, jobs, timeoutMs: TIMEOUT_MS, dir }),
      images,
    );
    identical &&= forked.outcomes.every((o, i) => JSON.stringify(o) === JSON.stringify(spawned.outcomes[i]));
    rows.push(ts.row, spawned.row, forked.row);
  }

  const rate = (checker: string, jobs: number): number =>
    rows.find((r) => r.checker === checker && r.jobs === jobs)?.imagesPerSecond ?? NaN;
  const ratios = jobList.map((jobs) => ({
    jobs,
    forkServerOverSpawn: rate('c program, fork server', jobs) / rate('c program, plain spawn', jobs),
  }));
  const m = machine();
  console.log(`checks on ${imageCount} distinct 4 KiB images — ${m.cores} cores, ${m.cpu}, node ${m.node}`);
  console.log(
    `${'checker'.padEnd(34)} ${'jobs'.padStart(4)} ${'seconds'.padStart(8)} ${'images/s'.padStart(10)} ${'passed'.padStart(7)}`,
  );
  for (const r of rows) {
    console.log(
      `${r.checker.padEnd(34)} ${String(r.jobs).padStart(4)} ${r.seconds.toFixed(3).padStart(8)} ${r.imagesPerSecond.toFixed(0).padStart(10)} ${String(r.passed).padStart(7)}`,
    );
  }
  for (const r of ratios)
    console.log(`fork server / plain spawn, jobs ${r.jobs}: ${r.forkServerOverSpawn.toFixed(1)}×`);
  console.log(`fork-server outcomes identical to plain spawn: ${identical}`);

  const targets = {
    forkServerAtLeast3000PerSecond: Math.max(...jobList.map((j) => rate('c program, fork server', j))) >= 3000,
    forkServerAtLeast5xSpawn: Math.max(...ratios.map((r) => r.forkServerOverSpawn)) >= 5,
    tsAtLeast20000PerSecond: Math.max(...jobList.map((j) => rate('ts (list-append, worker threads)', j))) >= 20000,
  };
  console.log(`targets: ${JSON.stringify(targets)}`);
  // From a --cpu-prof of TsCheckPool (jobs 1, 10,000 images): the worker is idle ~60% of the time
  // waiting for its next image (one image in flight per worker: each costs a message round trip), and
  // its busy ~58 µs/image go mostly to pmem_map_file + unmap (Pool.open/close) and the image file write.
  const notes = targets.tsAtLeast20000PerSecond
    ? []
    : [
        "ts below 20,000/s: TsCheckPool keeps one image in flight per worker (worker idle ~60% between messages) and maps/unmaps the image file per check (~30 µs); pipelining images to workers and mapping each worker's file once would lift it",
      ];
  const out = join(root, 'bench/results/checks.json');
  const result = {
    date: new Date().toISOString(),
    machine: m,
    command: `node dist/bench/checks.js ${process.argv.slice(2).join(' ')}`.trim(),
    repeat,
    imageBytes: POOL_BYTES,
    images: imageCount,
    warmup: WARMUP,
    cCheck: 'test/harness/check/programs/read-byte.c',
    rows,
    ratios,
    identicalOutcomes: identical,
    targets,
    notes,
  };
  writeResults(out, result);
}

await main();
