// Merging shard reports: every shard of a run checked a disjoint share of the crash points of the
// same trace and kept its RunLog; concatenating the logs and finalizing them gives the result a
// single run would have had — the same images, verdicts, groups and coverage, and its failing images
// grouped into bugs by the same rule. What a merge cannot redo is the re-simulation (it has neither
// the trace nor the check): a merged bug's witness is its smallest checked image, its class is the
// classifier's, and it carries no verified fix. The merged result says so in a note.
//
// Shard reports are files a user hands over, so they are untrusted: every field merging and
// finalizing touch is checked first (a wrong shape is a UsageError naming the file and the field),
// and shards must be of one run — the same log apart from its points and images (scenario, model,
// strategy, oracle, seed, replay command, reference outputs, performance findings, and whatever
// else the log records about its trace), with every crash point of the trace present exactly once.
import { inPoolFiles } from './pool-files.js';
import type { ImageRecord, PointRecord, Report, RunLog, ScenarioResult } from '../../core/api.js';
import { UsageError } from '../../core/support/errors.js';
import { MODEL_NAMES, ORACLE_NAMES, STRATEGY_NAMES } from '../../core/support/names.js';
import { finalize } from './finalize.js';
import { ImageTable } from '../engine/image-table.js';
import { PointTable } from '../engine/point-table.js';
import { isDescribed } from './bugs.js';

/** The results the unsharded run would have had, and its wall time (the slowest shard's). */
export function mergeShards(
  reports: readonly Report[],
  files: readonly string[] = reports.map((_, i) => `shard report ${i + 1}`),
): { results: ScenarioResult[]; wallMs: number } {
  if (reports.length === 0) throw new UsageError('name the shard reports to merge');
  const byRun = new Map<string, ScenarioResult[]>();
  reports.forEach((report, i) => {
    const file = files[i]!;
    checkReport(report, file);
    report.results.forEach((result, j) => {
      checkShardResult(result, `${file}: results[${j}]`);
      const key = `${result.scenario}\0${result.model}\0${result.strategy}\0${result.oracle}\0${result.seed}`;
      byRun.set(key, [...(byRun.get(key) ?? []), result]);
    });
  });
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
  checkOneRun(shards);
  const images = mergeImages(logs);
  const log: RunLog = {
    ...logs[0]!,
    points: PointTable.from(
      logs.flatMap((l) => [...l.points]).sort((a, b) => a.index - b.index),
      images,
    ),
    images,
    ...(logs.some((l) => l.incomplete) ? { incomplete: true } : {}),
  };
  const wallMs = Math.max(...shards.map((s) => s.summary.wallMs));
  const notes = [...(first.notes ?? []), MERGE_NOTE];
  return { ...inPoolFiles(finalize(log, wallMs), log.layout), notes };
}

export const MERGE_NOTE =
  "merged from shards: bugs are grouped from the shards' logs without re-simulation (no minimised witness, no class confirmation, no verified fix); run without --shard for those";

/**
 * The same image seen by several shards: keep the record from where it appeared first, among the
 * records that describe it if any does (a shard describes only the images that failed in it, and
 * a failing image fails in the shard that holds the crash point where it fails).
 */
function mergeImages(logs: RunLog[]): ImageTable {
  const images = new Map<string, ImageRecord>();
  for (const log of logs) {
    for (const [key, image] of log.images) {
      const known = images.get(key);
      const better =
        !known ||
        (isDescribed(image) && !isDescribed(known)) ||
        (isDescribed(image) === isDescribed(known) && image.firstPoint < known.firstPoint);
      if (better) images.set(key, image);
    }
  }
  return ImageTable.from(images);
}

/** Everything a log says about its run and trace, apart from the points and images it checked. */
function runFingerprint(log: RunLog): string {
  const { points: _points, images: _images, incomplete: _incomplete, ...rest } = log;
  return JSON.stringify(rest, (_key, value) =>
    isObject(value)
      ? Object.fromEntries(Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : value,
  );
}

/**
 * Shards of one run: the same fingerprint, each point in its own shard (index ≡ K-1 mod N), and —
 * unless a shard was interrupted — every crash point 0..last present once.
 */
function checkOneRun(shards: ScenarioResult[]): void {
  const first = shards[0]!;
  const what = `${first.scenario} (${first.model})`;
  const fingerprint = runFingerprint(first.log!);
  const seen = new Set<number>();
  for (const shard of shards) {
    if (runFingerprint(shard.log!) !== fingerprint)
      throw new UsageError(
        `the shards of ${what} come from different runs or traces (shard ${shard.shard!.index}/${shard.shard!.count} differs): merge shards of one run`,
      );
    for (const point of shard.log!.points) {
      if (point.index % shard.shard!.count !== shard.shard!.index - 1)
        throw new UsageError(
          `shard ${shard.shard!.index}/${shard.shard!.count} of ${what} holds crash point ${point.index}, which belongs to another shard`,
        );
      if (seen.has(point.index)) throw new UsageError(`crash point ${point.index} of ${what} appears twice`);
      seen.add(point.index);
    }
  }
  if (shards.some((s) => s.log!.incomplete)) return;
  const last = Math.max(-1, ...seen);
  for (let i = 0; i <= last; i++)
    if (!seen.has(i))
      throw new UsageError(
        `crash point ${i} of ${what} is in no shard: the shards come from different runs or traces of different lengths`,
      );
}

// ---------------------------------------------------------------- shape of untrusted input

function fail(where: string, expected: string, value: unknown): never {
  const got = value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value;
  throw new UsageError(`${where} must be ${expected}, got ${got}: not a JSON report of a --shard run`);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function need(ok: boolean, where: string, expected: string, value: unknown): void {
  if (!ok) fail(where, expected, value);
}

const isCount = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v >= 0;

function checkReport(report: Report, file: string): void {
  need(Array.isArray(report.results), `${file}: results`, 'an array', report.results);
  need(isObject(report.summary), `${file}: summary`, 'an object', report.summary);
  need(
    typeof report.summary.wallMs === 'number' && report.summary.wallMs >= 0,
    `${file}: summary.wallMs`,
    'a number',
    report.summary.wallMs,
  );
}

function oneOf(names: readonly string[], value: unknown): boolean {
  return typeof value === 'string' && names.includes(value);
}

function checkShardResult(result: ScenarioResult, where: string): void {
  need(isObject(result), where, 'an object', result);
  need(typeof result.scenario === 'string', `${where}.scenario`, 'a string', result.scenario);
  if (!result.shard || !result.log)
    throw new UsageError(`a result of ${result.scenario} is not from a sharded run (run with --shard K/N)`);
  need(oneOf(MODEL_NAMES, result.model), `${where}.model`, MODEL_NAMES.join(' or '), result.model);
  need(oneOf(STRATEGY_NAMES, result.strategy), `${where}.strategy`, 'a strategy name', result.strategy);
  need(oneOf(ORACLE_NAMES, result.oracle), `${where}.oracle`, 'an oracle name', result.oracle);
  need(typeof result.seed === 'string', `${where}.seed`, 'a string', result.seed);
  need(isObject(result.summary), `${where}.summary`, 'an object', result.summary);
  need(typeof result.summary.wallMs === 'number', `${where}.summary.wallMs`, 'a number', result.summary.wallMs);
  need(isObject(result.shard), `${where}.shard`, 'an object {index, count}', result.shard);
  const { index, count } = result.shard;
  need(isCount(count) && count >= 1, `${where}.shard.count`, 'a positive integer', count);
  need(isCount(index) && index >= 1 && index <= count, `${where}.shard.index`, `an integer 1..${count}`, index);
  if (result.notes !== undefined)
    need(
      Array.isArray(result.notes) && result.notes.every((n) => typeof n === 'string'),
      `${where}.notes`,
      'an array of strings',
      result.notes,
    );
  checkLog(result.log, `${where}.log`, result);
}

function checkLog(log: RunLog, where: string, result: ScenarioResult): void {
  need(isObject(log), where, 'an object', log);
  for (const field of ['scenario', 'model', 'strategy', 'oracle', 'seed'] as const)
    need(log[field] === result[field], `${where}.${field}`, `the result's ${field} (${result[field]})`, log[field]);
  need(typeof log.replayTemplate === 'string', `${where}.replayTemplate`, 'a string', log.replayTemplate);
  need(isObject(log.reference), `${where}.reference`, 'an object', log.reference);
  const ref = log.reference as Record<string, unknown>;
  for (const key of ['before', 'after'])
    need(ref[key] === undefined || typeof ref[key] === 'string', `${where}.reference.${key}`, 'a string', ref[key]);
  need(
    ref.boundaries === undefined ||
      (Array.isArray(ref.boundaries) && ref.boundaries.every((b) => typeof b === 'string')),
    `${where}.reference.boundaries`,
    'an array of strings',
    ref.boundaries,
  );
  need(Array.isArray(log.perfFindings), `${where}.perfFindings`, 'an array', log.perfFindings);
  // as read from JSON, the points are an array of records until checked
  const records = log.points as unknown as PointRecord[];
  need(Array.isArray(records), `${where}.points`, 'an array', records);
  // as read from JSON, the images are an object of records by key until checked
  const imageRecords = log.images as unknown as Record<string, ImageRecord>;
  need(isObject(imageRecords), `${where}.images`, 'an object', imageRecords);
  for (const [key, image] of Object.entries(imageRecords)) checkImage(image, `${where}.images[${JSON.stringify(key)}]`);
  records.forEach((point, i) => {
    const at = `${where}.points[${i}]`;
    need(isObject(point), at, 'an object', point);
    for (const field of ['index', 'icountFrom', 'icountTo', 'stateSpace'] as const)
      need(isCount(point[field]), `${at}.${field}`, 'a non-negative integer', point[field]);
    if (i > 0)
      need(
        point.index > records[i - 1]!.index,
        `${at}.index`,
        "above the previous point's (points ascend)",
        point.index,
      );
    need(typeof point.partial === 'boolean', `${at}.partial`, 'a boolean', point.partial);
    need(
      point.lastEvent === undefined || (isObject(point.lastEvent) && isCount(point.lastEvent.seq)),
      `${at}.lastEvent`,
      'an event reference',
      point.lastEvent,
    );
    need(Array.isArray(point.images), `${at}.images`, 'an array', point.images);
    for (const key of point.images)
      need(typeof key === 'string' && Object.hasOwn(imageRecords, key), `${at}.images`, 'keys of log.images', key);
    if (point.allowed !== undefined)
      need(
        Array.isArray(point.allowed) && point.allowed.length === 2 && point.allowed.every(isCount),
        `${at}.allowed`,
        'a pair of integers',
        point.allowed,
      );
  });
  log.images = ImageTable.from(Object.entries(imageRecords));
  log.points = PointTable.from(records, log.images as ImageTable);
}

function checkImage(image: ImageRecord, where: string): void {
  need(isObject(image), where, 'an object', image);
  need(typeof image.replayId === 'string', `${where}.replayId`, 'a string', image.replayId);
  need(isCount(image.firstPoint), `${where}.firstPoint`, 'a non-negative integer', image.firstPoint);
  need(isObject(image.outcome), `${where}.outcome`, 'an object', image.outcome);
  // The description is there only for images that failed in their shard (describe-images.ts).
  if (image.class === undefined) return;
  need(typeof image.class === 'string', `${where}.class`, 'a string', image.class);
  need(Array.isArray(image.lostStores), `${where}.lostStores`, 'an array', image.lostStores);
  need(Array.isArray(image.keptStores), `${where}.keptStores`, 'an array', image.keptStores);
}
