// Driver of the native tracer: runs a program under qemu-x86_64 with the pmfit-tracer plugin
// and returns the trace it wrote (docs/trace-format.md, "Native producer notes").
import { join } from 'node:path';
import { buildDir } from '../core/support/paths.js';
import { execFile, spawn } from 'node:child_process';
import { copyFileSync, existsSync, readFileSync, rmSync } from 'node:fs';

/** What the plugin writes to OUT.summary.json when the program ends. */
export interface TracerSummary {
  /** Instructions counted in the traced window(s). */
  instructions: number;
  /** Every guest instruction executed, window or not. */
  allInstructions: number;
  stores: number;
  ntStores: number;
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
  /** 'exit' (exitCode set), 'icount-life' (icount_start(N) expired: SIGKILL), or 'unknown'. */
  exitReason: 'exit' | 'icount-life' | 'unknown' | 'bad-function';
  exitCode: number | null;
  writeFailed: boolean;
}

export interface TraceNativeOptions {
  pool: string;
  program: string;
  args: string[];
  /** Trace file to write; the summary goes to `${out}.summary.json`. */
  out: string;
  env?: Record<string, string>;
  /** Window: from each entry of this function (main binary) … */
  from?: string;
  /** … to the entry of this one (default: until `from` returns). */
  to?: string;
  /** Trace the whole run even if the program has icount_start markers. */
  whole?: boolean;
  timeoutMs?: number;
  /** 'auto' re-runs under -singlestep only when a flush address may be stale; 'always' starts there. */
  exact?: 'auto' | 'always';
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

const QEMU = process.env.PMFIT_QEMU ?? 'qemu-x86_64';
const OUTPUT_CAP = 8 << 20;

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
  for (const value of [opts.pool, opts.out, opts.from ?? '', opts.to ?? '']) {
    // QEMU splits plugin arguments at commas and has no escape for them
    if (value.includes(',')) throw new TracerError(`tracer arguments cannot contain commas: ${value}`);
  }
  if (opts.exact === 'always') return runOnce(plugin, opts, true, false);
  const backup = backUpPool(opts.pool, opts.out);
  try {
    const fast = await runOnce(plugin, opts, false, false);
    if (fast.summary.inexactFlushes === 0 && !fast.summary.envUnusable) return fast;
    // the fast run changed the pool: start the exact run from the same pool content
    restorePool(opts.pool, backup);
    return await runOnce(plugin, opts, true, true);
  } finally {
    if (backup) rmSync(backup, { force: true });
  }
}

function backUpPool(pool: string, out: string): string | null {
  if (!existsSync(pool)) return null;
  const backup = `${out}.pool-backup`;
  copyFileSync(pool, backup);
  return backup;
}

function restorePool(pool: string, backup: string | null): void {
  if (backup) copyFileSync(backup, pool);
  else rmSync(pool, { force: true });
}

function pluginArgs(plugin: string, opts: TraceNativeOptions, exact: boolean): string {
  const parts = [plugin, `pool=${opts.pool}`, `out=${opts.out}`];
  if (opts.from) parts.push(`from=${opts.from}`);
  if (opts.to) parts.push(`to=${opts.to}`);
  if (opts.whole) parts.push('whole=1');
  if (exact) parts.push('exact=1');
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
  const argv = [
    ...(exact ? ['-singlestep'] : []),
    '-plugin',
    pluginArgs(plugin, opts, exact),
    opts.program,
    ...opts.args,
  ];
  const env = { ...process.env, PMEM_IS_PMEM_FORCE: '1', ...opts.env };
  const run = await runProcess(QEMU, argv, env, opts.timeoutMs);
  if (run.timedOut)
    throw new TracerError(`${opts.program} did not finish within ${opts.timeoutMs} ms under the tracer`);
  if (!existsSync(summaryPath)) {
    throw new TracerError(
      `the tracer wrote no summary for ${opts.program} (exit ${run.exitCode ?? run.signal}): ${lastLine(run.stderr)}`,
    );
  }
  const summary = JSON.parse(readFileSync(summaryPath, 'utf8')) as TracerSummary;
  if (summary.exitReason === 'bad-function') throw new TracerError(lastLine(run.stderr));
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

function lastLine(text: string): string {
  return text.trim().split('\n').pop() ?? '';
}

interface ProcessRun {
  exitCode: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

function runProcess(cmd: string, argv: string[], env: NodeJS.ProcessEnv, timeoutMs?: number): Promise<ProcessRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, argv, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    const timer = timeoutMs
      ? setTimeout(() => {
          timedOut = true;
          child.kill('SIGKILL');
        }, timeoutMs)
      : undefined;
    child.stdout.on('data', (b: Buffer) => capped(out, b));
    child.stderr.on('data', (b: Buffer) => capped(err, b));
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(new TracerError(`cannot run ${cmd}: ${e.message}`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({
        exitCode: code,
        signal,
        stdout: Buffer.concat(out).toString(),
        stderr: Buffer.concat(err).toString(),
        timedOut,
      });
    });
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
 * such as _mm_clwb says less than the line of the program that used it). addr2line answers ??:0 or
 * file:? when it has no line for an address.
 */
function pickFrame(frames: string[]): string | undefined {
  const known = frames.filter((f) => !f.startsWith('??') && !f.endsWith(':?') && !f.endsWith(':0'));
  return known.find((f) => !f.startsWith('/usr/')) ?? known[0];
}

function execText(cmd: string, argv: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, argv, { maxBuffer: OUTPUT_CAP }, (err, stdout) =>
      err ? reject(new TracerError(`${cmd} failed: ${err.message}`)) : resolve(stdout),
    );
  });
}
