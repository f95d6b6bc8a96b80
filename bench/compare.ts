// Side-by-side benchmark of `pmfit icount` (issue 12): the record/flag workload
// (test/fixtures/native/record-flag.c: N records of 64 bytes, then a flag) at N = 1000 and 100,000,
// timed in one run, each contender as its own whole process, median of 3 (the contenders take
// turns within each round, so a change in the machine's load falls on all of them):
//   native        the program alone: `record-flag run POOL N`;
//   plugin alone  qemu-x86_64 with pmfit's tracer plugin, the arguments the driver gives its fast run
//                 (icount/driver.ts): the floor of anything that traces with it;
//   pmfit icount  the command as a user runs it (Node start, CLI, pool copy, the traced run, the
//                 scan of the trace for its notes): it must cost little more than the plugin alone;
//   node start    `node -e 0`: Node itself starting, the floor of any command written for Node, so
//                 node start + plugin alone is the least `pmfit icount` could ever cost, and the
//                 table tells pmfit's own work (icount - node start) from Node's;
//   pmemcheck     Intel's Valgrind tool, and pmreorder (PMDK's Python tool that replays its store
//                 log), each where it runs here; where not, the row says what was missing;
//   valgrind none Debian's Valgrind with no tool, on a twin of the program that flushes with
//                 clflush (stock Valgrind 3.19 does not decode clwb): the least any Valgrind tool,
//                 pmemcheck included, can cost on this program — a floor, not pmemcheck's figure.
// Each with its peak RSS (GNU time's %M: wait4's ru_maxrss, the largest single process of the
// tree, not the sum of node's and QEMU's). Every contender starts from the same initialized pool.
// The plugin's summary also says whether the driver would re-run under -singlestep (inexactFlushes);
// the bench fails if pmfit icount's counts differ from the plugin's.
// With --baseline DIR (another checkout, built), its `pmfit icount` runs too, in the same rounds.
// Run: node dist/bench/compare.js [--sizes 1000,100000] [--runs 3] [--baseline DIR] [--out FILE]
// Writes bench/results/compare.json (or --out), with the machine and its load noted.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TracerSummary } from '../icount/driver.js';
import { machine, writeResults } from './machine.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const PMFIT = join(root, 'bin/pmfit.js');
const PLUGIN = join(root, 'build/pmfit-tracer.so');
const SOURCE = 'test/fixtures/native/record-flag.c';
const TIME = '/usr/bin/time';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}
const SIZES = arg('sizes', '1000,100000').split(',').map(Number);
const RUNS = Number(arg('runs', '3'));
const outPath = arg('out', join(root, 'bench/results/compare.json'));
/** Another checkout (built) whose `pmfit icount` runs beside this one's: before and after a change. */
const BASELINE = arg('baseline', '');

/** The pool of N records: the flag's line, then N lines of 64 bytes (record-flag.c's layout). */
const poolSize = (n: number) => Math.max(65536, 64 * n + 64);

/** The flags of test/bug-helpers.ts' buildNative (as bench/pipeline.ts builds the program). */
const NATIVE_CFLAGS = ['-std=gnu11', '-O1', '-g', '-Wall', '-Wextra', '-mclwb', '-msse2'];

interface Programs {
  /** As the test suite and bench/pipeline.ts build it (clwb). */
  clwb: string;
  /** The same with every clwb a clflush, for stock Valgrind. */
  clflush: string;
}

/** Builds record-flag for N records, and its clflush twin (an x86pm.h with clflush found first). */
function build(n: number, dir: string): Programs {
  const clflushInclude = join(dir, 'clflush-include');
  mkdirSync(clflushInclude, { recursive: true });
  const x86pm = readFileSync(join(root, 'scenarios/native/x86pm.h'), 'utf8');
  writeFileSync(join(clflushInclude, 'x86pm.h'), x86pm.replaceAll('_mm_clwb(', '_mm_clflush('));
  const programs = { clwb: join(dir, `record-flag-${n}`), clflush: join(dir, `record-flag-clflush-${n}`) };
  for (const [out, includes] of [
    [programs.clwb, []],
    [programs.clflush, [`-I${clflushInclude}`]],
  ] as const)
    execFileSync(
      'cc',
      [
        ...NATIVE_CFLAGS,
        ...includes,
        `-I${join(root, 'icount')}`,
        `-I${join(root, 'scenarios/native')}`,
        `-DMAX_RECORDS=${n}`,
        `-DPOOL_SIZE=${poolSize(n)}`,
        '-o',
        out,
        SOURCE,
        'scenarios/native/npool.c',
      ],
      { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] },
    );
  return programs;
}

interface Measured {
  seconds: number;
  /** User + system CPU of the process and the children it waited for: steadier than wall time under load. */
  cpuSeconds: number;
  peakRssKiB: number;
  stdout: string;
  stderr: string;
}

/** One whole process under GNU time: wall time (ours, around the spawn), its CPU time and peak RSS. */
function measure(cmd: string, args: string[], env: NodeJS.ProcessEnv, dir: string): Measured {
  const timeFile = join(dir, 'time.out');
  const t = process.hrtime.bigint();
  const r = spawnSync(TIME, ['-f', '%U %S %M', '-o', timeFile, cmd, ...args], {
    cwd: root,
    env,
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  const seconds = Number(process.hrtime.bigint() - t) / 1e9;
  if (r.status !== 0)
    throw new Error(`${cmd} ${args.join(' ')}: exit ${r.status ?? r.signal}: ${r.stderr.trim().split('\n').pop()}`);
  const [user, system, rss] = readFileSync(timeFile, 'utf8').trim().split('\n').pop()!.split(' ').map(Number);
  return { seconds, cpuSeconds: user! + system!, peakRssKiB: rss!, stdout: r.stdout, stderr: r.stderr };
}

/** Whether a command runs here, and what it said when it did not. */
function runs(cmd: string, args: string[]): { ok: true } | { ok: false; why: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.error) return { ok: false, why: `${cmd} not found` };
  if (r.status !== 0)
    return { ok: false, why: `${cmd} ${args.join(' ')}: ${(r.stderr || r.stdout).trim().split('\n')[0]}` };
  return { ok: true };
}

const CONTENDERS = [
  'native',
  'plugin alone',
  'pmfit icount',
  'pmfit icount (baseline)',
  'node start (node -e 0)',
  'pmemcheck',
  'valgrind none (clflush twin)',
] as const;
type Contender = (typeof CONTENDERS)[number];

interface Row {
  n: number;
  contender: Contender;
  status: 'measured' | 'unavailable';
  why?: string;
  runs?: number;
  medianSeconds?: number;
  minSeconds?: number;
  maxSeconds?: number;
  medianCpuSeconds?: number;
  medianPeakRssMiB?: number;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

const round = (x: number, digits = 3) => Number(x.toFixed(digits));

interface Availability {
  pmemcheck: { ok: true } | { ok: false; why: string };
  pmreorder: { ok: true } | { ok: false; why: string };
  valgrind: { ok: true } | { ok: false; why: string };
}

function availability(): Availability {
  const valgrind = runs('valgrind', ['--version']);
  const pmemcheck = valgrind.ok
    ? runs('valgrind', ['-q', '--tool=pmemcheck', '/bin/true'])
    : { ok: false as const, why: 'valgrind not found' };
  return { valgrind, pmemcheck, pmreorder: runs('pmreorder', ['--help']) };
}

interface SizeResult {
  rows: Row[];
  /** The plugin's summary of its last run: the counts, and what would make the driver re-run. */
  plugin: Pick<
    TracerSummary,
    'instructions' | 'stores' | 'flushes' | 'fences' | 'ntStores' | 'events' | 'inexactFlushes' | 'envUnusable'
  >;
  singlestepRerun: boolean;
  icountCounts: Record<string, number>;
}

function measureSize(n: number, dir: string, programs: Programs, avail: Availability): SizeResult {
  const pool = join(dir, 'pool');
  const trace = join(dir, 'trace.pmtrace');
  const env = { ...process.env, PMEM_IS_PMEM_FORCE: '1' };
  const fresh = (program: string) => {
    rmSync(pool, { force: true });
    execFileSync(program, ['init', pool]);
  };
  const samples = new Map<Contender, Measured[]>(CONTENDERS.map((c) => [c, []]));
  let summary: TracerSummary | undefined;
  let icountCounts: Record<string, number> = {};
  for (let round = 0; round < RUNS; round++) {
    fresh(programs.clwb);
    samples.get('native')!.push(measure(programs.clwb, ['run', pool, String(n)], env, dir));

    fresh(programs.clwb);
    const pluginArgs = `${PLUGIN},pool=${pool},out=${trace}`;
    samples
      .get('plugin alone')!
      .push(measure('qemu-x86_64', ['-plugin', pluginArgs, programs.clwb, 'run', pool, String(n)], env, dir));
    summary = JSON.parse(readFileSync(`${trace}.summary.json`, 'utf8')) as TracerSummary;
    rmSync(trace, { force: true });

    // pmfit copies the pool it is given and never writes it: the same initialized pool as the others
    fresh(programs.clwb);
    const icount = measure(
      process.execPath,
      [PMFIT, 'icount', '--json', '--pool', pool, '--', programs.clwb, 'run', '{pool}', String(n)],
      env,
      dir,
    );
    samples.get('pmfit icount')!.push(icount);
    icountCounts = JSON.parse(icount.stdout) as Record<string, number>;
    if (BASELINE) {
      fresh(programs.clwb);
      samples
        .get('pmfit icount (baseline)')!
        .push(
          measure(
            process.execPath,
            [
              join(BASELINE, 'bin/pmfit.js'),
              'icount',
              '--json',
              '--pool',
              pool,
              '--',
              programs.clwb,
              'run',
              '{pool}',
              String(n),
            ],
            env,
            dir,
          ),
        );
    }
    samples.get('node start (node -e 0)')!.push(measure(process.execPath, ['-e', '0'], env, dir));

    if (avail.pmemcheck.ok) {
      fresh(programs.clwb);
      samples
        .get('pmemcheck')!
        .push(measure('valgrind', ['-q', '--tool=pmemcheck', programs.clwb, 'run', pool, String(n)], env, dir));
    }
    if (avail.valgrind.ok) {
      fresh(programs.clflush);
      samples
        .get('valgrind none (clflush twin)')!
        .push(measure('valgrind', ['-q', '--tool=none', programs.clflush, 'run', pool, String(n)], env, dir));
    }
  }
  const rows = CONTENDERS.map((contender): Row => {
    const got = samples.get(contender)!;
    if (got.length === 0) {
      const why =
        contender === 'pmemcheck' && !avail.pmemcheck.ok
          ? avail.pmemcheck.why
          : !avail.valgrind.ok
            ? avail.valgrind.why
            : 'not run';
      return { n, contender, status: 'unavailable', why };
    }
    const secs = got.map((m) => m.seconds);
    return {
      n,
      contender,
      status: 'measured',
      runs: got.length,
      medianSeconds: round(median(secs), 4),
      minSeconds: round(Math.min(...secs), 4),
      maxSeconds: round(Math.max(...secs), 4),
      medianCpuSeconds: round(median(got.map((m) => m.cpuSeconds)), 3),
      medianPeakRssMiB: round(median(got.map((m) => m.peakRssKiB)) / 1024, 1),
    };
  });
  const s = summary!;
  return {
    rows,
    plugin: {
      instructions: s.instructions,
      stores: s.stores,
      flushes: s.flushes,
      fences: s.fences,
      ntStores: s.ntStores,
      events: s.events,
      inexactFlushes: s.inexactFlushes,
      envUnusable: s.envUnusable,
    },
    // the driver's rule (icount/driver.ts, traceNative): the fast run cannot vouch for a flush address
    singlestepRerun: s.inexactFlushes > 0 || s.envUnusable,
    icountCounts,
  };
}

function secondsOf(rows: Row[], n: number, contender: Contender): number | undefined {
  return rows.find((r) => r.n === n && r.contender === contender)?.medianSeconds;
}

function cpuOf(rows: Row[], n: number, contender: Contender): number | undefined {
  return rows.find((r) => r.n === n && r.contender === contender)?.medianCpuSeconds;
}

function ratio(a: number | undefined, b: number | undefined): number | null {
  return a !== undefined && b !== undefined && b > 0 ? round(a / b, 2) : null;
}

function tableOf(rows: Row[]): string {
  const out = ['     N  contender                       median (s)   min (s)   max (s)   CPU (s)  peak RSS (MiB)'];
  for (const r of rows)
    out.push(
      r.status === 'unavailable'
        ? `${String(r.n).padStart(6)}  ${r.contender.padEnd(30)}  unavailable: ${r.why}`
        : `${String(r.n).padStart(6)}  ${r.contender.padEnd(30)}${r.medianSeconds!.toFixed(3).padStart(12)}${r.minSeconds!.toFixed(3).padStart(10)}${r.maxSeconds!.toFixed(3).padStart(10)}${r.medianCpuSeconds!.toFixed(3).padStart(10)}${r.medianPeakRssMiB!.toFixed(1).padStart(16)}`,
    );
  return out.join('\n');
}

function fmtLoad(l: number[]): string {
  return l.map((x) => x.toFixed(2)).join(' ');
}

function main(): void {
  const load = { before: loadavg(), uptime: execFileSync('uptime', { encoding: 'utf8' }).trim() };
  const started = new Date().toISOString();
  execFileSync('make', ['-s', '-f', 'icount/icount.mk', 'build/pmfit-tracer.so'], { cwd: root, stdio: 'inherit' });
  const avail = availability();
  const dir = mkdtempSync(join(tmpdir(), 'pmfit-bench-compare-'));
  const rows: Row[] = [];
  const perSize: Record<string, Omit<SizeResult, 'rows'>> = {};
  const failures: string[] = [];
  try {
    for (const n of SIZES) {
      const programs = build(n, dir);
      const { rows: sizeRows, ...rest } = measureSize(n, dir, programs, avail);
      rows.push(...sizeRows);
      perSize[n] = rest;
      for (const key of ['instructions', 'stores', 'flushes', 'fences', 'ntStores'] as const)
        if (rest.icountCounts[key] !== rest.plugin[key])
          failures.push(`N=${n}: pmfit icount says ${key} ${rest.icountCounts[key]}, the plugin ${rest.plugin[key]}`);
      console.log(tableOf(sizeRows));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const ratios = SIZES.map((n) => ({
    n,
    icountOverPlugin: ratio(secondsOf(rows, n, 'pmfit icount'), secondsOf(rows, n, 'plugin alone')),
    baselineIcountOverPlugin: ratio(secondsOf(rows, n, 'pmfit icount (baseline)'), secondsOf(rows, n, 'plugin alone')),
    // pmfit's own work: what it adds to Node's start-up, which any Node command pays
    icountLessNodeOverPlugin: ratio(
      (secondsOf(rows, n, 'pmfit icount') ?? 0) - (secondsOf(rows, n, 'node start (node -e 0)') ?? 0),
      secondsOf(rows, n, 'plugin alone'),
    ),
    // the floor: a Node command that did nothing but start and run the plugin
    floorOverPlugin: ratio(
      (secondsOf(rows, n, 'node start (node -e 0)') ?? 0) + (secondsOf(rows, n, 'plugin alone') ?? 0),
      secondsOf(rows, n, 'plugin alone'),
    ),
    cpuIcountOverPlugin: ratio(cpuOf(rows, n, 'pmfit icount'), cpuOf(rows, n, 'plugin alone')),
    cpuIcountLessNodeOverPlugin: ratio(
      (cpuOf(rows, n, 'pmfit icount') ?? 0) - (cpuOf(rows, n, 'node start (node -e 0)') ?? 0),
      cpuOf(rows, n, 'plugin alone'),
    ),
    pluginOverNative: ratio(secondsOf(rows, n, 'plugin alone'), secondsOf(rows, n, 'native')),
    pmemcheckOverIcount: ratio(secondsOf(rows, n, 'pmemcheck'), secondsOf(rows, n, 'pmfit icount')),
    valgrindNoneOverIcount: ratio(
      secondsOf(rows, n, 'valgrind none (clflush twin)'),
      secondsOf(rows, n, 'pmfit icount'),
    ),
  }));
  const loadAfter = loadavg();
  console.log('');
  for (const r of ratios)
    console.log(
      `N=${r.n}: icount/plugin ${r.icountOverPlugin}x (baseline ${r.baselineIcountOverPlugin ?? 'not run'}; floor (node + plugin)/plugin ${r.floorOverPlugin}x; (icount - node)/plugin ${r.icountLessNodeOverPlugin}x; CPU ${r.cpuIcountOverPlugin}x, less node ${r.cpuIcountLessNodeOverPlugin}x), plugin/native ${r.pluginOverNative}x, pmemcheck/icount ${r.pmemcheckOverIcount ?? 'n/a (no pmemcheck)'}, valgrind-none/icount ${r.valgrindNoneOverIcount ?? 'n/a'}; -singlestep re-run: ${perSize[r.n]!.singlestepRerun ? 'YES' : 'no'} (inexact flushes ${perSize[r.n]!.plugin.inexactFlushes})`,
    );
  console.log(
    `pmreorder: ${avail.pmreorder.ok ? 'available (not timed here)' : `unavailable: ${avail.pmreorder.why}`}`,
  );
  console.log(`load average before ${fmtLoad(load.before)}, after ${fmtLoad(loadAfter)}`);
  const result = {
    date: started,
    machine: {
      ...machine(true),
      valgrind: avail.valgrind.ok ? execFileSync('valgrind', ['--version'], { encoding: 'utf8' }).trim() : null,
    },
    load: { uptimeAtStart: load.uptime, loadavgBefore: load.before, loadavgAfter: loadAfter },
    program: SOURCE,
    build: `cc ${NATIVE_CFLAGS.join(' ')} -DMAX_RECORDS=N -DPOOL_SIZE=max(65536, 64*N+64); the valgrind twin with an x86pm.h whose clwb is clflush`,
    runs: RUNS,
    ...(BASELINE ? { baseline: BASELINE } : {}),
    notes: [
      'each contender is one whole process, timed around its spawn; median of `runs`, the contenders taking turns in each round',
      'CPU: user + system seconds of the process and the children it waited for (GNU time %U + %S): steadier than wall time on a loaded machine',
      'peak RSS: GNU time %M (wait4 ru_maxrss): the largest single process of the tree, not the sum (pmfit icount: node or QEMU, whichever is larger)',
      'every contender starts from the pool `record-flag init` made; pmfit icount copies it (--pool, no --init) and is given no --size',
      'plugin alone: qemu-x86_64 -plugin build/pmfit-tracer.so,pool=POOL,out=TRACE with PMEM_IS_PMEM_FORCE=1, as icount/driver.ts runs its fast pass',
      'valgrind none: the floor of any Valgrind tool on this program (pmemcheck adds its instrumentation and store log on top); it runs the clflush twin because stock Valgrind 3.19 stops at clwb (SIGILL)',
      'node start: `node -e 0` in the same environment (this machine sets NODE_EXTRA_CA_CERTS, so every Node process reads a CA bundle at start); floorOverPlugin = (node start + plugin alone) / plugin alone, the least any Node command that runs the plugin can reach',
      'singlestepRerun: whether icount/driver.ts would re-run under -singlestep (inexact flush addresses or an unusable register view)',
    ],
    availability: {
      pmemcheck: avail.pmemcheck.ok ? 'available' : avail.pmemcheck.why,
      pmreorder: avail.pmreorder.ok ? 'available' : avail.pmreorder.why,
      valgrind: avail.valgrind.ok ? 'available' : avail.valgrind.why,
    },
    rows,
    ratios,
    perSize,
    failures,
  };
  writeResults(outPath, result);
  if (failures.length) {
    console.error(`BENCH FAILED:\n  ${failures.join('\n  ')}`);
    process.exit(1);
  }
}

main();
