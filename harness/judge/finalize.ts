// Turns what the engine observed (a RunLog) and the bugs found in it into a ScenarioResult:
// verdicts, one finding per bug, output groups, summary and coverage. A whole run and the merge of
// its shards go through this one function (a merge without re-simulation: see finalize).
import type { CheckOutcome, RunLog, ScenarioResult } from '../../core/api.js';
import {
  type DiagnosedBug,
  failingImages,
  groupImages,
  toFindings,
  undiagnosed,
  windowsOf,
  withWindows,
} from './bugs.js';
import { type Observation, collateOutputs } from './collate.js';
import { verdictAt } from './verdicts.js';

/**
 * `diagnosed`: the run's bugs as re-simulation found them (harness/judge/diagnose.ts). Without it
 * (`pmfit merge`, which has no checker) the failing images are grouped from the log alone and each
 * bug's smallest image is its witness, unconfirmed.
 */
export function finalize(log: RunLog, wallMs: number, diagnosed?: readonly DiagnosedBug[]): ScenarioResult {
  const images = log.points.imageCount;
  const stateSpace = log.points.stateSpace;
  const findings = toFindings(log, diagnosed ?? undiagnosedBugs(log));
  return {
    scenario: log.scenario,
    model: log.model,
    strategy: log.strategy,
    oracle: log.oracle,
    seed: log.seed,
    coverage: {
      stateSpace,
      fraction: stateSpace > 0 ? Math.min(1, images / stateSpace) : 1,
      partialPoints: log.points.partialPoints(),
      ...(log.skippedPoints !== undefined ? { skippedPoints: log.skippedPoints } : {}),
    },
    summary: {
      verdict: findings.some((f) => f.failure.kind !== 'check-error')
        ? 'inconsistent'
        : findings.length > 0
          ? 'unknown'
          : 'consistent',
      crashPoints: log.points.length,
      images,
      distinctImages: log.images.size,
      findings: findings.length,
      wallMs,
    },
    groups: collateOutputs(observations(log)),
    findings,
    perfFindings: log.perfFindings,
    ...(log.incomplete ? { incomplete: true } : {}),
  };
}

export { verdictAt };

/**
 * What a group shows for one image: the check's output, and how the check died as a marker in
 * angle brackets (the collation compares these texts, so they stay fixed; not prose of a finding).
 */
function renderOutput(o: CheckOutcome): string {
  if (o.kind === 'error') return `<check error: ${o.error}>`;
  if (o.kind === 'timed-out') return `${o.output}<check timed out>`;
  if (o.kind === 'crashed') return `${o.output}<check killed by ${o.signal}>`;
  return o.output;
}

/** What each image showed at each point, one point at a time (never all points' records at once). */
function* observations(log: RunLog): Generator<Observation> {
  for (const p of log.points.shapes())
    for (let i = 0; i < p.imageIds.length; i++)
      yield { output: renderOutput(log.images.outcomeOf(p.imageIds[i]!)), from: p.icountFrom, to: p.icountTo };
}

/** The bugs of a log grouped without re-simulation: each candidate's smallest image is its witness. */
function undiagnosedBugs(log: RunLog): DiagnosedBug[] {
  const failing = failingImages(log);
  const windowOf = windowsOf(log, failing);
  return withWindows(groupImages(failing, windowOf).map(undiagnosed), windowOf);
}
