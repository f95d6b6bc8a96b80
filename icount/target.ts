// A native program under test: its pool is copied into a private working directory (the user's
// file is never touched), optionally initialized untraced, then the program runs once under the
// QEMU tracer. What comes back is the trace, with program counters resolved to file:line, and the
// pool's image before the snippet.
import { copyFileSync, existsSync, readFileSync, realpathSync, statSync, writeFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import type { Trace, TraceHeader } from '../core/api.js';
import { readTrace } from '../core/trace/reader.js';
import { EventKind, MARKER_KIND_CODES } from '../core/trace/event-table.js';
import {
  TooManyThreadsError,
  TracerError,
  resolveSites,
  traceNative,
  type TraceNativeResult,
  type TracerSummary,
} from './driver.js';
import { UsageError, requireParentDir } from '../core/support/errors.js';
import { notPassedReason, runCommand, substitutePool } from '../core/support/run-command.js';
import { findProgram } from '../core/support/find-program.js';
import { coalesceInstructionStores } from './coalesce-stores.js';
import { missingFunction } from './symbols.js';
import { codePointerNote } from './code-pointers.js';
import { attributeEvents, shortPath } from './attribution.js';
import { type ChildTrace, type ForksMode, readChildTraces } from './child-traces.js';

export interface NativeTarget {
  /** The user's pool file (read, never written). */
  pool: string;
  /** Size of a new pool when `pool` does not exist. */
  size?: number;
  /** Untraced set-up command run on the working copy; `{pool}` stands for it. */
  init?: string;
  program: string;
  /** Program arguments; `{pool}` stands for the working copy. */
  args: string[];
  from?: string;
  to?: string;
  /** --ops-between: each call of this function is one operation of the ops oracle. */
  opsBetween?: string;
  env?: Record<string, string>;
  /** Time limit of the traced run in ms (default: the driver's ten minutes). */
  traceTimeoutMs?: number;
  /** --user-code: globs of the objects whose code is the user's (replace the default rule). */
  userCode?: string[];
  /** --forks: a forked child traced into its own trace, or ignored (the default here: icount, allcounts). */
  forks?: ForksMode;
}

export interface TracedTarget {
  trace: Trace;
  initial: Buffer;
  summary: TracerSummary;
  /** The program's absolute path. */
  binary: string;
  /** What a person should know about how the run was traced (a fork: the children were not). */
  notes: string[];
  /**
   * Set when the trace is the whole run because the program has no icount_start/icount_stop markers
   * and no --from/--to chose a window: the note to say once per run (not once per model).
   */
  wholeRunNote?: string;
  /** With forks 'trace': the forked children that stored into the pool, each checked as its own trace. */
  children?: ChildTrace[];
}

/** The note of a run traced whole for want of markers or --from/--to. */
export const WHOLE_RUN_NOTE =
  'the whole run was traced (no icount_start/icount_stop markers): mark the operations under test with them, or use --from/--to, to narrow the trace';

/** Libraries pmfit's own pmem programs use flush with instructions only when told to. */
export const NATIVE_ENV = { PMEM_IS_PMEM_FORCE: '1' };

/** Validates the target before any work, so bad input fails fast with exit 2. */
export function checkTarget(target: NativeTarget): string {
  requireParentDir(target.pool, '--pool');
  if (existsSync(target.pool)) {
    if (!statSync(target.pool).isFile()) throw new UsageError(`--pool ${target.pool} is not a regular file`);
    if (statSync(target.pool).size === 0 && !target.size)
      throw new UsageError(`--pool ${target.pool} is empty: give --size to start from a zeroed pool of that size`);
  } else if (!target.size) {
    throw new UsageError(`--pool ${target.pool} does not exist: give --size BYTES to start from a new zeroed pool`);
  }
  if (target.size !== undefined && (!Number.isInteger(target.size) || target.size <= 0))
    throw new UsageError(`--size must be a positive number of bytes, got ${target.size}`);
  if (target.pool.includes(','))
    throw new UsageError(`--pool ${target.pool}: the tracer cannot take a path with a comma`);
  checkUserCode(target.userCode);
  return findProgram(target.program);
}

/** The most --user-code globs the tracer takes. */
export const MAX_USER_CODE_GLOBS = 16;

/** Refuses --user-code globs the tracer cannot take (QEMU splits its plugin arguments at commas). */
export function checkUserCode(globs: readonly string[] | undefined): void {
  for (const glob of globs ?? []) {
    if (glob === '') throw new UsageError('--user-code needs a glob, got an empty one');
    if (glob.includes(','))
      throw new UsageError(
        `--user-code ${glob}: the tracer cannot take a glob with a comma: give one glob per --user-code`,
      );
  }
  if ((globs?.length ?? 0) > MAX_USER_CODE_GLOBS)
    throw new UsageError(`--user-code given ${globs!.length} times: the tracer takes at most ${MAX_USER_CODE_GLOBS}`);
}

/** Copies (or creates) the working pool in `dir` and runs `--init` on it. Returns its path. */
export async function prepareWorkingPool(target: NativeTarget, dir: string, timeoutMs: number): Promise<string> {
  const working = join(dir, 'pool');
  if (existsSync(target.pool) && statSync(target.pool).size > 0) copyFileSync(target.pool, working);
  else writeFileSync(working, Buffer.alloc(target.size!));
  if (target.init) {
    const outcome = await runCommand(substitutePool(target.init, working), {
      timeoutMs: Math.max(timeoutMs, 60_000),
      env: { ...NATIVE_ENV, ...target.env },
    });
    if (outcome.kind !== 'passed') {
      throw new UsageError(`--init ${notPassedReason(outcome)}`);
    }
  }
  return working;
}

/** Runs the program once under the tracer on the working pool and reads back its trace. */
export async function traceTarget(
  target: NativeTarget,
  binary: string,
  working: string,
  dir: string,
): Promise<TracedTarget> {
  const initial = readFileSync(working);
  const { out, summary } = await runTraced(target, binary, working, dir);
  const trace = await readAttributedTrace(out, binary);
  const pointer = await codePointerNote(trace, binary, target.program);
  const forked = target.forks === 'trace' ? await readChildTraces(out, binary, target.program) : undefined;
  return {
    trace,
    initial,
    summary,
    binary,
    notes: [...runNotes(target, summary), ...(forked?.notes ?? []), ...(pointer ? [pointer] : [])],
    ...(tracedWhole(trace) ? { wholeRunNote: WHOLE_RUN_NOTE } : {}),
    ...(forked?.checked.length ? { children: forked.checked } : {}),
  };
}

/**
 * Runs the program once under the tracer on the working pool and refuses a run pmfit cannot use
 * (a missing --from/--to function, a tracer error, a failed program, a pool never mapped writable).
 * Returns the trace file's path and the tracer's summary; the trace is not read.
 */
export async function runTraced(
  target: NativeTarget,
  binary: string,
  working: string,
  dir: string,
): Promise<{ out: string; summary: TracerSummary }> {
  for (const [option, name] of [
    ['--from', target.from],
    ['--to', target.to],
    ['--ops-between', target.opsBetween],
  ] as const) {
    const missing = name ? await missingFunction(binary, name, option) : undefined;
    if (missing) throw new UsageError(missing);
  }
  const out = join(dir, 'trace.pmtrace');
  let result: TraceNativeResult;
  try {
    result = await traceNative({
      pool: working,
      program: binary,
      args: target.args.map((a) => a.split('{pool}').join(working)),
      out,
      env: { ...NATIVE_ENV, ...target.env },
      ...(target.from ? { from: target.from } : {}),
      ...(target.to ? { to: target.to } : {}),
      ...(target.opsBetween ? { ops: target.opsBetween } : {}),
      ...(target.traceTimeoutMs !== undefined ? { timeoutMs: target.traceTimeoutMs } : {}),
      ...(target.userCode?.length ? { userCode: target.userCode } : {}),
      ...(target.forks ? { forks: target.forks } : {}),
    });
  } catch (err) {
    if (err instanceof TooManyThreadsError)
      throw new UsageError(await tooManyThreadsMessage(target.program, err, binary));
    if (err instanceof TracerError) throw new UsageError(err.message.split('\n')[0]!);
    throw err;
  }
  if (result.summary.exitReason === 'bad-function')
    throw new UsageError(`--from/--to/--ops-between names a function that ${target.program} does not have`);
  if (result.summary.exitReason !== 'icount-life' && result.exitCode !== 0) {
    const why =
      result.stderr.trim().split('\n').pop() ||
      (result.signal ? `killed by ${result.signal}` : `exit status ${result.exitCode}`);
    throw new UsageError(`the traced program failed (${why}): pmfit needs a run that completes`);
  }
  requirePoolMapped(target, result.summary);
  return { out, summary: result.summary };
}

/** The trace file read into events, one store per instruction, each event with its user's line. */
export async function readAttributedTrace(out: string, binary: string): Promise<Trace> {
  const raw = readTrace(out);
  const trace = { ...raw, events: coalesceInstructionStores(raw.events) };
  await attributeEvents(trace, binary);
  return trace;
}

/**
 * Was the whole run traced because nothing chose a window? The tracer's header says how the window
 * was chosen: `whole` always is; `auto` (no --from/--to) opens at the program's start and is narrowed
 * by its icount_start/icount_stop, each of which leaves a start or stop marker event in the trace.
 */
export function tracedWhole(trace: Trace): boolean {
  const { events } = trace;
  let windowMarkers = false;
  for (let i = 0; i < events.length && !windowMarkers; i++) {
    if (events.kind(i) !== EventKind.marker) continue;
    const kind = MARKER_KIND_CODES[events.flags(i)];
    windowMarkers = kind === 'start' || kind === 'stop';
  }
  return wholeRunTraced(trace.header.window, windowMarkers);
}

/** tracedWhole from the header's window and whether an icount_start or icount_stop marker was seen. */
export function wholeRunTraced(window: TraceHeader['window'], windowMarkers: boolean): boolean {
  if (window === 'whole') return true;
  if (window !== 'auto') return false;
  return !windowMarkers;
}

/**
 * Refuses a run that cannot say anything about the pool: the program never mapped the copy pmfit
 * gave it (so the trace has no pool event and every crash image is the initial one), or mapped it
 * only read-only or privately. Names the files it did open, where the user's real pool often is.
 */
function requirePoolMapped(target: NativeTarget, summary: TracerSummary): void {
  const { readWrite, readOnly, private: privately } = summary.poolMappings;
  if (readWrite > 0) return;
  const program = target.program;
  let what: string;
  let todo: string;
  if (readOnly > 0 || summary.poolOpenedReadOnly) {
    what = readOnly > 0 ? 'mapped the pool copy read-only' : 'opened the pool copy read-only and never mapped it';
    todo = 'open it O_RDWR and map it PROT_READ|PROT_WRITE, MAP_SHARED (as pmem_map_file and pmemobj_open do)';
  } else if (privately > 0) {
    what = 'mapped the pool copy only with MAP_PRIVATE, so its stores never reach the file';
    todo = 'map it MAP_SHARED';
  } else {
    what = 'never mapped the pool copy';
    todo = target.args.some((a) => a.includes('{pool}'))
      ? 'it must mmap the file it is given as {pool}'
      : 'pass {pool} where the program takes its pool file (-- PROGRAM ... {pool})';
  }
  const user = realPath(target.pool);
  const named = summary.opened.map((p) => (realPath(p) === user ? `${p} (your --pool file itself)` : p));
  const opened =
    named.length > 0
      ? `; it opened ${named.join(', ')}${summary.openedMore ? ' and more' : ''}`
      : '; it opened no other file';
  throw new UsageError(`${program} ${what}${opened}: ${todo}`);
}

function realPath(path: string): string | undefined {
  try {
    return realpathSync(path);
  } catch {
    return undefined;
  }
}

/** The notes of a traced run, each said once. */
export function runNotes(target: NativeTarget, summary: TracerSummary): string[] {
  // traced children are told of by icount/child-traces.ts
  if (summary.forks === 0 || target.forks === 'trace') return [];
  const children = summary.forks === 1 ? 'a child process' : `${summary.forks} child processes`;
  return [
    `${target.program} forked ${children}: pmfit traced the parent only; what the children stored into the pool is not in the trace`,
  ];
}

/** The one line for a thread past the tracer's room touching the pool, with its source line when known. */
async function tooManyThreadsMessage(program: string, err: TooManyThreadsError, binary: string): Promise<string> {
  let where = err.pc
    ? ` at pc 0x${err.pc.toString(16)}`
    : ' in a system call (mmap, munmap, msync, or a read into the pool)';
  if (err.pc) {
    const sites = await resolveSites(binary, [err.pc], err.mainBase).catch(() => new Map<number, string>());
    const site = sites.get(err.pc);
    if (site) where = ` at ${isAbsolute(site) ? shortPath(site) : site}`;
  }
  return `a thread of ${program} beyond the 64 that pmfit traces at once touched the pool${where}: run fewer threads at a time`;
}
