// Merging shard reports: every shard of a run checked a disjoint share of the crash points of the
// same trace and kept its RunLog; concatenating the logs and finalizing them gives the result a
// single run would have had — same findings, same order, same bytes apart from timings.
import type { ImageRecord, Report, RunLog, ScenarioResult } from '../../core/api.js';
import { UsageError } from '../../core/support/errors.js';
import { finalize } from './finalize.js';

/** The results the unsharded run would have had, and its wall time (the slowest shard's). */
export function mergeShards(reports: readonly Report[]): { results: ScenarioResult[]; wallMs: number } {
  if (reports.length === 0) throw new UsageError('name the shard reports to merge');
  const byRun = new Map<string, ScenarioResult[]>();
  for (const report of reports) {
    for (const result of report.results) {
      if (!result.shard || !result.log)
        throw new UsageError(`a result of ${result.scenario} is not from a sharded run (run with --shard K/N)`);
      const key = `${result.scenario}\0${result.model}\0${result.strategy}\0${result.oracle}\0${result.seed}`;
      byRun.set(key, [...(byRun.get(key) ?? []), result]);
    }
  }
  const merged = [...byRun.values()].map(mergeRun);
  const wallMs = Math.max(...reports.map((r) => r.summary.wallMs));
  return { results: merged, wallMs };
}

function mergeRun(shards: ScenarioResult[]): ScenarioResult {
  const first = shards[0]!;
  const count = first.shard!.count;
  const indexes = new Set(shards.map((s) => s.shard!.index));
  if (shards.some((s) => s.shard!.count !== count))
    throw new UsageError(
      `the shards of ${first.scenario} disagree on N (${[...new Set(shards.map((s) => s.shard!.count))].join(', ')})`,
    );
  for (let k = 1; k <= count; k++)
    if (!indexes.has(k)) throw new UsageError(`shard ${k}/${count} of ${first.scenario} (${first.model}) is missing`);
  if (indexes.size !== shards.length)
    throw new UsageError(`a shard of ${first.scenario} (${first.model}) is given twice`);
  const logs = shards.map((s) => s.log!);
  const log: RunLog = {
    ...logs[0]!,
    points: logs.flatMap((l) => l.points).sort((a, b) => a.index - b.index),
    images: mergeImages(logs),
    ...(logs.some((l) => l.incomplete) ? { incomplete: true } : {}),
  };
  const wallMs = Math.max(...shards.map((s) => s.summary.wallMs));
  return { ...finalize(log, wallMs), ...(first.notes ? { notes: first.notes } : {}) };
}

/** The same image seen by several shards: keep the record from where it appeared first. */
function mergeImages(logs: RunLog[]): Record<string, ImageRecord> {
  const images: Record<string, ImageRecord> = {};
  for (const log of logs) {
    for (const [key, image] of Object.entries(log.images)) {
      const known = images[key];
      if (!known || image.firstPoint < known.firstPoint) images[key] = image;
    }
  }
  return images;
}
