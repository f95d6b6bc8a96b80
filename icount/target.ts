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
import { notPassedReason, runCommand, substitutePools, substitutePoolsInWord } from '../core/support/run-command.js';
import { DEFAULT_POOL_NAME, flatImage, layoutOfHeader } from '../core/pool-layout.js';
import { isPoolSet, parsePoolSet, renderPoolSet } from './poolset.js';
import { findProgram } from '../core/support/find-program.js';
import { coalesceInstructionStores } from './coalesce-stores.js';
import { prepareWindowFunctions } from './window-functions.js';
import { codePointerNote } from './code-pointers.js';
import { attributeEvents, shortPath } from './attribution.js';
import { type ChildTrace, type ForksMode, readChildTraces } from './child-traces.js';

/** One pool of the program: `--pool NAME=FILE` (a lone `--pool FILE` is named `pool`). */
export interface NamedPool {
  name: string;
  /** The user's file (read, never written): a pool file, or a poolset (`.set`) naming its parts. */
  path: string;
}

export interface NativeTarget {
  /** The program's pools, in the order given. */
  pools: NamedPool[];
  /** Size of a new pool when a pool file does not exist. */
  size?: number;
  /** Untraced set-up command run on the working copies; `{NAME}` stands for pool NAME's copy. */
  init?: string;
  program: string;
  /** Program arguments; `{NAME}` stands for pool NAME's working copy. */
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

/** How a pool is named on the command line, for messages: `--pool FILE` or `--pool NAME=FILE`. */
export function poolOption(pool: NamedPool): string {
  return pool.name === DEFAULT_POOL_NAME ? `--pool ${pool.path}` : `--pool ${pool.name}=${pool.path}`;
}

/** Validates the target before any work, so bad input fails fast with exit 2. */
export function checkTarget(target: NativeTarget): string {
  if (target.pools.length === 0) throw new UsageError('give the pool with --pool FILE (or --pool NAME=FILE, repeated)');
  for (const pool of target.pools) checkPoolFile(pool, target.size);
  if (target.size !== undefined && (!Number.isInteger(target.size) || target.size <= 0))
    throw new UsageError(`--size must be a positive number of bytes, got ${target.size}`);
  checkUserCode(target.userCode);
  return findProgram(target.program);
}

function checkPoolFile(pool: NamedPool, size: number | undefined): void {
  const option = poolOption(pool);
  requireParentDir(pool.path, '--pool');
  if (existsSync(pool.path)) {
    if (!statSync(pool.path).isFile()) throw new UsageError(`${option} is not a regular file`);
    if (isPoolSet(pool.path)) {
      parsePoolSet(pool.path, option);
      return;
    }
    if (statSync(pool.path).size === 0 && !size)
      throw new UsageError(`${option} is empty: give --size to start from a zeroed pool of that size`);
  } else if (!size) {
    throw new UsageError(`${option} does not exist: give --size BYTES to start from a new zeroed pool`);
  }
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

/** The program's private copies of its pools, as it and the tracer see them. */
export interface WorkingPools {
  /** What `{NAME}` stands for: each pool's copy (a poolset: its private `.set` file). */
  byName: Map<string, string>;
  /** The files the tracer follows, in pool-id order: each pool's file, or each part of a poolset. */
  files: WorkingFile[];
}

export interface WorkingFile {
  pool: string;
  /** The part's index in its poolset. */
  part?: number;
  path: string;
  /** A poolset part's declared size (its file may not exist yet: libpmemobj creates it). */
  declaredSize?: number;
  /** Part 0 of a poolset: the set's lines before its parts (PMEMPOOLSET, OPTION ...). */
  setHead?: string[];
}

/**
 * Copies (or creates) each pool's working copy in `dir` — a poolset part by part, with a private
 * `.set` naming the copies — and runs `--init` on them.
 */
export async function prepareWorkingPool(target: NativeTarget, dir: string, timeoutMs: number): Promise<WorkingPools> {
  const working: WorkingPools = { byName: new Map(), files: [] };
  for (const pool of target.pools) {
    // the one default pool keeps the copy's old name: outputs that show it stay as they were
    const copy = join(dir, pool.name === DEFAULT_POOL_NAME ? 'pool' : `pool-${pool.name}`);
    if (existsSync(pool.path) && isPoolSet(pool.path)) {
      const set = parsePoolSet(pool.path, poolOption(pool));
      const parts = set.parts.map((_, i) => `${copy}.part${i}`);
      set.parts.forEach((part, i) => {
        if (existsSync(part.path)) copyFileSync(part.path, parts[i]!);
        working.files.push({
          pool: pool.name,
          part: i,
          path: parts[i]!,
          declaredSize: part.size,
          ...(i === 0 ? { setHead: set.head } : {}),
        });
      });
      writeFileSync(`${copy}.set`, renderPoolSet(set, parts));
      working.byName.set(pool.name, `${copy}.set`);
      continue;
    }
    if (existsSync(pool.path) && statSync(pool.path).size > 0) copyFileSync(pool.path, copy);
    else writeFileSync(copy, Buffer.alloc(target.size!));
    working.files.push({ pool: pool.name, path: copy });
    working.byName.set(pool.name, copy);
  }
  if (target.init) {
    const outcome = await runCommand(substitutePools(target.init, working.byName), {
      timeoutMs: Math.max(timeoutMs, 60_000),
      env: { ...NATIVE_ENV, ...target.env },
    });
    if (outcome.kind !== 'passed') {
      throw new UsageError(`--init ${notPassedReason(outcome)}`);
    }
  }
  return working;
}

/** What each followed file holds now (a poolset part not created yet: nothing). */
function readWorkingFiles(working: WorkingPools): Buffer[] {
  return working.files.map((file) => (existsSync(file.path) ? readFileSync(file.path) : Buffer.alloc(0)));
}

/**
 * Names the trace's pools after the program's and makes one flat image space of them
 * (core/pool-layout.ts): each file's size is the largest it had (before, after, declared), and a
 * trace of several files has its events moved to their file's base. Returns the flat initial image.
 */
function layOutTrace(trace: Trace, working: WorkingPools, before: Buffer[]): Buffer {
  // one plain pool file: the trace and its image are the file's own, as they always were
  const plain = working.files.length === 1 && working.files[0]!.part === undefined;
  trace.header.pools = working.files.map((file, i) => {
    const traced = trace.header.pools[i];
    return {
      ...(traced ?? { path: file.path }),
      id: i,
      size: Math.max(before[i]!.length, traced?.size ?? 0, file.declaredSize ?? 0),
      ...(plain && file.pool === DEFAULT_POOL_NAME ? {} : { name: file.pool }),
      ...(file.part !== undefined ? { part: file.part } : {}),
      ...(file.setHead ? { setHead: file.setHead } : {}),
    };
  });
  if (plain) return before[0]!;
  const layout = layoutOfHeader(trace.header);
  if (layout.files.length > 1) trace.events.flattenPools(layout.files.map((f) => f.base));
  return flatImage(layout, before);
}

/** Runs the program once under the tracer on the working pool and reads back its trace. */
export async function traceTarget(
  target: NativeTarget,
  binary: string,
  working: WorkingPools,
  dir: string,
): Promise<TracedTarget> {
  const before = readWorkingFiles(working);
  const { out, summary } = await runTraced(target, binary, working, dir);
  const trace = await readAttributedTrace(out, binary);
  const initial = layOutTrace(trace, working, before);
  const pointer = await codePointerNote(trace, binary, target.program);
  const forked =
    target.forks === 'trace'
      ? await readChildTraces(out, binary, target.program, (t, images) => layOutTrace(t, working, images))
      : undefined;
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
  working: WorkingPools,
  dir: string,
): Promise<{ out: string; summary: TracerSummary }> {
  const inlined = await prepareWindowFunctions(binary, target, dir);
  const out = join(dir, 'trace.pmtrace');
  let result: TraceNativeResult;
  try {
    result = await traceNative({
      pools: working.files.map((file) => file.path),
      program: binary,
      args: target.args.map((a) => substitutePoolsInWord(a, working.byName)),
      out,
      env: { ...NATIVE_ENV, ...target.env },
      ...(target.from ? { from: target.from } : {}),
      ...(target.to ? { to: target.to } : {}),
      ...(target.opsBetween ? { ops: target.opsBetween } : {}),
      ...(inlined ? { inlined } : {}),
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
  requirePoolsMapped(target, working, result.summary);
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
 * Refuses a run that cannot say anything about a pool: the program never mapped the copy pmfit gave
 * it (so the trace has no event of it and every crash image holds its initial content), or mapped
 * it only read-only or privately. Names the files it did open, where the user's real pool often is.
 * A poolset is mapped when any of its parts is.
 */
function requirePoolsMapped(target: NativeTarget, working: WorkingPools, summary: TracerSummary): void {
  const uses = summary.pools ?? [{ ...summary.poolMappings, openedReadOnly: summary.poolOpenedReadOnly }];
  for (const pool of target.pools) {
    const ids = working.files.flatMap((file, i) => (file.pool === pool.name ? [i] : []));
    const use = ids.map((i) => uses[i] ?? { readWrite: 0, readOnly: 0, private: 0, openedReadOnly: false });
    if (use.some((u) => u.readWrite > 0)) continue;
    refuseUnmapped(
      target,
      pool,
      {
        readOnly: use.some((u) => u.readOnly > 0),
        openedReadOnly: use.some((u) => u.openedReadOnly),
        privately: use.some((u) => u.private > 0),
      },
      summary,
    );
  }
}

function refuseUnmapped(
  target: NativeTarget,
  pool: NamedPool,
  use: { readOnly: boolean; openedReadOnly: boolean; privately: boolean },
  summary: TracerSummary,
): never {
  const program = target.program;
  const several = target.pools.length > 1 || pool.name !== DEFAULT_POOL_NAME;
  const copy = several ? `the copy of pool ${pool.name}` : 'the pool copy';
  const placeholder = `{${pool.name}}`;
  let what: string;
  let todo: string;
  if (use.readOnly || use.openedReadOnly) {
    what = use.readOnly ? `mapped ${copy} read-only` : `opened ${copy} read-only and never mapped it`;
    todo = 'open it O_RDWR and map it PROT_READ|PROT_WRITE, MAP_SHARED (as pmem_map_file and pmemobj_open do)';
  } else if (use.privately) {
    what = `mapped ${copy} only with MAP_PRIVATE, so its stores never reach the file`;
    todo = 'map it MAP_SHARED';
  } else {
    what = `never mapped ${copy}`;
    todo = target.args.some((a) => a.includes(placeholder))
      ? `it must mmap the file it is given as ${placeholder}`
      : `pass ${placeholder} where the program takes ${several ? 'that' : 'its'} pool file (-- PROGRAM ... ${placeholder})`;
  }
  const user = realPath(pool.path);
  const named = summary.opened.map((p) =>
    realPath(p) === user ? `${p} (your ${several ? `pool ${pool.name}` : '--pool'} file itself)` : p,
  );
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
