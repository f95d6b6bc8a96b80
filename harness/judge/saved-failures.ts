// Saved failures (--save-failures DIR): each finding becomes one self-describing JSON file — its
// replay id, scenario, model, strategy, seed, the digest of the trace that found it, the command
// line, how to run its check, the oracle's reference outputs, and the crash image itself — that
// `pmfit replay FILE` reproduces without tracing again, on another machine with the same binary.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import type { Finding, RunLog, Trace } from '../../core/api.js';
import { encodePayload, kindCode } from '../../core/trace/format.js';
import { UsageError } from '../../core/support/errors.js';
import { rebuildImages } from '../engine/model/image-builder.js';
import { parseReplayId } from '../engine/replay-id.js';
import { shellQuote } from '../../core/support/shell-quote.js';

export const FAILURE_FORMAT = 1;

/** How to run the check again: a built-in or file TS scenario, or a command with {pool}. */
export type SavedCheck =
  /** `file`: the user's scenario file (absolute), loaded again at replay; a built-in is found by name. */
  | { kind: 'ts'; scenario: string; module: string; exportName: string; file?: string }
  | { kind: 'command'; command: string };

export interface SavedFailure {
  pmfitFailure: number;
  replayId: string;
  scenario: string;
  model: string;
  strategy: string;
  oracle: string;
  seed: string;
  traceDigest: string;
  commandLine: string;
  check: SavedCheck;
  /** The outputs the oracle accepts at this crash point (atomic, ops); empty for exit/collate. */
  accepted: string[];
  finding: Finding;
  image: { bytes: number; sha256: string; gzipBase64: string };
}

/** A digest of the trace's events (not of paths or sites), the same wherever the program ran. */
export function traceDigest(trace: Trace): string {
  const hash = createHash('sha256');
  const head = Buffer.alloc(40);
  for (const e of trace.events) {
    const { flags, payload } = encodePayload(e);
    head.writeUInt32LE(kindCode(e), 0);
    head.writeUInt32LE(flags, 4);
    head.writeDoubleLE(e.seq, 8);
    head.writeDoubleLE(e.icount, 16);
    head.writeDoubleLE(e.pc, 24);
    head.writeDoubleLE(payload.length, 32);
    hash.update(head).update(payload);
  }
  return hash.digest('hex');
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
  const digest = traceDigest(ctx.trace);
  const commandLine = ['pmfit', ...process.argv.slice(2)].map(shellQuote).join(' ');
  const images = rebuildImages(
    ctx.trace,
    ctx.initial,
    findings.map((f) => parseReplayId(f.replayId)!),
  );
  return findings.map((finding, i) => {
    const image = Buffer.from(images[i]!.image);
    const point = ctx.log.points.find((p) => p.index === finding.crashPoint);
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
    };
    const path = join(ctx.dir, `${fileStem(finding)}.pmfit-failure.json`);
    writeFileSync(path, `${JSON.stringify(saved, null, 2)}\n`);
    return path;
  });
}

/** What the oracle would accept at the finding's point: before/after (atomic) or boundaries (ops). */
function acceptedOutputs(log: RunLog, point: RunLog['points'][number] | undefined): string[] {
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

/** Reads and checks a saved failure; the image must match its digest. */
export function loadSavedFailure(path: string): { saved: SavedFailure; image: Buffer } {
  if (!existsSync(path)) throw new UsageError(`saved failure ${path} does not exist`);
  let saved: SavedFailure;
  try {
    saved = JSON.parse(readFileSync(path, 'utf8')) as SavedFailure;
  } catch (err) {
    throw new UsageError(`${path} is not a saved failure: ${(err as Error).message}`);
  }
  if (saved.pmfitFailure !== FAILURE_FORMAT)
    throw new UsageError(
      `${path} is not a saved failure of this pmfit (format ${saved.pmfitFailure ?? 'missing'}, expected ${FAILURE_FORMAT})`,
    );
  const image = gunzipSync(Buffer.from(saved.image.gzipBase64, 'base64'));
  if (image.length !== saved.image.bytes || sha256(image) !== saved.image.sha256)
    throw new UsageError(`${path}: the crash image does not match its digest (the file is damaged)`);
  return { saved, image };
}
