// Benchmark of the whole pipeline on a real libpmemobj program: `pmfit check` of the crit-bit tree
// client (test/clients/ctree.c, transactions) inserting 64 keys, adr/extremes with the ops oracle:
// trace under QEMU, crash images, a check (pmemobj_open + walk) per distinct image. Wall time and
// images/s. Past the cap the run is interrupted (SIGINT: pmfit finishes the checks in flight and writes
// its report marked incomplete) and the figures are those of the crash points it checked. A whole
// eadr run first gives the snippet's total number of crash points (and its own figures).
// Writes bench/results/pmemobj-map.json. Run: node dist/bench/pmemobj-map.js [keys] [capSeconds] [map] [poolMiB]
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Report, ScenarioResult } from '../core/api.js';
import { machine, writeResults } from './machine.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const keys = Number(process.argv[2] ?? 64);
const capSeconds = Number(process.argv[3] ?? 600);
const map = process.argv[4] ?? 'ctree';
const program = join(root, 'build/clients', map);
/** The pool's bytes (5th argument, in MiB; 8 by default: PMEMOBJ_MIN_POOL), made by the client's init. */
const POOL_SIZE = String(Number(process.argv[5] ?? 8) * 1024 * 1024);

/** 1..n in a fixed scattered order (a multiplicative permutation), so the tree is not a list. */
function keyOrder(n: number): string[] {
  let step = Math.max(1, Math.floor(n * 0.618));
  while (gcd(step, n) !== 1) step++;
  return Array.from({ length: n }, (_, i) => String(((i * step) % n) + 1));
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

/** The pmfit arguments common to icount and check: the pool, its init and the program. */
function poolArgs(dir: string): string[] {
  const init = `env CLIENT_POOL_BYTES=${POOL_SIZE} ${program} init {pool}`;
  return ['--pool', join(dir, `${map}.pool`), '--size', POOL_SIZE, '--init', init];
}

/** `pmfit check` of the map under one model, writing its JSON report to `json` (program args follow). */
function checkArgs(dir: string, model: string, json: string): string[] {
  return [
    'check',
    ...poolArgs(dir),
    '--check',
    `${program} check {pool}`,
    '--oracle',
    'ops',
    '--model',
    model,
    '--quiet',
    '--report',
    `json=${json}`,
  ];
}

/** The one result of a pmfit JSON report. */
function readResult(json: string, status: number | null): ScenarioResult {
  if (!existsSync(json)) throw new Error(`pmfit wrote no report (exit ${status})`);
  return (JSON.parse(readFileSync(json, 'utf8')) as Report).results[0]!;
}

/** Run pmfit, interrupting it after capSeconds; resolves with its exit status and wall seconds. */
function pmfitCapped(args: string[]): Promise<{ status: number | null; seconds: number; capped: boolean }> {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const child = spawn(process.execPath, [join(root, 'bin/pmfit.js'), ...args], {
      cwd: root,
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    let capped = false;
    const timer = setTimeout(() => {
      capped = true;
      child.kill('SIGINT');
    }, capSeconds * 1000);
    child.on('error', reject);
    child.on('exit', (status) => {
      clearTimeout(timer);
      resolve({ status, seconds: Number(process.hrtime.bigint() - start) / 1e9, capped });
    });
  });
}

async function main(): Promise<void> {
  execFileSync('make', ['-s', '-f', 'test/clients/clients.mk', 'clients-build'], { cwd: root, stdio: 'inherit' });
  const dir = mkdtempSync(join(tmpdir(), 'pmfit-bench-map-'));
  try {
    const ops = keyOrder(keys);
    const eadrJson = join(dir, 'eadr.json');
    const eadrRun = await pmfitCapped([...checkArgs(dir, 'eadr', eadrJson), '--', program, 'op', '{pool}', ...ops]);
    const eadr = readResult(eadrJson, eadrRun.status);
    console.log(
      `${map}, ${keys} keys, eadr: ${eadr.summary.crashPoints} crash points, ${eadr.summary.distinctImages} distinct images, ${eadr.summary.findings} findings in ${eadrRun.seconds.toFixed(1)} s`,
    );
    const json = join(dir, 'report.json');
    const load = loadavg();
    const run = await pmfitCapped([
      ...checkArgs(dir, 'adr', json),
      '--strategy',
      'extremes',
      '--',
      program,
      'op',
      '{pool}',
      ...ops,
    ]);
    const result = readResult(json, run.status);
    const s = result.summary;
    const figures = {
      map,
      keys,
      poolBytes: Number(POOL_SIZE),
      model: 'adr',
      strategy: 'extremes',
      oracle: 'ops',
      exitStatus: run.status,
      capSeconds,
      capped: run.capped,
      incomplete: result.incomplete === true,
      crashPoints: eadr.summary.crashPoints,
      crashPointsChecked: s.crashPoints,
      images: s.images,
      distinctImages: s.distinctImages,
      findings: s.findings,
      wallSeconds: run.seconds,
      engineWallSeconds: s.wallMs / 1000,
      imagesPerSecond: s.images / run.seconds,
      distinctImagesPerSecond: s.distinctImages / run.seconds,
      eadr: { ...eadr.summary, wallSeconds: eadrRun.seconds, capped: eadrRun.capped },
      loadAverageAtStart: load,
      loadAverageAtEnd: loadavg(),
    };
    console.log(
      `${map}, ${keys} keys, adr/extremes: ${figures.crashPointsChecked} of ${figures.crashPoints} crash points, ${s.images} images, ${s.distinctImages} distinct, ${s.findings} findings in ${run.seconds.toFixed(1)} s${run.capped ? ` (capped at ${capSeconds} s)` : ''}: ${figures.imagesPerSecond.toFixed(0)} images/s, ${figures.distinctImagesPerSecond.toFixed(1)} distinct/s; load ${load.map((l) => l.toFixed(2)).join(' ')}`,
    );
    writeResults(
      join(
        root,
        `bench/results/pmemobj-map${POOL_SIZE === String(8 << 20) ? '' : `-${Number(POOL_SIZE) >> 20}MiB`}.json`,
      ),
      { date: new Date().toISOString(), machine: machine(true), ...figures },
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
