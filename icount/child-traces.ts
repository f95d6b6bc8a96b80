// Forked children's traces (issue 11, forks). With forks=trace the tracer gives each child process the
// traced program forks a trace of its own beside the parent's (icount/plugin/tracer-fork.c):
// OUT.child-K, K = 1, 2, … in the order the parent forked them, with OUT.child-K.summary.json and
// OUT.child-K.imgN, each pool file N as the child found it at the fork (its initial image); a child's own
// children are OUT.child-K.child-J. This module finds those files, reads each trace like the parent's,
// and says which children are checked as results of their own and what became of the others.
import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { Trace } from '../core/api.js';
import type { TracerSummary } from './driver.js';
import { type TracedTarget, readAttributedTrace } from './target.js';

/** What a forked child does under the tracer: `trace` itself into its own trace, or `ignore` it. */
export type ForksMode = 'trace' | 'ignore';

/** One child's files, found beside the parent's trace. */
export interface ChildTraceFile {
  /** Its place among the processes: [2] the parent's second child, [2, 1] that child's first. */
  path: number[];
  file: string;
  /** Its summary; absent when the child never finished (killed, or still running at the end). */
  summary?: TracerSummary;
}

/** A child whose trace is checked as its own result. */
export interface ChildTrace {
  path: number[];
  /** `child process 2`, `child process 2.1`: what its result's name and notes call it. */
  label: string;
  traced: TracedTarget;
}

/** The children of one traced run: the ones checked, and the notes the parent's result carries. */
export interface ForkedChildren {
  checked: ChildTrace[];
  notes: string[];
}

/** The children's trace files of the trace `out`, grandchildren included, each after its parent. */
export function childTraceFiles(out: string, path: number[] = []): ChildTraceFile[] {
  const dir = dirname(out);
  const pattern = new RegExp(`^${escapeRegExp(basename(out))}\\.child-([1-9][0-9]*)$`);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const children = names
    .map((name) => ({ name, k: Number(pattern.exec(name)?.[1] ?? 0) }))
    .filter((c) => c.k > 0)
    .sort((a, b) => a.k - b.k);
  return children.flatMap(({ name, k }) => {
    const file = join(dir, name);
    const summary = readSummary(`${file}.summary.json`);
    const own: ChildTraceFile = { path: [...path, k], file, ...(summary ? { summary } : {}) };
    return [own, ...childTraceFiles(file, own.path)];
  });
}

/** Removes every file a child of the trace `out` left (its trace, summary, image, its own children's). */
export function removeChildTraces(out: string): void {
  const prefix = `${basename(out)}.child-`;
  let names: string[];
  try {
    names = readdirSync(dirname(out));
  } catch {
    return;
  }
  for (const name of names) if (name.startsWith(prefix)) rmSync(join(dirname(out), name), { force: true });
}

/**
 * Reads the children's traces the run of `program` left beside `out`. A child that stored into the
 * pool and finished is checked as its own trace from its own initial image; one that stored nothing
 * adds no result; one whose trace is not whole is named in a note, unchecked.
 */
export async function readChildTraces(
  out: string,
  binary: string,
  program: string,
  /** Names the trace's pools and lays them out as the parent's (target.ts): the flat initial image. */
  layOut: (trace: Trace, before: Buffer[]) => Buffer,
): Promise<ForkedChildren> {
  const files = childTraceFiles(out);
  if (files.length === 0) return { checked: [], notes: [] };
  const checked: ChildTrace[] = [];
  const notes: string[] = [];
  for (const child of files) {
    const label = `child process ${child.path.join('.')}`;
    const unusable = unusableReason(child.summary);
    if (unusable) {
      notes.push(`${label} of ${program} ${unusable}: its trace is not whole and was not checked`);
      continue;
    }
    if (!storedIntoPool(child.summary!)) continue;
    const trace = await readAttributedTrace(child.file, binary);
    const images = initialImagesOf(trace, child.file);
    const initial = images ? layOut(trace, images) : undefined;
    if (!initial) {
      notes.push(`${label} of ${program} left no initial image: its trace was not checked`);
      continue;
    }
    checked.push({
      path: child.path,
      label,
      traced: { trace, initial, summary: child.summary!, binary, notes: [childNote(label, program, child)] },
    });
  }
  notes.unshift(forkNote(program, files, checked.length));
  return { checked, notes };
}

/**
 * The traces a replay id may come from, the parent's first: a child's finding prints the same
 * replay command as the parent's, and its id's trace digest tells which trace it names.
 */
export function replayableTraces(
  traced: TracedTarget & { children?: ChildTrace[] },
): { trace: Trace; initial: Buffer; label?: string }[] {
  return [
    { trace: traced.trace, initial: traced.initial },
    ...(traced.children ?? []).map((c) => ({ trace: c.traced.trace, initial: c.traced.initial, label: c.label })),
  ];
}

/** The parent's note: how many children there were and which of them were checked. */
function forkNote(program: string, files: ChildTraceFile[], checked: number): string {
  const nested = files.some((f) => f.path.length > 1) ? ' (their own children included)' : '';
  if (files.length === 1)
    return checked === 1
      ? `${program} forked a child process; it stored into the pool and was checked as its own trace (from the pool as it was at the fork)`
      : `${program} forked a child process; it stored nothing into the pool, so it has no result of its own`;
  const stored = checked === 0 ? 'none' : checked === files.length ? 'all' : String(checked);
  return `${program} forked ${files.length} child processes${nested}; ${stored} stored into the pool, each checked as its own trace (from the pool as it was at its fork)`;
}

/** What a child's result says about the process it is. */
function childNote(label: string, program: string, child: ChildTraceFile): string {
  const k = child.path[child.path.length - 1]!;
  const parent = child.path.length === 1 ? program : `child process ${child.path.slice(0, -1).join('.')}`;
  const summary = child.summary!;
  const end =
    summary.exitReason === 'exec'
      ? 'until it called exec'
      : summary.exitCode !== null && summary.exitCode !== 0
        ? `until it exited with status ${summary.exitCode}`
        : 'until it exited';
  return `${label}: the ${ordinal(k)} process ${parent} forked, traced on its own from the pool as it was at the fork ${end}`;
}

/** Why a child's trace cannot be checked, or undefined when it can. */
function unusableReason(summary: TracerSummary | undefined): string | undefined {
  if (!summary) return 'did not finish (killed, or still running when the program ended)';
  if (summary.writeFailed) return 'could not write its trace';
  if (summary.exitReason === 'too-many-threads') return 'ran more than the 64 threads the tracer follows at once';
  if (summary.exitReason === 'unknown') return 'ended without exiting (a signal)';
  return undefined;
}

function storedIntoPool(summary: TracerSummary): boolean {
  return summary.stores + (summary.syscallStores ?? 0) > 0;
}

/**
 * The child's initial image of each pool file: the files its header names, beside its trace (a pool
 * file the program had not created by the fork has an empty one); undefined when there are none.
 */
function initialImagesOf(trace: Trace, file: string): Buffer[] | undefined {
  const names = trace.header.pools.map((p) => p.initialImage?.file);
  if (names.length === 0 || names.some((n) => !n)) return undefined;
  const paths = names.map((name) => join(dirname(file), name!));
  if (!existsSync(paths[0]!)) return undefined;
  return paths.map((path) => (existsSync(path) ? readFileSync(path) : Buffer.alloc(0)));
}

function readSummary(path: string): TracerSummary | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as TracerSummary;
  } catch {
    return undefined;
  }
}

function ordinal(n: number): string {
  const tens = n % 100;
  const suffix = tens >= 11 && tens <= 13 ? 'th' : (['th', 'st', 'nd', 'rd'][n % 10] ?? 'th');
  return `${n}${suffix}`;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
