// A whole crash-test run: the engine observes every distinct image of the trace (a RunLog), then
// the judge names the event before each failing crash point, ties the run's replay ids to the
// trace's digest, groups the failing images into bugs, re-simulates each bug (witness, class, fix:
// diagnose.ts) with the run's own checker, and finalizes verdicts and findings.
import type { Checker, RunLog, ScenarioResult, Trace } from '../../core/api.js';
import { eventRef } from '../engine/crash-points.js';
import { traceDigest } from '../engine/replay-id.js';
import { isMultiFile, layoutOfHeader } from '../../core/pool-layout.js';
import { describeImages } from '../engine/describe-images.js';
import { observe, type EngineInput } from '../engine/engine.js';
import { type FailingImage, failingImages, groupImages, undiagnosed, windowsOf, withWindows } from './bugs.js';
import { diagnoseBugs } from './diagnose.js';
import { finalize } from './finalize.js';
import { inPoolFiles } from './pool-files.js';

export async function runEngine(input: EngineInput): Promise<ScenarioResult> {
  return (await runEngineWithLog(input)).result;
}

/** The result, and the log it was computed from (which a sharded result also carries). */
export async function runEngineWithLog(input: EngineInput): Promise<{ result: ScenarioResult; log: RunLog }> {
  const started = Date.now();
  const log = await observe(input);
  log.traceDigest = traceDigest(input.trace);
  const layout = layoutOfHeader(input.trace.header);
  if (isMultiFile(layout)) log.layout = layout;
  // One verdict pass over the log: the failing images, and from them the points to describe.
  const failing = failingImages(log, (keys) => describeImages(log, input.trace, input.initial, keys));
  describeFailingPoints(log, failing, input.trace.events);
  const windowOf = windowsOf(log, failing);
  const candidates = groupImages(failing, windowOf);
  // An interrupted run reports what it saw at once: re-simulation would only delay the stop.
  const resimulate = candidates.length > 0 && !log.incomplete && !input.signal?.aborted;
  const counting = countingChecker(input.checker);
  const diagnosed = resimulate
    ? await diagnoseBugs(log, candidates, { ...input, checker: counting, windowOf })
    : withWindows(candidates.map(undiagnosed), windowOf);
  const result = inPoolFiles(finalize(log, Date.now() - started, diagnosed), log.layout);
  if (resimulate) {
    // No time here: a report's JSON is the same, byte for byte, for the same inputs and seed.
    const bugs = `${candidates.length} candidate bug${candidates.length === 1 ? '' : 's'}`;
    result.notes = [
      ...(result.notes ?? []),
      `re-simulation: ${bugs} diagnosed with ${counting.count} more checks (minimal witnesses, classes, fixes)`,
    ];
  }
  return { result: input.shard ? { ...result, shard: input.shard, log } : result, log };
}

/** The run's checker, counting the checks made through it. */
function countingChecker(checker: Checker): Checker & { count: number } {
  const counting = {
    count: 0,
    check: (image: Parameters<Checker['check']>[0]) => {
      counting.count++;
      return checker.check(image);
    },
    close: () => checker.close(),
  };
  return counting;
}

/**
 * Names the event before each crash point that has a failing image (a finding's "where"). Only
 * those: a rendered event per crash point would cost more memory than the rest of the log.
 */
function describeFailingPoints(log: RunLog, failing: readonly FailingImage[], events: Trace['events']): void {
  const described = new Set<number>();
  for (const f of failing)
    for (const index of f.points) {
      if (index === 0 || described.has(index)) continue;
      described.add(index);
      log.points.describe(index, eventRef(events.get(index - 1)));
    }
}
