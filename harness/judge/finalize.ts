// Turns what the engine observed (a RunLog) into a ScenarioResult: verdicts, minimal findings,
// output groups, summary and coverage. A whole run and the merge of its shards go through this one
// function, so `pmfit merge` of shard reports gives the report a single run would have written.
import type { Finding, ImageRecord, PointRecord, RunLog, ScenarioResult, Verdict } from '../../core/api.js';
import { collateOutputs } from './collate.js';
import { fillReplayCommand, withTraceDigest } from '../engine/replay-id.js';
import { judge, type OracleReference } from './oracle.js';

export function finalize(log: RunLog, wallMs: number): ScenarioResult {
  const images = log.points.reduce((n, p) => n + p.images.length, 0);
  const stateSpace = log.points.reduce((n, p) => n + p.stateSpace, 0);
  const findings = minimalFindings(log);
  return {
    scenario: log.scenario,
    model: log.model,
    strategy: log.strategy,
    oracle: log.oracle,
    seed: log.seed,
    coverage: {
      stateSpace,
      fraction: stateSpace > 0 ? Math.min(1, images / stateSpace) : 1,
      partialPoints: log.points.filter((p) => p.partial).map((p) => p.index),
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
      distinctImages: Object.keys(log.images).length,
      findings: findings.length,
      wallMs,
    },
    groups: collateOutputs(
      log.points.flatMap((p) =>
        p.images.map((key) => ({ output: renderOutput(log.images[key]!), from: p.icountFrom, to: p.icountTo })),
      ),
    ),
    findings,
    perfFindings: log.perfFindings,
    ...(log.incomplete ? { incomplete: true } : {}),
  };
}

/** The verdict on one image at one crash point (only the ops oracle depends on the point). */
export function verdictAt(log: RunLog, image: ImageRecord, point: PointRecord): Verdict {
  const reference: OracleReference = { ...log.reference };
  if (log.oracle === 'ops' && point.allowed && log.reference.boundaries) {
    reference.allowed = log.reference.boundaries.slice(point.allowed[0], point.allowed[1] + 1);
  }
  return judge(log.oracle, image.outcome, reference);
}

/**
 * One finding per crash point where some image fails for the first time: among those images, the
 * one that lost the fewest cache lines (then units), so the report shows the smallest failure.
 */
function minimalFindings(log: RunLog): Finding[] {
  const reported = new Set<string>();
  const findings: Finding[] = [];
  for (const point of [...log.points].sort((a, b) => a.index - b.index)) {
    let best: { key: string; image: ImageRecord; verdict: Verdict } | undefined;
    for (const key of point.images) {
      if (reported.has(key)) continue;
      const image = log.images[key]!;
      const verdict = verdictAt(log, image, point);
      if (verdict.status === 'consistent') continue;
      reported.add(key);
      if (!best || smaller(image, best.image)) best = { key, image, verdict };
    }
    if (best) findings.push(toFinding(log, point, best.image, best.verdict));
  }
  return findings;
}

function smaller(a: ImageRecord, b: ImageRecord): boolean {
  if (a.lostLines !== b.lostLines) return a.lostLines < b.lostLines;
  if (a.lostUnits !== b.lostUnits) return a.lostUnits < b.lostUnits;
  return a.replayId < b.replayId;
}

/**
 * What a group shows for one image: the check's output, and how the check died as a marker in
 * angle brackets (the collation compares these texts, so they stay fixed; not prose of a finding).
 */
function renderOutput(image: ImageRecord): string {
  const o = image.outcome;
  if (o.kind === 'error') return `<check error: ${o.error}>`;
  if (o.kind === 'timed-out') return `${o.output}<check timed out>`;
  if (o.kind === 'crashed') return `${o.output}<check killed by ${o.signal}>`;
  return o.output;
}

function toFinding(log: RunLog, point: PointRecord, image: ImageRecord, verdict: Verdict): Finding {
  if (verdict.status === 'consistent') throw new Error('a consistent image is not a finding');
  const replayId = withTraceDigest(image.replayId, log.traceDigest);
  return {
    class: image.class,
    failure: verdict.failure,
    scenario: log.scenario,
    model: log.model,
    strategy: log.strategy,
    crashPoint: point.index,
    icountFrom: point.icountFrom,
    icountTo: point.icountTo,
    ...(point.lastEvent ? { lastEvent: point.lastEvent } : {}),
    ...(verdict.status === 'inconsistent' && verdict.expected !== undefined ? { expected: verdict.expected } : {}),
    ...(verdict.status === 'inconsistent' && verdict.actual !== undefined ? { actual: verdict.actual } : {}),
    lostStores: image.lostStores,
    keptStores: image.keptStores,
    replayId,
    replayCommand: fillReplayCommand(log.replayTemplate, replayId),
    // (interim: one finding per crash point until harness/judge/bugs.ts groups them)
    sites: { lost: sitesOf(image.lostStores), kept: sitesOf(image.keptStores) },
    crashPoints: [[point.index, point.index]],
    pointCount: 1,
    failingImages: 1,
    otherLost: 0,
    otherKept: 0,
    lostLines: image.lostLines,
    lostUnits: image.lostUnits,
    occurrences: [{ crashPoint: point.index, icountFrom: point.icountFrom, icountTo: point.icountTo, images: 1, replayId }],
  };
}

function sitesOf(stores: readonly { site?: string; pc?: number }[]): string[] {
  return [...new Set(stores.map((s) => s.site ?? (s.pc ? `pc=0x${s.pc.toString(16)}` : '?')))].sort();
}
