// The crash-state engine: walks a trace, asks the strategy which images each crash point can
// leave, checks every distinct image once (deduplicated by digest), and records what it saw in a
// RunLog that the judge (harness/judge/judge-run.ts) turns into verdicts, findings and output groups. Deterministic: the log
// depends only on the trace, the initial image, the model, the strategy and the seed.
import type { Checker, ModelName, OracleName, PointRecord, RunLog, StrategyName, Trace } from '../../core/api.js';
import type { EventTable } from '../../core/trace/event-table.js';
import { finalIcount, icountRange } from './crash-points.js';
import { UsageError } from '../../core/support/errors.js';
import { notPassedReason } from '../../core/support/run-command.js';
import { rebuildImages } from './model/image-builder.js';
import { ImageTable } from './image-table.js';
import { hashImage, paddedImage } from './model/image-hash.js';
import { LineJournal } from './model/line-journal.js';
import { PersistencyTracker } from './model/persistency-tracker.js';
import { LINE_BYTES } from './model/units.js';
import { operationBoundaries, allowedBoundaries } from './ops-boundaries.js';
import { perfFindings } from './perf-rules.js';
import { PointTable } from './point-table.js';
import { defaultStrategy, strategyFor, type CandidateImage, type StrategySettings } from './strategies.js';

export interface Shard {
  /** 1-based. */
  index: number;
  count: number;
}

export interface Progress {
  pointsDone: number;
  pointsTotal: number;
  images: number;
  distinct: number;
  /** Images checked so far whose check did not pass. */
  failing: number;
}

export interface EngineInput {
  scenario: string;
  trace: Trace;
  /** The pool before the snippet, exactly the pool file's size. */
  initial: Buffer;
  model: ModelName;
  strategy?: StrategyName;
  oracle: OracleName;
  seed: string;
  /** Images per crash point for the random strategy. */
  samples?: number;
  /** State-space size above which exhaustive samples a crash point. */
  maxStates?: number;
  checker: Checker;
  /** Checks kept in flight at once: enough to keep every worker busy. */
  inFlight: number;
  replayCommand(replayId: string): string;
  /** Check only this deterministic share of the crash points. */
  shard?: Shard;
  /**
   * `unique`: check a crash point only while the event before it comes from a place (its source site,
   * else its pc) seen at most `limit` times before — Mumak's unique failure points, for large
   * programs. Skipped points are counted in the log (`skippedPoints`). Default: every point.
   */
  points?: { mode: 'all' } | { mode: 'unique'; limit: number };
  /** Stop early (Ctrl-C): the result is marked incomplete. */
  signal?: AbortSignal;
  onProgress?(progress: Progress): void;
}

export const DEFAULT_SAMPLES = 16;
export const DEFAULT_MAX_STATES = 4096;

/** Does crash point `index` belong to `shard`? Round-robin, so every shard gets early and late points. */
export function inShard(index: number, shard: Shard | undefined): boolean {
  return !shard || index % shard.count === shard.index - 1;
}

/** The images a crash point shows (by number in the run's ImageTable), as its strategy saw them. */
interface PointImages {
  images: number[];
  stateSpace: number;
  partial: boolean;
}

/** Walks the trace and checks every distinct image of the chosen crash points. */
export async function observe(input: EngineInput): Promise<RunLog> {
  const strategyName = input.strategy ?? defaultStrategy(input.model);
  const strategy = strategyFor(input.model, strategyName);
  if (!strategy) throw new UsageError(`strategy '${strategyName}' does not apply to model '${input.model}'`);
  const settings: StrategySettings = {
    seed: input.seed,
    samples: input.samples ?? DEFAULT_SAMPLES,
    maxStates: input.maxStates ?? DEFAULT_MAX_STATES,
  };
  const { events } = input.trace;
  const total = finalIcount(events);
  const boundaries = input.oracle === 'ops' ? operationBoundaries(events) : [];
  // Most images end the same way (a pass with the same output): the table keeps one outcome for
  // all of them, and an image's digest, first point and id in a few typed-array columns.
  const imageTable = new ImageTable();
  const points = new PointTable(imageTable);
  const log: RunLog = {
    scenario: input.scenario,
    model: input.model,
    strategy: strategyName,
    oracle: input.oracle,
    seed: input.seed,
    replayTemplate: input.replayCommand('{id}'),
    reference: await referenceOutputs(input, boundaries),
    points,
    images: imageTable,
    perfFindings: perfFindings(input.trace, input.initial),
  };
  const pending = new Set<Promise<void>>();
  // The tracker and the journal copy it: the caller's image is used as is when already whole lines.
  const padded = input.initial.length % LINE_BYTES === 0 ? input.initial : paddedImage(input.initial);
  // The model's images as a journal of line changes: checkers take only the lines that differ.
  const journal = new LineJournal(padded);
  const tracker = new PersistencyTracker(
    padded,
    hashImage(padded),
    input.model === 'eadr' ? { executed: journal } : { durable: journal },
  );
  let images = 0;
  let distinct = 0;
  const placesSeen = new Map<string, number>();
  let skippedPoints = 0;
  let failing = 0;
  // Journal positions of the images in flight, in the order they were sent: the journal keeps what
  // the oldest of them still needs, and folds the rest away.
  const inFlightPositions: Array<{ position: number; done: boolean }> = [];
  let oldestInFlight = 0;
  // The previous point's images, reused while the tracker has not changed (a marker, a fence with nothing to drain...).
  let previous: { version: number; record: PointImages } | undefined;

  for (let index = 0; index <= events.length; index++) {
    if (input.signal?.aborted) {
      log.incomplete = true;
      break;
    }
    if (index > 0) tracker.applyAt(events, index - 1);
    if (!inShard(index, input.shard)) continue;
    if (input.points?.mode === 'unique' && index > 0) {
      const place = placeOf(events, index - 1);
      const seen = placesSeen.get(place) ?? 0;
      placesSeen.set(place, seen + 1);
      if (seen > input.points.limit) {
        skippedPoints++;
        continue;
      }
    }
    let same = previous?.version === tracker.version ? previous.record : undefined;
    if (!same) {
      const { candidates, stateSpace, partial, sameForSameState } = strategy(tracker, index, settings);
      same = { images: candidates.map((c) => admit(c, index)), stateSpace, partial };
      previous = sameForSameState ? { version: tracker.version, record: same } : undefined;
    }
    images += same.images.length;
    const [icountFrom, icountTo] = icountRange(events, index, total);
    const record: Omit<PointRecord, 'lastEvent' | 'images'> = {
      index,
      icountFrom,
      icountTo,
      stateSpace: same.stateSpace,
      partial: same.partial,
      ...(boundaries.length > 0 ? { allowed: allowedBoundaries(boundaries, index, tracker) } : {}),
    };
    points.pushIds(record, same.images);
    input.onProgress?.({ pointsDone: index + 1, pointsTotal: events.length + 1, images, distinct, failing });
    while (pending.size >= input.inFlight) await Promise.race(pending);
    if (journal.size > JOURNAL_TRIM_ENTRIES) trimJournal();
  }
  await Promise.all(pending);
  if (input.points?.mode === 'unique') log.skippedPoints = skippedPoints;
  return log;

  /** The image's number in the table: a known one's, or a new one's, sent to be checked. */
  function admit(candidate: CandidateImage, index: number): number {
    const known = imageTable.find(candidate.digest);
    if (known >= 0) return known;
    // What it kept and lost is described later, and only if it fails (describe-images.ts).
    const id = imageTable.add(candidate.digest, candidate.replayId, index);
    distinct += 1;
    const image = candidate.image(input.initial.length);
    const slot = { position: image.position, done: false };
    inFlightPositions.push(slot);
    const job = input.checker.check(image).then((outcome) => {
      imageTable.setOutcome(id, outcome);
      if (outcome.kind !== 'passed') failing += 1;
      slot.done = true;
      pending.delete(job);
    });
    pending.add(job);
    return id;
  }

  /** Folds the journal up to the oldest image still in flight. */
  function trimJournal(): void {
    while (oldestInFlight < inFlightPositions.length && inFlightPositions[oldestInFlight]!.done) oldestInFlight++;
    inFlightPositions.splice(0, oldestInFlight);
    oldestInFlight = 0;
    const upTo = inFlightPositions[0]?.position ?? journal.end;
    // Only when it halves the journal at least: each trim moves what is left, so this keeps it amortized.
    if ((upTo - journal.start) * 2 >= journal.size) journal.trim(upTo);
  }
}

/** Journal entries kept before the engine folds the ones no image in flight needs. */
const JOURNAL_TRIM_ENTRIES = 1 << 14;

/** The outputs the atomic and ops oracles compare with, computed once from the same trace. */
async function referenceOutputs(input: EngineInput, boundaries: number[]): Promise<RunLog['reference']> {
  if (input.oracle === 'atomic') return oracleReference('atomic', input.trace, input.initial, input.checker);
  if (input.oracle !== 'ops') return {};
  const images = imagesAt(input.trace, input.initial, boundaries);
  const outcomes = await Promise.all(images.map((image) => input.checker.check(image)));
  outcomes.forEach((o, i) => {
    if (o.kind !== 'passed')
      throw new UsageError(
        `the ops oracle needs a passing check at every operation boundary, but at event ${boundaries[i]} it ${notPassedReason(o)}`,
      );
  });
  return { boundaries: outcomes.map((o) => o.output) };
}

/** The executed image after each of the given numbers of events. */
function imagesAt(trace: Trace, initial: Buffer, points: number[]): Buffer[] {
  return rebuildImages(
    trace,
    initial,
    points.map((point) => ({ model: 'eadr', point, kept: new Map() })),
  ).map((r) => r.image);
}

/** The outputs before and after the snippet, which the atomic oracle compares with. */
export async function oracleReference(
  oracle: OracleName,
  trace: Trace,
  initial: Buffer,
  checker: Checker,
): Promise<{ before?: string; after?: string }> {
  if (oracle !== 'atomic') return {};
  const [before, after] = await Promise.all(
    imagesAt(trace, initial, [0, trace.events.length]).map((image) => checker.check(image)),
  );
  for (const [what, outcome] of [
    ['before', before!],
    ['after', after!],
  ] as const) {
    if (outcome.kind !== 'passed') {
      throw new UsageError(
        `the atomic oracle needs a passing check on the state ${what} the snippet, but it ${notPassedReason(outcome)}`,
      );
    }
  }
  return { before: before!.output, after: after!.output };
}

/** Where an event comes from, for `points: unique`: its source site, else its kind and pc. */
function placeOf(events: EventTable, i: number): string {
  return events.site(i) ?? `${events.kindName(i)}@${events.pc(i)}`;
}
