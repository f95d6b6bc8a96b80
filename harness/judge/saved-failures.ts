// Saved failures (--save-failures DIR): each finding becomes one self-describing JSON file — its
// replay id (with the trace digest), scenario, model, strategy, seed, how to run its check, the
// oracle's reference outputs, and the crash image itself — that `pmfit replay FILE` reproduces
// without tracing again, on another machine with the same binary.
//
// A saved failure names a command or module to run, so a file from somewhere else is untrusted:
// each file is signed with an HMAC under a per-user key (~/.config/pmfit/failure-key, created
// 0600 on first save); `pmfit replay` runs a file whose signature does not verify only after the
// user confirms. Reading is bounded: the file's size is checked before it is read, and the image
// inflates to at most its declared size before its digest is checked.
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import type { Finding, ModelName, OracleName, PointRecord, RunLog, StrategyName, Trace } from '../../core/api.js';
import { UsageError } from '../../core/support/errors.js';
import { shellQuote } from '../../core/support/shell-quote.js';
import { rebuildImages } from '../engine/model/image-builder.js';
import { parseReplayId, resolveNamedLines, traceDigest } from '../engine/replay-id.js';
import { type PoolLayout, isSplit, layoutOfHeader } from '../../core/pool-layout.js';

/** 2: findings as data (report schema 2), ids with a trace digest, signed. */
export const FAILURE_FORMAT = 2;
/** A saved failure's file is read only up to this size (its image is gzip'd; pools compress well). */
export const MAX_FAILURE_FILE = 256 * 1024 * 1024;
/** The largest image a saved failure may declare: Node's largest Buffer. */
const MAX_IMAGE_BYTES = 2 ** 32;

/** How to run the check again: a built-in or file TS scenario, or a command with {pool}. */
export type SavedCheck =
  /** `file`: the user's scenario file (absolute), loaded again at replay; a built-in is found by name. */
  | { kind: 'ts'; scenario: string; module: string; exportName: string; file?: string }
  | { kind: 'command'; command: string };

export interface SavedFailure {
  pmfitFailure: number;
  replayId: string;
  scenario: string;
  model: ModelName;
  strategy: StrategyName;
  oracle: OracleName;
  seed: string;
  /** The trace digest the replay id carries. */
  traceDigest: string;
  /** The command line that found it, for a person reading the file (replay never prints it). */
  commandLine: string;
  check: SavedCheck;
  /** The outputs the oracle accepts at this crash point (atomic, ops); empty for exit/collate. */
  accepted: string[];
  finding: Finding;
  image: { bytes: number; sha256: string; gzipBase64: string };
  /** Several pool files: how the image is cut into them (each check gets one file per pool file). */
  layout?: PoolLayout;
  /** HMAC-SHA256 of the rest of the file under the writer's per-user key (hex). */
  signature?: string;
}

export interface SaveContext {
  dir: string;
  trace: Trace;
  initial: Buffer;
  log: RunLog;
  check: SavedCheck;
}

/** Writes one file per finding of the run into ctx.dir; returns the paths written. */
export function saveFailures(findings: readonly Finding[], ctx: SaveContext): string[] {
  mkdirSync(ctx.dir, { recursive: true });
  const digest = ctx.log.traceDigest ?? traceDigest(ctx.trace);
  const layout = layoutOfHeader(ctx.trace.header);
  const commandLine = ['pmfit', ...process.argv.slice(2)].map(shellQuote).join(' ');
  const images = rebuildImages(
    ctx.trace,
    ctx.initial,
    // a finding's id names each line's pool file: back to the flat image's lines
    findings.map((f) => resolveNamedLines(parseReplayId(f.replayId), layout, f.replayId)),
  );
  const key = signingKey(true)!;
  return findings.map((finding, i) => {
    const image = Buffer.from(images[i]!.image);
    const point = ctx.log.points.atPoint(finding.crashPoint);
    const saved: SavedFailure = {
      pmfitFailure: FAILURE_FORMAT,
      replayId: finding.replayId,
      scenario: finding.scenario,
      model: finding.model,
      strategy: finding.strategy,
      oracle: ctx.log.oracle,
      seed: ctx.log.seed,
      traceDigest: digest,
      commandLine,
      check: ctx.check,
      accepted: acceptedOutputs(ctx.log, point),
      finding,
      image: { bytes: image.length, sha256: sha256(image), gzipBase64: gzipSync(image).toString('base64') },
      ...(isSplit(layout) ? { layout } : {}),
    };
    saved.signature = sign(saved, key);
    const path = join(ctx.dir, `${fileStem(finding)}.pmfit-failure.json`);
    writeFileSync(path, `${JSON.stringify(saved, null, 2)}\n`);
    return path;
  });
}

/** What the oracle would accept at the finding's point: before/after (atomic) or boundaries (ops). */
function acceptedOutputs(log: RunLog, point: PointRecord | undefined): string[] {
  if (log.oracle === 'atomic') return [log.reference.before ?? '', log.reference.after ?? ''];
  if (log.oracle === 'ops' && point?.allowed && log.reference.boundaries)
    return log.reference.boundaries.slice(point.allowed[0], point.allowed[1] + 1);
  return [];
}

function fileStem(f: Finding): string {
  return `${f.scenario}-${f.model}-${f.replayId}`.replace(/[^A-Za-z0-9_.-]+/g, '_');
}

function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

// ---------------------------------------------------------------- trust

/** The per-user key's file: $XDG_CONFIG_HOME/pmfit/failure-key, else ~/.config/pmfit/failure-key. */
export function signingKeyPath(): string {
  const base = process.env.XDG_CONFIG_HOME || join(homedir(), '.config');
  return join(base, 'pmfit', 'failure-key');
}

/** This user's key; created (0600, in a 0700 directory) when `create` and missing. */
function signingKey(create: boolean): Buffer | undefined {
  const path = signingKeyPath();
  if (existsSync(path)) return readFileSync(path);
  if (!create) return undefined;
  mkdirSync(join(path, '..'), { recursive: true, mode: 0o700 });
  try {
    writeFileSync(path, randomBytes(32), { mode: 0o600, flag: 'wx' });
    chmodSync(path, 0o600);
  } catch (err) {
    // Another pmfit saving at the same moment made it first: use that one.
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  return readFileSync(path);
}

function sign(saved: SavedFailure, key: Buffer): string {
  const { signature: _, ...rest } = saved;
  return createHmac('sha256', key).update(JSON.stringify(rest)).digest('hex');
}

/** True when this user's key signed the file as it is: written here, by this user, unedited. */
function signedByThisUser(saved: SavedFailure): boolean {
  const key = signingKey(false);
  if (!key || typeof saved.signature !== 'string' || !/^[0-9a-f]{64}$/.test(saved.signature)) return false;
  return timingSafeEqual(Buffer.from(sign(saved, key), 'hex'), Buffer.from(saved.signature, 'hex'));
}

// ---------------------------------------------------------------- reading

export interface LoadedFailure {
  saved: SavedFailure;
  /** Signed with this user's key: written on this machine by this user, and not edited since. */
  trusted: boolean;
  /** Inflates the image (bounded by its declared size) and checks its digest. */
  image(): Buffer;
}

/** Reads and validates a saved failure: size first, then shape, then signature; the image on demand. */
export function loadSavedFailure(path: string): LoadedFailure {
  if (!existsSync(path)) throw new UsageError(`saved failure ${path} does not exist`);
  const stat = statSync(path);
  if (!stat.isFile()) throw new UsageError(`saved failure ${path} is not a regular file`);
  if (stat.size > MAX_FAILURE_FILE)
    throw new UsageError(`${path} is ${stat.size} bytes, more than a saved failure may be (${MAX_FAILURE_FILE})`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new UsageError(`${path} is not a saved failure: ${(err as Error).message}`);
  }
  const saved = validate(parsed, path);
  return {
    saved,
    trusted: signedByThisUser(saved),
    image: () => inflate(saved, path),
  };
}

function inflate(saved: SavedFailure, path: string): Buffer {
  const damaged = () => new UsageError(`${path}: the crash image does not match its digest (the file is damaged)`);
  let image: Buffer;
  try {
    // Never more than the declared size: a small file cannot inflate into a huge buffer.
    image = gunzipSync(Buffer.from(saved.image.gzipBase64, 'base64'), {
      maxOutputLength: Math.max(1, saved.image.bytes),
    });
  } catch {
    throw damaged();
  }
  if (image.length !== saved.image.bytes || sha256(image) !== saved.image.sha256) throw damaged();
  return image;
}

const MODELS = ['adr', 'eadr'];
const STRATEGIES = ['strict', 'eadr', 'extremes', 'exhaustive', 'random'];
const ORACLES = ['exit', 'atomic', 'ops', 'collate'];
/** Names printed from the file: no control characters, no room for a story. */
const PLAIN = /^[A-Za-z0-9_@%+=:,./~-]{1,200}$/;

/** Checks every field replay uses, so a hand-made file fails with one line, not a stack trace. */
function validate(value: unknown, path: string): SavedFailure {
  const bad = (what: string) => new UsageError(`${path} is not a saved failure of this pmfit: ${what}`);
  if (typeof value !== 'object' || value === null) throw bad('not a JSON object');
  const v = value as Record<string, unknown>;
  if (v.pmfitFailure !== FAILURE_FORMAT)
    throw bad(`format ${JSON.stringify(v.pmfitFailure ?? 'missing')}, expected ${FAILURE_FORMAT}`);
  const str = (o: Record<string, unknown>, k: string) => {
    if (typeof o[k] !== 'string') throw bad(`${k} is not a string`);
    return o[k] as string;
  };
  for (const k of ['replayId', 'scenario', 'seed', 'traceDigest', 'commandLine']) str(v, k);
  if (!PLAIN.test(v.scenario as string)) throw bad('the scenario name has characters a name does not have');
  if (!PLAIN.test(v.seed as string)) throw bad('the seed has characters a seed does not have');
  if (!MODELS.includes(v.model as string)) throw bad('unknown model');
  if (!STRATEGIES.includes(v.strategy as string)) throw bad('unknown strategy');
  if (!ORACLES.includes(v.oracle as string)) throw bad('unknown oracle');
  const choice = parseReplayId(v.replayId as string);
  if (choice.model !== v.model) throw bad('the replay id is of another model');
  if (!Array.isArray(v.accepted) || v.accepted.some((a) => typeof a !== 'string'))
    throw bad('accepted is not a list of strings');
  const check = v.check as Record<string, unknown> | null;
  if (typeof check !== 'object' || check === null) throw bad('no check');
  if (check.kind === 'command') str(check, 'command');
  else if (check.kind === 'ts') {
    for (const k of ['scenario', 'module', 'exportName']) str(check, k);
    if (check.file !== undefined) str(check, 'file');
  } else throw bad('check.kind is neither ts nor command');
  const image = v.image as Record<string, unknown> | null;
  if (typeof image !== 'object' || image === null) throw bad('no image');
  if (!Number.isSafeInteger(image.bytes) || (image.bytes as number) < 0 || (image.bytes as number) > MAX_IMAGE_BYTES)
    throw bad('image.bytes is not a size');
  if (!/^[0-9a-f]{64}$/.test(str(image, 'sha256'))) throw bad('image.sha256 is not a sha256');
  str(image, 'gzipBase64');
  if (v.layout !== undefined && !isLayout(v.layout, image.bytes as number))
    throw bad('layout is not a layout of pool files');
  const f = v.finding as Record<string, unknown> | null;
  if (typeof f !== 'object' || f === null) throw bad('no finding');
  for (const k of ['crashPoint', 'icountFrom', 'icountTo'])
    if (!Number.isSafeInteger(f[k])) throw bad(`finding.${k} is not a number`);
  for (const k of ['lostStores', 'keptStores']) {
    const stores = f[k];
    if (
      !Array.isArray(stores) ||
      stores.some(
        (s) =>
          typeof s !== 'object' ||
          s === null ||
          !['seq', 'offset', 'size'].every((n) => Number.isSafeInteger((s as Record<string, unknown>)[n])),
      )
    )
      throw bad(`finding.${k} is not a list of stores`);
  }
  return v as unknown as SavedFailure;
}

/** A layout whose files are named, in order, and lie inside an image of `bytes`. */
function isLayout(value: unknown, bytes: number): boolean {
  const layout = value as Partial<PoolLayout> | null;
  if (typeof layout !== 'object' || layout === null || !Array.isArray(layout.files) || layout.size !== bytes)
    return false;
  let end = 0;
  return layout.files.every((f) => {
    const ok =
      typeof f === 'object' &&
      f !== null &&
      typeof f.name === 'string' &&
      /^[A-Za-z_][A-Za-z0-9_]*(\.\d+)?$/.test(f.name) &&
      typeof f.pool === 'string' &&
      Number.isSafeInteger(f.base) &&
      Number.isSafeInteger(f.size) &&
      f.base >= end &&
      f.size >= 0 &&
      f.base + f.size <= bytes;
    end = ok ? f.base + f.size : end;
    return ok;
  });
}
