// Driver of the native tracer: runs a program under qemu-x86_64 with the pmfit-tracer plugin
// and returns the trace it wrote (docs/trace-format.md, "Native producer notes").
import { join } from 'node:path';
import { constants } from 'node:os';
import { buildDir } from '../core/support/paths.js';
import { onHardInterrupt } from '../core/support/interrupt.js';
import { killGroup, lastLine, patientTimer } from '../core/support/run-command.js';
import { execFile, spawn } from 'node:child_process';
import { copyFileSync, existsSync, readFileSync, rmSync } from 'node:fs';
import { childTraceFiles, removeChildTraces } from './child-traces.js';

/** What the plugin writes to OUT.summary.json when the program ends. */
export interface TracerSummary {
  /** Instructions counted in the traced window(s). */
  instructions: number;
  /** Every guest instruction executed, window or not. */
  allInstructions: number;
  /** CPU store records (kind 1 written by a store instruction). */
  stores: number;
  ntStores: number;
  /**
   * Store records of data a system call wrote into the pool (read, pread64, readv, preadv, preadv2,
   * recvfrom): the kernel's copy, not a CPU store. Absent from traces of older tracers.
   */
  syscallStores?: number;
  flushes: number;
  fences: number;
  msyncs: number;
  markers: number;
  events: number;
  /** Flushes whose address registers QEMU may not have written back yet (forces a -singlestep re-run). */
  inexactFlushes: number;
  envUnusable: boolean;
  envVerified: number;
  singlestep: boolean;
  /** Load bias of the main binary (0 unless PIE): subtract it from a pc before addr2line. */
  mainBase: number;
  /**
   * 'exit' (exitCode set), 'icount-life' (icount_start(N) expired: SIGKILL), 'too-many-threads' (a
   * thread past the tracer's 64 at once touched the pool: the tracer stopped the program), 'exec' (the
   * process called exec: its files were finished first), or 'unknown'.
   */
  exitReason: 'exit' | 'icount-life' | 'unknown' | 'bad-function' | 'too-many-threads' | 'exec';
  exitCode: number | null;
  /** How the program mapped the pool: shared and writable, read-only, or writable but MAP_PRIVATE. */
  poolMappings: { readWrite: number; readOnly: number; private: number };
  /** The program opened the pool file O_RDONLY. */
  poolOpenedReadOnly: boolean;
  /** The same, per pool file in the order given (absent from older tracers' summaries). */
  pools?: { readWrite: number; readOnly: number; private: number; openedReadOnly: boolean }[];
  /** Other regular files the program opened (the loader's and /proc, /sys, /dev, /etc left out). */
  opened: string[];
  /** More files were opened than `opened` lists. */
  openedMore: boolean;
  /** Child processes the traced program forked (their pool events are in their own traces, or not traced). */
  forks: number;
  /** With 'too-many-threads': the pc of that thread's pool access (0 when it was a system call). */
  threadPc: number;
  /** Threads the program ran (the first included); every one's pool events are in the trace. */
  threads?: number;
  writeFailed: boolean;
  /** Code objects (executable file mappings) the tracer recorded, and whether there were more. */
  objects?: number;
  objectsMore?: boolean;
  /** Shadow call stack entries dropped because it was full (deep recursion). */
  stackDropped?: number;
}

export interface TraceNativeOptions {
  /** The pool files followed, in pool-id order (every part of a poolset is one). */
  pools: string[];
  program: string;
  args: string[];
  /** Trace file to write; the summary goes to `${out}.summary.json`. */
  out: string;
  env?: Record<string, string>;
  /** Window: from each entry of this function (main binary) … */
  from?: string;
  /** … to the entry of this one (default: until `from` returns). */
  to?: string;
  /** A user marker named after this function (main binary) at each of its entries: --ops-between. */
  ops?: string;
  /** The file of the inlined copies of from/to/ops (icount/window-functions.ts): their calls count too. */
  inlined?: string;
  /** Trace the whole run even if the program has icount_start markers. */
  whole?: boolean;
  /** Time limit of one traced run (default DEFAULT_TRACE_TIMEOUT_MS); past it the whole process group is killed. */
  timeoutMs?: number;
  /** 'auto' re-runs under -singlestep only when a flush address may be stale; 'always' starts there. */
  exact?: 'auto' | 'always';
  /**
   * Globs (fnmatch, on each object's real path) of the user's code; when given they replace the
   * default (the main binary and every object outside the system's directories).
   */
  userCode?: string[];
  /**
   * A forked child: 'trace' writes its own trace `${out}.child-K` (icount/child-traces.ts finds them),
   * 'ignore' (default) traces nothing of it.
   */
  forks?: 'trace' | 'ignore';
}

export interface TraceNativeResult {
  tracePath: string;
  summary: TracerSummary;
  exitCode: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  /** True when the first run had inexact flushes and this result comes from the -singlestep re-run. */
  reran: boolean;
}

export class TracerError extends Error {
  override name = 'TracerError';
}

/** A thread past the tracer's room (64 threads at once) touched the pool: its events would be missing. */
export class TooManyThreadsError extends TracerError {
  override name = 'TooManyThreadsError';
  constructor(
    readonly program: string,
    /** The pc of the access, 0 when it was a system call (mmap, munmap, msync, a read into the pool). */
    readonly pc: number,
    /** The main binary's load bias (TracerSummary.mainBase), to resolve `pc`. */
    readonly mainBase: number,
  ) {
    super(`a thread of ${program} beyond the 64 the tracer follows at once touched the pool`);
  }
}

const QEMU = process.env.PMFIT_QEMU ?? 'qemu-x86_64';
const OUTPUT_CAP = 8 << 20;
/** Ten minutes: the default --trace-timeout. */
export const DEFAULT_TRACE_TIMEOUT_MS = 600_000;
/** After the program ended, how long a process it left holding our pipes may keep them. */
const PIPE_GRACE_MS = 2_000;

/** Absolute path of build/pmfit-tracer.so; throws when it has not been built. */
export function tracerPluginPath(): string {
  // dist/icount/tracer.js and icount/driver.ts both sit two levels below the repo root
  const path = process.env.PMFIT_TRACER_PLUGIN ?? join(buildDir(), 'pmfit-tracer.so');
  if (!existsSync(path)) throw new TracerError(`the native tracer is not built (${path} is missing): run make`);
  return path;
}

/** Runs `program` under the tracer; re-runs under -singlestep when the fast run cannot vouch for a flush address. */
export async function traceNative(opts: TraceNativeOptions): Promise<TraceNativeResult> {
  const plugin = tracerPluginPath();
  const values = [...opts.pools, opts.out, opts.from, opts.to, opts.ops, opts.inlined, ...(opts.userCode ?? [])];
  for (const value of values) {
    // QEMU splits plugin arguments at commas and has no escape for them
    if (value?.includes(',')) throw new TracerError(`tracer arguments cannot contain commas: ${value}`);
  }
  if (opts.exact === 'always') return runOnce(plugin, opts, true, false);
  const backups = opts.pools.map((pool, i) => backUpPool(pool, `${opts.out}.pool-backup${i}`));
  try {
    const fast = await runOnce(plugin, opts, false, false);
    if (!needsExactRun(fast.summary) && !childTraceFiles(opts.out).some((c) => needsExactRun(c.summary))) return fast;
    // the fast run changed the pools: start the exact run from the same pool contents
    opts.pools.forEach((pool, i) => restorePool(pool, backups[i]!));
    return await runOnce(plugin, opts, true, true);
  } finally {
    for (const backup of backups) if (backup) rmSync(backup, { force: true });
  }
}

/** A run whose flush addresses the tracer cannot vouch for: the driver re-runs it under -singlestep. */
function needsExactRun(summary: TracerSummary | undefined): boolean {
  return summary !== undefined && (summary.inexactFlushes > 0 || summary.envUnusable);
}

function backUpPool(pool: string, backup: string): string | null {
  if (!existsSync(pool)) return null;
  copyFileSync(pool, backup);
  return backup;
}

function restorePool(pool: string, backup: string | null): void {
  if (backup) copyFileSync(backup, pool);
  else rmSync(pool, { force: true });
}

/**
 * QEMU's -E that preloads build/pmfit-guest-shim.so into the traced program only (not into QEMU):
 * MAP_SYNC answered as the kernel answers it natively (icount/guest-shim.c). Kept after any
 * LD_PRELOAD of the user's; left out when the shim is not built or its path cannot be carried.
 */
function guestPreload(userPreload: string | undefined): string[] {
  const shim = join(buildDir(), 'pmfit-guest-shim.so');
  if (!existsSync(shim) || /[\s:,]/.test(shim)) return [];
  return ['-E', `LD_PRELOAD=${shim}${userPreload ? ` ${userPreload}` : ''}`];
}

function pluginArgs(plugin: string, opts: TraceNativeOptions, exact: boolean): string {
  const parts = [plugin, ...opts.pools.map((pool) => `pool=${pool}`), `out=${opts.out}`];
  if (opts.from) parts.push(`from=${opts.from}`);
  if (opts.to) parts.push(`to=${opts.to}`);
  if (opts.ops) parts.push(`ops=${opts.ops}`);
  if (opts.inlined) parts.push(`inlined=${opts.inlined}`);
  if (opts.whole) parts.push('whole=1');
  if (exact) parts.push('exact=1');
  parts.push(`forks=${opts.forks ?? 'ignore'}`);
  for (const glob of opts.userCode ?? []) parts.push(`user=${glob}`);
  return parts.join(',');
}

async function runOnce(
  plugin: string,
  opts: TraceNativeOptions,
  exact: boolean,
  reran: boolean,
): Promise<TraceNativeResult> {
  const summaryPath = `${opts.out}.summary.json`;
  rmSync(summaryPath, { force: true });
  removeChildTraces(opts.out); // a child of an earlier run must not pass for one of this run
  const env: Record<string, string | undefined> = { ...process.env, PMEM_IS_PMEM_FORCE: '1', ...opts.env };
  const argv = [
    ...(exact ? ['-singlestep'] : []),
    ...guestPreload(env.LD_PRELOAD),
    '-plugin',
    pluginArgs(plugin, opts, exact),
    opts.program,
    ...opts.args,
  ];
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TRACE_TIMEOUT_MS;
  const run = await runProcess(QEMU, argv, env, timeoutMs);
  if (run.interrupted) return dieOf(run.interrupted, opts.program);
  if (run.timedOut)
    throw new TracerError(
      `${opts.program} did not finish within ${timeoutMs} ms under the tracer: it was stopped, with every process it started (--trace-timeout MS allows longer)`,
    );
  if (!existsSync(summaryPath)) {
    throw new TracerError(
      `the tracer wrote no summary for ${opts.program} (exit ${run.exitCode ?? run.signal}): ${lastLine(run.stderr)}`,
    );
  }
  const summary = JSON.parse(readFileSync(summaryPath, 'utf8')) as TracerSummary;
  if (summary.exitReason === 'bad-function')
    // The summary is the verdict; the plugin's stderr line only says which of the two was missing
    // (once, in a full-suite run, it came back empty: the message must not depend on it).
    throw new TracerError(
      lastLine(run.stderr) ||
        `function ${[opts.from, opts.to].filter(Boolean).join(' or ')} not found in ${opts.program}`,
    );
  if (summary.exitReason === 'too-many-threads')
    throw new TooManyThreadsError(opts.program, summary.threadPc, summary.mainBase);
  if (summary.writeFailed) throw new TracerError(`the tracer could not write ${opts.out}`);
  return {
    tracePath: opts.out,
    summary,
    exitCode: run.exitCode,
    signal: run.signal,
    stdout: run.stdout,
    stderr: run.stderr,
    reran,
  };
}

interface ProcessRun {
  exitCode: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  /** pmfit itself got this signal while the program ran (the program was stopped). */
  interrupted?: NodeJS.Signals;
}

/**
 * Process groups of the traced programs still running, each with what its run does when pmfit gets a
 * stop signal: killed whatever way pmfit ends.
 */
const liveGroups = new Map<number, (signal: NodeJS.Signals) => void>();
let groupsGuarded = false;

function guardGroups(): void {
  if (groupsGuarded) return;
  groupsGuarded = true;
  const killAll = () => {
    for (const pid of liveGroups.keys()) killGroup(pid);
  };
  onHardInterrupt(killAll);
  process.on('exit', killAll);
}

const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/** While a traced program runs, one listener per stop signal tells every run (they stop their group). */
function onStopSignal(signal: NodeJS.Signals): void {
  for (const stopped of liveGroups.values()) stopped(signal);
}

function watchGroup(pid: number, stopped: (signal: NodeJS.Signals) => void): void {
  // first in line: the program must be dead before any other listener removes its files
  if (liveGroups.size === 0) for (const signal of STOP_SIGNALS) process.prependListener(signal, onStopSignal);
  liveGroups.set(pid, stopped);
}

function unwatchGroup(pid: number): void {
  if (!liveGroups.delete(pid) || liveGroups.size > 0) return;
  for (const signal of STOP_SIGNALS) process.off(signal, onStopSignal);
}

/**
 * Runs the traced program in a process group of its own, so that it and everything it starts can be
 * killed at once: at the time limit, when pmfit gets SIGINT/SIGTERM/SIGHUP, and when it exits (a
 * forked child left behind, or a daemon holding our pipes, never outlives the run).
 */
function runProcess(cmd: string, argv: string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<ProcessRun> {
  guardGroups();
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, argv, { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    const pid = child.pid;
    const stop = () => {
      if (pid !== undefined) killGroup(pid);
    };
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    let interrupted: NodeJS.Signals | undefined;
    if (pid !== undefined)
      watchGroup(pid, (signal) => {
        interrupted ??= signal;
        stop();
      });
    const timer = setTimeout(() => {
      timedOut = true;
      stop();
    }, timeoutMs);
    let grace: { cancel(): void } | undefined;
    const settle = () => {
      clearTimeout(timer);
      grace?.cancel();
      if (pid !== undefined) unwatchGroup(pid);
    };
    child.stdout.on('data', (b: Buffer) => capped(out, b));
    child.stderr.on('data', (b: Buffer) => capped(err, b));
    child.on('error', (e) => {
      settle();
      reject(new TracerError(`cannot run ${cmd}: ${e.message}`));
    });
    child.on('exit', () => {
      stop();
      // A patient timer: it counts only time the event loop gave it, and fires after the loop's I/O
      // phase — a plain timer, due while a busy loop was blocked, ran before the pipes were read
      // and dropped the program's last output (seen under load: an empty stdout, a blank error).
      grace = patientTimer(PIPE_GRACE_MS, () => {
        child.stdout.destroy();
        child.stderr.destroy();
      });
    });
    child.on('close', (code, signal) => {
      settle();
      resolve({
        exitCode: code,
        signal,
        stdout: Buffer.concat(out).toString(),
        stderr: Buffer.concat(err).toString(),
        timedOut,
        ...(interrupted ? { interrupted } : {}),
      });
    });
  });
}

/**
 * pmfit got `signal` while tracing: the program is stopped; there is no trace to report on, so pmfit
 * ends as the signal asks (its interrupt handlers remove the temporary files), exit status 128+N.
 */
function dieOf(signal: NodeJS.Signals, program: string): Promise<never> {
  process.stderr.write(`pmfit: ${signal} while tracing ${program}: stopped it\n`);
  process.kill(process.pid, signal);
  // Node handles the signal on a later turn of its event loop: keep the loop turning until then
  return new Promise<never>(() => {
    setTimeout(() => process.exit(128 + constants.signals[signal]), 10_000);
  });
}

function capped(chunks: Buffer[], b: Buffer): void {
  // a chatty program must not exhaust our memory: keep the first OUTPUT_CAP bytes
  if (chunks.reduce((n, c) => n + c.length, 0) < OUTPUT_CAP) chunks.push(b);
}

/**
 * Maps program counters to `file:line` with addr2line. `mainBase` is the header's load bias of the
 * main binary (PIE); pcs outside the binary, or without line info, are left out of the result.
 */
export async function resolveSites(binary: string, pcs: number[], mainBase = 0): Promise<Map<number, string>> {
  const wanted = [...new Set(pcs)].filter((pc) => pc >= mainBase);
  const sites = new Map<number, string>();
  if (wanted.length === 0) return sites;
  const addrs = wanted.map((pc) => `0x${(pc - mainBase).toString(16)}`);
  // -a heads each answer with its address, -i adds the frames an inlined function was inlined into.
  const text = await execText('addr2line', ['-a', '-i', '-e', binary, ...addrs]);
  let index = -1;
  let frames: string[] = [];
  const settle = () => {
    const site = pickFrame(frames);
    if (index >= 0 && site) sites.set(wanted[index]!, site);
  };
  for (const line of text.split('\n')) {
    if (/^0x[0-9a-f]+$/.test(line)) {
      settle();
      index += 1;
      frames = [];
    } else if (line) frames.push(line.replace(/ \(discriminator \d+\)$/, ''));
  }
  settle();
  return sites;
}

/**
 * The frame to show for a pc: the innermost one outside the system's headers (a compiler intrinsic
 * such as _mm_clwb says less than the line of the program that used it), and among the program's own
 * frames the innermost one in a source file rather than a header: a store through a small inline
 * helper (`static inline void store64(...)` in x86pm.h) is named by the line that called the helper,
 * which tells one store from another. addr2line answers ??:0 or file:? when it has no line.
 */
function pickFrame(frames: string[]): string | undefined {
  const known = frames.filter((f) => !f.startsWith('??') && !f.endsWith(':?') && !f.endsWith(':0'));
  const own = known.filter((f) => !f.startsWith('/usr/'));
  return own.find((f) => !HEADER.test(f)) ?? own[0] ?? known[0];
}

const HEADER = /\.(h|hh|hpp|hxx|inl):\d+$/;

/** A tool's stdout (binutils: addr2line, nm, objdump, readelf); `maxBuffer` for a large debug dump. */
export function execText(cmd: string, argv: string[], maxBuffer = OUTPUT_CAP): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, argv, { maxBuffer }, (err, stdout) =>
      err ? reject(new TracerError(`${cmd} failed: ${err.message}`)) : resolve(stdout),
    );
  });
}
