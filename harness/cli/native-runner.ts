// Crash-tests a native program: trace it once (or `runs` times, keeping each distinct trace: a
// threaded program may interleave differently each run), then run the check command on every
// distinct crash image of each model, for each trace. Shared by `pmfit check`, `pmfit allcounts`
// and the native built-in scenarios.
import { copyFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { writeTrace } from '../../core/trace/writer.js';
import type { ModelName, OracleName, ScenarioResult } from '../../core/api.js';
import { runEngineWithLog } from '../judge/judge-run.js';
import { traceDigest } from '../engine/replay-id.js';
import { saveFailures } from '../judge/saved-failures.js';
import { withLints } from '../judge/lints.js';
import { ExternalCheckPool, type ExternalCheckOptions } from '../check/external-pool.js';
import { DEFAULT_FORKSERVER_LIBRARY, ForkServerCheckPool, forkServerSupport } from '../check/fork-server/client.js';
import type { Checker } from '../../core/api.js';
import type { Progress } from '../engine/engine.js';
import { type CheckSettings, DEFAULTS, modelSettings } from './options.js';
import {
  NATIVE_ENV,
  checkTarget,
  prepareWorkingPool,
  traceTarget,
  type NativeTarget,
  type TracedTarget,
} from '../../icount/target.js';
import { makeTempDir, removeTempDir } from '../../core/support/temp-dir.js';
import { layoutOfHeader } from '../../core/pool-layout.js';

export interface NativeCheckOptions extends CheckSettings {
  name: string;
  check: string;
  oracle: OracleName;
  models: ModelName[];
  onProgress?(progress: Progress): void;
  /** Keep a copy of the trace (with resolved sites) in this new file. */
  saveTrace?: string;
  /** Trace the program this many times (default 1) and check each distinct trace. */
  runs?: number;
  /** The one command that rebuilds and re-checks the image with this replay id. */
  replayCommand(replayId: string): string;
}

export interface NativeRun {
  traced: TracedTarget;
  results: ScenarioResult[];
}

/** One distinct trace of the program, and how many of the runs traced it. */
interface Interleaving {
  traced: TracedTarget;
  runs: number;
}

/**
 * Traces the program `runs` times, each on a fresh copy of the pool (--init again), and keeps the
 * distinct traces in the order first seen: two runs differ when their events' order, threads or
 * shape differ (the replay ids' trace digest), not when only instruction counts or bytes do.
 */
async function traceRuns(
  target: NativeTarget,
  binary: string,
  dir: string,
  options: NativeCheckOptions,
): Promise<Interleaving[]> {
  const seen = new Map<string, Interleaving>();
  for (let run = 0; run < (options.runs ?? 1); run++) {
    const working = await prepareWorkingPool(target, dir, options.timeoutMs);
    const traced = await traceTarget(target, binary, working, dir);
    options.log?.debug(
      { program: target.program, events: traced.trace.events.length, instructions: traced.summary.instructions },
      'traced the snippet',
    );
    const digest = traceDigest(traced.trace);
    const known = seen.get(digest);
    if (known) known.runs++;
    else seen.set(digest, { traced, runs: 1 });
  }
  return [...seen.values()];
}

/** What a result of interleaving `k` (0-based) of several says about it, and the first says of all. */
function interleavingNotes(all: readonly Interleaving[], k: number, runs: number, first: boolean): string[] {
  if (runs <= 1) return [];
  const notes = first
    ? [
        `traced ${runs} times: ${all.length} distinct interleaving${all.length === 1 ? '' : 's'} (traces differing in the order, threads or shape of their events), each checked`,
      ]
    : [];
  if (all.length > 1)
    notes.push(`interleaving ${k + 1} of ${all.length}: ${all[k]!.runs} of the ${runs} runs traced it`);
  return notes;
}

export async function checkNative(target: NativeTarget, options: NativeCheckOptions): Promise<NativeRun> {
  const binary = checkTarget(target);
  const dir = makeTempDir();
  try {
    const interleavings = await traceRuns(target, binary, dir, options);
    const results: ScenarioResult[] = [];
    for (let k = 0; k < interleavings.length; k++) {
      const name =
        interleavings.length > 1 ? `${options.name} [interleaving ${k + 1}/${interleavings.length}]` : options.name;
      const checked = await checkTrace(interleavings[k]!.traced, target, dir, { ...options, name });
      // each forked child that stored into the pool: its own trace, its own results (child-traces.ts)
      const { saveTrace: _parentOnly, ...childOptions } = options;
      for (const child of interleavings[k]!.traced.children ?? [])
        checked.push(
          ...(await checkTrace(child.traced, target, dir, { ...childOptions, name: `${name} [${child.label}]` })),
        );
      checked.forEach((r, i) =>
        results.push({
          ...r,
          notes: [...(r.notes ?? []), ...interleavingNotes(interleavings, k, options.runs ?? 1, k === 0 && i === 0)],
        }),
      );
    }
    return { traced: interleavings[0]!.traced, results };
  } finally {
    removeTempDir(dir);
  }
}

/** Every model's results on one trace of the program. */
async function checkTrace(
  traced: TracedTarget,
  target: NativeTarget,
  dir: string,
  options: NativeCheckOptions,
): Promise<ScenarioResult[]> {
  if (options.saveTrace)
    writeTrace(
      options.saveTrace,
      traced.trace.header,
      traced.trace.events,
      traced.trace.mappings,
      traced.trace.objects,
    );
  const { checker, note } = externalChecker({
    command: options.check,
    jobs: options.jobs,
    timeoutMs: options.timeoutMs,
    dir,
    env: { ...NATIVE_ENV, ...target.env },
    layout: layoutOfHeader(traced.trace.header),
  });
  options.log?.debug({ note }, 'how checks run');
  const results: ScenarioResult[] = [];
  for (const model of options.models) {
    const { result, log } = await runEngineWithLog({
      scenario: options.name,
      trace: traced.trace,
      initial: traced.initial,
      ...modelSettings(options, model),
      oracle: options.oracle,
      checker,
      replayCommand: options.replayCommand,
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    });
    results.push(result);
    if (options.saveFailures && result.findings.length > 0) {
      saveFailures(result.findings, {
        dir: options.saveFailures,
        trace: traced.trace,
        initial: traced.initial,
        log,
        check: { kind: 'command', command: options.check },
      });
    }
  }
  await checker.close();
  return results.map((r, i) => ({
    ...withLints(r, options.lint ?? DEFAULTS.lint),
    // the trace is the same for every model: a note about how it was chosen is said once
    notes: [
      ...(r.notes ?? []),
      ...traced.notes,
      ...(i === 0 && traced.wholeRunNote ? [traced.wholeRunNote] : []),
      note,
    ],
  }));
}

/**
 * The fork server when the check command is a plain dynamically linked program (a check costs a
 * fork, not an exec); plain spawning otherwise, with the reason in the report.
 */
export function externalChecker(options: ExternalCheckOptions): { checker: Checker; note: string } {
  const support = forkServerSupport(options.command);
  if (support.ok) {
    try {
      const library = preloadableLibrary(options.dir);
      if (!library)
        return {
          checker: new ExternalCheckPool(options),
          note: 'checks ran by plain spawning: the fork server library path has a space or colon, which LD_PRELOAD cannot carry',
        };
      return { checker: new ForkServerCheckPool({ ...options, library }), note: 'checks ran through the fork server' };
    } catch (err) {
      return {
        checker: new ExternalCheckPool(options),
        note: `checks ran by plain spawning: ${(err as Error).message}`,
      };
    }
  }
  return { checker: new ExternalCheckPool(options), note: `checks ran by plain spawning: ${support.reason}` };
}

/**
 * The fork server library at a path LD_PRELOAD can carry: it splits at spaces and colons, so from
 * a checkout or cache whose path has one, a copy in the run's private directory is used.
 */
function preloadableLibrary(dir: string): string | undefined {
  const unsafe = /[\s:]/;
  if (!unsafe.test(DEFAULT_FORKSERVER_LIBRARY)) return DEFAULT_FORKSERVER_LIBRARY;
  const copy = join(dir, basename(DEFAULT_FORKSERVER_LIBRARY));
  if (unsafe.test(copy)) return undefined;
  copyFileSync(DEFAULT_FORKSERVER_LIBRARY, copy);
  return copy;
}
