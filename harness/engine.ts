// The crash-state engine: walks a trace, asks the strategy which images each crash point can
// leave, checks every distinct image once (deduplicated by digest), and turns the outcomes into
// verdicts, findings and allcounts-style output groups. Deterministic: results depend only on
// the trace, the initial image, the model, the strategy and the seed — never on check timing.
import type {
  CheckOutcome,
  Checker,
  Coverage,
  CrashPoint,
  Finding,
  ModelName,
  OracleName,
  OutputGroup,
  ScenarioResult,
  StrategyName,
  Trace,
  Verdict,
} from '../core/api.js';
import { collateOutputs } from './collate.js';
import { crashPointAt, describeEvent, finalIcount } from './crash-points.js';
import { UsageError } from './errors.js';
import { digestKey, hashImage, paddedImage } from './model/image-hash.js';
import type { PendingUnit } from './model/persistency-tracker.js';
import { PersistencyTracker } from './model/persistency-tracker.js';
import { lineOf } from './model/units.js';
import { judge, type OracleReference } from './oracle.js';
import { defaultStrategy, strategyFor, type CandidateImage, type StrategySettings } from './strategies.js';
import { classify } from './classify.js';
import { perfFindings } from './perf-rules.js';

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
}

/** One distinct image: the first crash point that produced it, its stores, what its check said. */
interface DistinctImage {
  point: CrashPoint;
  replayId: string;
  kept: PendingUnit[];
  lost: PendingUnit[];
  outcome?: CheckOutcome;
}

export const DEFAULT_SAMPLES = 16;
export const DEFAULT_MAX_STATES = 4096;

export async function runEngine(input: EngineInput): Promise<ScenarioResult> {
  const started = Date.now();
  const strategyName = input.strategy ?? defaultStrategy(input.model);
  const strategy = strategyFor(input.model, strategyName);
  if (!strategy) throw new UsageError(`strategy '${strategyName}' does not apply to model '${input.model}'`);
  if (input.oracle === 'ops') throw new UsageError('the ops oracle is not available in this version of pmfit (use exit, atomic or collate)');
  const reference = await oracleReference(input.oracle, input.trace, input.initial, input.checker);

  const settings: StrategySettings = { seed: input.seed, samples: input.samples ?? DEFAULT_SAMPLES, maxStates: input.maxStates ?? DEFAULT_MAX_STATES };
  const distinct = new Map<string, DistinctImage>();
  const imageKeysByPoint: string[][] = [];
  const pending = new Set<Promise<void>>();
  const tracker = new PersistencyTracker(paddedImage(input.initial), hashImage(paddedImage(input.initial)));
  const { events } = input.trace;
  const total = finalIcount(events);
  const coverage: Coverage = { stateSpace: 0, fraction: 1, partialPoints: [] };
  let images = 0;

  for (let index = 0; index <= events.length; index++) {
    if (index > 0) tracker.apply(events[index - 1]!);
    const { candidates, stateSpace, partial } = strategy(tracker, index, settings);
    images += candidates.length;
    coverage.stateSpace += stateSpace;
    if (partial) coverage.partialPoints.push(index);
    imageKeysByPoint.push(candidates.map((c) => admit(c, index)));
    while (pending.size >= input.inFlight) await Promise.race(pending);
  }
  await Promise.all(pending);
  coverage.fraction = coverage.stateSpace > 0 ? Math.min(1, images / coverage.stateSpace) : 1;

  function admit(candidate: CandidateImage, index: number): string {
    const key = digestKey(candidate.digest);
    if (distinct.has(key)) return key;
    // Snapshot the kept/lost units now: the tracker mutates them as it moves on.
    const { kept, lost } = candidate.split();
    const entry: DistinctImage = { point: crashPointAt(events, index, total), replayId: candidate.replayId, kept: kept.map((u) => ({ ...u })), lost: lost.map((u) => ({ ...u })) };
    distinct.set(key, entry);
    const job = input.checker.check(candidate.build().subarray(0, input.initial.length)).then((outcome) => {
      entry.outcome = outcome;
      pending.delete(job);
    });
    pending.add(job);
    return key;
  }

  const findings = minimalFindings(input, strategyName, distinct, reference);
  const groups = groupOutputs(imageKeysByPoint, distinct, events, total);

  return {
    scenario: input.scenario,
    model: input.model,
    strategy: strategyName,
    oracle: input.oracle,
    seed: input.seed,
    coverage,
    summary: {
      verdict: findings.some((f) => f.kind !== 'unknown') ? 'inconsistent' : findings.length > 0 ? 'unknown' : 'consistent',
      crashPoints: events.length + 1,
      images,
      distinctImages: distinct.size,
      findings: findings.length,
      wallMs: Date.now() - started,
    },
    groups,
    findings,
    perfFindings: perfFindings(input.trace, input.initial),
  };
}

/**
 * One finding per crash point that has failing images: among them, the image that lost the fewest
 * cache lines (then the fewest units), so the report shows the smallest way the point fails.
 */
function minimalFindings(input: EngineInput, strategy: StrategyName, distinct: Map<string, DistinctImage>, reference: OracleReference): Finding[] {
  const byPoint = new Map<number, { image: DistinctImage; verdict: Verdict }>();
  for (const image of distinct.values()) {
    const verdict = judge(input.oracle, image.outcome!, reference);
    if (verdict.status === 'consistent') continue;
    const best = byPoint.get(image.point.index);
    if (!best || smaller(image, best.image)) byPoint.set(image.point.index, { image, verdict });
  }
  return [...byPoint.keys()].sort((a, b) => a - b).map((point) => toFinding(input, strategy, byPoint.get(point)!.image, byPoint.get(point)!.verdict));
}

function smaller(a: DistinctImage, b: DistinctImage): boolean {
  const la = lostLines(a);
  const lb = lostLines(b);
  if (la !== lb) return la < lb;
  if (a.lost.length !== b.lost.length) return a.lost.length < b.lost.length;
  return a.replayId < b.replayId;
}

function lostLines(image: DistinctImage): number {
  return new Set(image.lost.map((u) => lineOf(u.offset))).size;
}

/** The outputs the atomic oracle compares with: the pool before the snippet and after it. */
export async function oracleReference(oracle: OracleName, trace: Trace, initial: Buffer, checker: Checker): Promise<OracleReference> {
  if (oracle !== 'atomic') return {};
  const padded = paddedImage(initial);
  const tracker = new PersistencyTracker(padded, hashImage(padded));
  for (const event of trace.events) tracker.apply(event);
  const [before, after] = await Promise.all([
    checker.check(Buffer.from(initial)),
    checker.check(Buffer.from(tracker.executed.subarray(0, initial.length))),
  ]);
  for (const [what, outcome] of [['before', before], ['after', after]] as const) {
    if (outcome.error || outcome.crash || !outcome.passed) {
      throw new UsageError(`the atomic oracle needs a passing check on the state ${what} the snippet, but it ${outcome.error ?? outcome.crash ?? `failed: ${outcome.detail ?? 'check did not pass'}`}`);
    }
  }
  return { before: before.output, after: after.output };
}

function groupOutputs(keysByPoint: string[][], distinct: Map<string, DistinctImage>, events: Trace['events'], total: number): OutputGroup[] {
  const observations = keysByPoint.flatMap((keys, index) => {
    const point = crashPointAt(events, index, total);
    return keys.map((key) => ({ output: renderOutput(distinct.get(key)!.outcome!), from: point.icountFrom, to: point.icountTo }));
  });
  return collateOutputs(observations);
}

/** What a group shows for one image: the check's output, or how the check died. */
function renderOutput(outcome: CheckOutcome): string {
  if (outcome.error) return `<check error: ${outcome.error}>`;
  if (outcome.crash) return `${outcome.output}<check ${outcome.crash === 'timeout' ? 'timed out' : `killed by ${outcome.crash}`}>`;
  return outcome.output;
}

function toFinding(input: EngineInput, strategy: StrategyName, image: DistinctImage, verdict: Verdict): Finding {
  const { point } = image;
  const persistencyClass = classify(image.kept, image.lost);
  const kind = verdict.status === 'unknown' ? 'unknown' : image.outcome?.crash === 'timeout' ? 'timeout' : image.outcome?.crash ? 'crash' : persistencyClass;
  const why = verdict.status === 'unknown' ? verdict.error : verdict.status === 'inconsistent' ? verdict.reason : '';
  const lastEvent = point.lastEvent ? describeEvent(point.lastEvent) : undefined;
  const where = `crash point ${point.index} (instructions ${point.icountFrom}-${point.icountTo}${lastEvent ? `, after ${lastEvent}` : ', before the first event'})`;
  return {
    kind,
    class: persistencyClass,
    scenario: input.scenario,
    model: input.model,
    strategy,
    crashPoint: point.index,
    icountFrom: point.icountFrom,
    icountTo: point.icountTo,
    replayId: image.replayId,
    replayCommand: input.replayCommand(image.replayId),
    message: `${input.scenario}: ${verdict.status === 'unknown' ? 'verdict unknown' : `inconsistent state (${persistencyClass})`} at ${where}: ${why}`,
    reason: why,
    ...(verdict.status === 'inconsistent' && verdict.expected !== undefined ? { expected: verdict.expected } : {}),
    ...(verdict.status === 'inconsistent' && verdict.actual !== undefined ? { actual: verdict.actual } : {}),
    lostStores: storesOf(image.lost, input.trace),
    keptStores: storesOf(image.kept, input.trace),
    ...(lastEvent ? { lastEvent } : {}),
  };
}

/** The stores some units belong to, one entry per store (its units merged), in program order. */
function storesOf(units: PendingUnit[], trace: Trace): Finding['lostStores'] {
  const seqs = [...new Set(units.map((u) => u.seq))].sort((a, b) => a - b);
  return seqs.map((seq) => {
    const event = trace.events[seq]!;
    const size = event.kind === 'store' ? event.data.length : 0;
    const offset = event.kind === 'store' ? event.offset : 0;
    return { seq, offset, size, ...(event.site ? { site: event.site } : {}) };
  });
}
