// Replay, the one path every `pmfit replay` takes — a built-in or file TS scenario, a native scenario,
// `pmfit check --replay`, and a saved failure: get the trace (record or trace the program), check the
// id against it, rebuild the image with the engine's own image builder, run the check once, judge it
// with the run's oracle, and return what happened as data (reports/replay-report.ts words it).
// It sits in the judge because it is the first stage that may use all of them: the engine (images),
// the checkers, and the oracles; the CLI only parses arguments and prints.
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type {
  CheckOutcome,
  Checker,
  EventRef,
  LostStore,
  ModelName,
  OracleName,
  Trace,
  Verdict,
} from '../../core/api.js';
import { UsageError, requireNewFile } from '../../core/support/errors.js';
import { makeTempDir, removeTempDir } from '../../core/support/temp-dir.js';
import { loadScenario, recordScenario } from '../../icount/ts-record.js';
import { NATIVE_ENV, type NativeTarget, checkTarget, prepareWorkingPool, traceTarget } from '../../icount/target.js';
import { replayableTraces } from '../../icount/child-traces.js';
import type { ScenarioEntry } from '../../scenarios/index.js';
import { ExternalCheckPool } from '../check/external-pool.js';
import { TsCheckPool } from '../check/ts-pool.js';
import { crashPointAt, eventRef } from '../engine/crash-points.js';
import { oracleReference } from '../engine/engine.js';
import {
  ChoiceMismatch,
  type RebuiltImage,
  rebuildImage,
  rebuildImages,
  storesOf,
} from '../engine/model/image-builder.js';
import { hashImage, paddedImage } from '../engine/model/image-hash.js';
import { PersistencyTracker } from '../engine/model/persistency-tracker.js';
import { allowedBoundaries, operationBoundaries } from '../engine/ops-boundaries.js';
import { parseReplayId, requireModel, resolveNamedLines, traceDigest } from '../engine/replay-id.js';
import {
  type PoolLayout,
  fileImage,
  isMultiFile,
  isSplit,
  layoutOfHeader,
  poolSetTexts,
} from '../../core/pool-layout.js';
import { type OracleReference, judge } from './oracle.js';
import type { SavedCheck, SavedFailure } from './saved-failures.js';
import { eventInFile, storesInFiles } from './pool-files.js';
import { findScenario } from '../../scenarios/index.js';
import { loadScenarioFile } from '../../scenarios/load/file.js';

/** What to replay an id on. */
export type ReplaySubject =
  | { kind: 'ts'; entry: ScenarioEntry }
  | { kind: 'native'; target: NativeTarget; check: string; oracle: OracleName; models: readonly ModelName[] };

export interface ReplayRequest {
  id: string;
  /** The name reports use: the scenario, or the program. */
  subject: string;
  on: ReplaySubject;
  /** Replay even when the id's trace digest differs from this trace's. */
  anyTrace?: boolean;
  /** Write the rebuilt image to this new file. */
  out?: string;
  timeoutMs: number;
}

/** How the id's trace digest compared with the trace replayed on. */
export type TraceMatch =
  | { kind: 'same'; digest: string }
  | { kind: 'unchecked'; digest: string }
  | { kind: 'different'; digest: string; idDigest: string };

/** One replayed id, as data. */
export interface ReplayRecord {
  id: string;
  subject: string;
  model: ModelName;
  oracle: OracleName;
  crashPoint: number;
  icountFrom: number;
  icountTo: number;
  lastEvent?: EventRef;
  kept: LostStore[];
  lost: LostStore[];
  trace: TraceMatch;
  out?: string;
  output: string;
  verdict: Verdict;
}

interface Acquired {
  trace: Trace;
  initial: Buffer;
  checker: Checker;
  oracle: OracleName;
  models: readonly ModelName[];
  /** The forked child whose trace the id names (`child process 2`), when not the program's own. */
  child?: string;
}

export async function replayId(request: ReplayRequest): Promise<ReplayRecord> {
  const parsed = parseReplayId(request.id);
  if (request.out) requireNewFile(request.out, '--out');
  // A native command's models are known before tracing it: refuse early, trace nothing.
  if (request.on.kind === 'native') requireModel(parsed, request.on.models, request.subject);
  const dir = makeTempDir();
  let acquired: Acquired | undefined;
  try {
    acquired = await acquire(request, dir, parsed.digest);
    const { trace, initial, checker, oracle } = acquired;
    const layout = layoutOfHeader(trace.header);
    const choice = resolveNamedLines(parsed, layout, request.id);
    if (parsed.named && !isMultiFile(layout))
      throw new UsageError(
        `replay id ${request.id} names pool files, but ${request.subject} has one pool: give its lines as LINE:KEPT`,
      );
    requireModel(choice, acquired.models, request.subject);
    const match = compareDigest(request, choice.digest, trace);
    let rebuilt: RebuiltImage;
    try {
      rebuilt = rebuildImage(trace, initial, choice);
    } catch (err) {
      if (err instanceof ChoiceMismatch)
        throw new UsageError(`replay id ${request.id} does not fit ${request.subject}'s trace: ${err.message}`);
      throw err;
    }
    const written = request.out ? writeImage(request.out, rebuilt.image, layout) : [];
    const outcome = await checker.check(Buffer.from(rebuilt.image));
    const verdict = judge(oracle, outcome, await referenceAt(oracle, trace, initial, checker, choice.point));
    const point = crashPointAt(trace.events, choice.point);
    return {
      id: request.id,
      subject: acquired.child ? `${request.subject} [${acquired.child}]` : request.subject,
      model: choice.model,
      oracle,
      crashPoint: point.index,
      icountFrom: point.icountFrom,
      icountTo: point.icountTo,
      ...(point.lastEvent ? { lastEvent: eventInFile(eventRef(point.lastEvent), layout) } : {}),
      kept: storesInFiles(storesOf(rebuilt.kept, trace), layout),
      lost: storesInFiles(storesOf(rebuilt.lost, trace), layout),
      trace: match,
      ...(request.out ? { out: written.join(', ') } : {}),
      output: outcome.output,
      verdict,
    };
  } finally {
    await acquired?.checker.close();
    removeTempDir(dir);
  }
}

/** An id from another trace replays only with --any-trace, and the record says so either way. */
function compareDigest(request: ReplayRequest, idDigest: string | undefined, trace: Trace): TraceMatch {
  const digest = traceDigest(trace);
  if (idDigest === undefined) return { kind: 'unchecked', digest };
  if (idDigest.slice(0, digest.length) === digest) return { kind: 'same', digest };
  const why = isThreaded(trace)
    ? `none of ${INTERLEAVING_TRIES} runs of its threads interleaved as the one the id came from, or the program changed`
    : 'the program or scenario changed since the id was printed';
  if (!request.anyTrace)
    throw new UsageError(
      `replay id ${request.id} comes from a trace with digest ${idDigest}, but ${request.subject}'s trace now has ${digest}: ${why}, so it would name another image (run again for a current id, or give --any-trace to replay crash point and lines anyway)`,
    );
  return { kind: 'different', digest, idDigest };
}

/** A trace with events of more than one thread. */
function isThreaded(trace: Trace): boolean {
  return trace.events.hasThreads;
}

/**
 * A threaded program may interleave differently each run: its replay traces it again, up to this
 * many times in all, until the trace is the one the id came from.
 */
const INTERLEAVING_TRIES = 20;

/**
 * Records (TS) or traces (native) the subject once — a threaded native program until its trace has
 * the id's digest (INTERLEAVING_TRIES) — and the checker its images go to.
 */
async function acquire(request: ReplayRequest, dir: string, idDigest: string | undefined): Promise<Acquired> {
  const on = request.on;
  if (on.kind === 'ts') {
    const scenario = await loadScenario(on.entry);
    const { trace, initial } = recordScenario(scenario, dir);
    const checker = new TsCheckPool({
      scenarioModule: on.entry.module,
      exportName: on.entry.exportName,
      jobs: 1,
      timeoutMs: request.timeoutMs,
    });
    // `pmfit run NAME --model M` runs any model on any scenario: both are the scenario's.
    return { trace, initial, checker, oracle: scenario.oracle, models: ['adr', 'eadr'] };
  }
  const binary = checkTarget(on.target);
  const traceOnce = async () =>
    traceTarget(on.target, binary, await prepareWorkingPool(on.target, dir, request.timeoutMs), dir);
  let traced = await traceOnce();
  const other = (t: Trace) => idDigest !== undefined && idDigest.slice(0, traceDigest(t).length) !== traceDigest(t);
  // the program's own trace or a forked child's (icount/child-traces.ts): the one with the id's digest
  const named = () => replayableTraces(traced).find((c) => !other(c.trace));
  for (let tries = 1; tries < INTERLEAVING_TRIES && isThreaded(traced.trace) && !named(); tries++)
    traced = await traceOnce();
  const { trace, initial, label } = named() ?? replayableTraces(traced)[0]!;
  const checker = new ExternalCheckPool({
    command: on.check,
    jobs: 1,
    timeoutMs: request.timeoutMs,
    dir,
    env: { ...NATIVE_ENV, ...on.target.env },
    layout: layoutOfHeader(trace.header),
  });
  return { trace, initial, checker, oracle: on.oracle, models: on.models, ...(label ? { child: label } : {}) };
}

/**
 * Writes the rebuilt image to `out`; with several pool files, one file per pool file, `OUT.NAME`
 * (a poolset also gets `OUT.NAME.set` naming its parts, so it opens as the pool). Returns the paths.
 */
function writeImage(out: string, image: Uint8Array, layout: PoolLayout): string[] {
  if (!isSplit(layout)) {
    writeFileSync(out, image);
    return [out];
  }
  const files = layout.files.map((file) => ({ path: `${out}.${file.name}`, bytes: fileImage(image, file) }));
  const sets = [...poolSetTexts(layout, (file) => resolve(`${out}.${file.name}`))].map(([pool, text]) => ({
    path: `${out}.${pool}.set`,
    bytes: text,
  }));
  for (const { path, bytes } of [...files, ...sets]) {
    requireNewFile(path, '--out');
    writeFileSync(path, bytes, { flag: 'wx' });
  }
  return [...files, ...sets].map((f) => f.path);
}

/** What the oracle compares with at this crash point, computed as the run computed it. */
async function referenceAt(
  oracle: OracleName,
  trace: Trace,
  initial: Buffer,
  checker: Checker,
  point: number,
): Promise<OracleReference> {
  if (oracle === 'atomic') return oracleReference(oracle, trace, initial, checker);
  if (oracle !== 'ops') return {};
  const boundaries = operationBoundaries(trace.events);
  const padded = paddedImage(initial);
  const tracker = new PersistencyTracker(padded, hashImage(padded));
  for (let i = 0; i < point; i++) tracker.applyAt(trace.events, i);
  const [from, to] = allowedBoundaries(boundaries, point, tracker);
  const images = rebuildImages(
    trace,
    initial,
    boundaries.slice(from, to + 1).map((b) => ({ model: 'eadr' as const, point: b, kept: new Map() })),
  );
  const outcomes = await Promise.all(images.map((r) => checker.check(r.image)));
  return { allowed: outcomes.map((o) => o.output) };
}

// ---------------------------------------------------------------- saved failures

/** One replayed saved failure, as data. */
export interface SavedReplayRecord {
  path: string;
  saved: SavedFailure;
  output: string;
  verdict: Verdict;
}

/** Re-runs a saved failure's check on its stored image (no tracing) and judges it as the run did. */
export async function replaySaved(
  path: string,
  saved: SavedFailure,
  image: Buffer,
  timeoutMs: number,
): Promise<SavedReplayRecord> {
  const outcome = await runSavedCheck(saved, image, timeoutMs);
  const reference: OracleReference =
    saved.oracle === 'atomic'
      ? { before: saved.accepted[0] ?? '', after: saved.accepted[1] ?? '' }
      : saved.oracle === 'ops'
        ? { allowed: saved.accepted }
        : {};
  return { path, saved, output: outcome.output, verdict: judge(saved.oracle, outcome, reference) };
}

async function runSavedCheck(saved: SavedFailure, image: Buffer, timeoutMs: number): Promise<CheckOutcome> {
  const dir = makeTempDir();
  const checker: Checker =
    saved.check.kind === 'command'
      ? new ExternalCheckPool({
          command: saved.check.command,
          jobs: 1,
          timeoutMs,
          dir,
          env: NATIVE_ENV,
          ...(saved.layout ? { layout: saved.layout } : {}),
        })
      : await (async () => {
          const entry = await savedEntry(saved.check as Extract<SavedCheck, { kind: 'ts' }>);
          return new TsCheckPool({ scenarioModule: entry.module, exportName: entry.exportName, jobs: 1, timeoutMs });
        })();
  try {
    return await checker.check(image);
  } finally {
    await checker.close();
    removeTempDir(dir);
  }
}

/**
 * The TS scenario a saved check names: a built-in by name (the checkout may sit elsewhere), a
 * scenario file loaded again (a .ts one was transpiled into a temporary directory that is gone).
 */
async function savedEntry(check: Extract<SavedCheck, { kind: 'ts' }>): Promise<ScenarioEntry> {
  if (check.file) {
    const entry = await loadScenarioFile(check.file);
    if (entry.kind === 'native-file')
      throw new UsageError(`${check.file} now holds a native scenario, not the TS scenario the failure was saved from`);
    return entry;
  }
  const builtIn = findScenario(check.scenario);
  return builtIn && builtIn.kind !== 'native'
    ? builtIn
    : { name: check.scenario, module: check.module, exportName: check.exportName };
}
