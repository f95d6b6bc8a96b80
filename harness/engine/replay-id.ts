// Replay ids: short printable names of one crash image, tied to the trace they came from.
//   adr@12            the durable image after 12 events (every pending store lost)
//   adr@12/5:2,9:1    ... plus the first 2 pending 8-byte units of cache line 5 and 1 of line 9
//   adr@12/*          every pending store persisted
//   adr@12/*,5:0      every pending store persisted except line 5's, which keeps none
//   eadr@12           the image with every store of the first 12 events
//   adr@12/5:2~3fa9c1 ... and only on a trace whose shape digest starts with 3fa9c1
//   adr@12/log.5:2    several pools (core/pool-layout.ts): line 5 of the pool file named log
// Inside the engine a line is a line of the flat image; ids leave the engine (withTraceDigest)
// naming each line's pool file, and a named line is resolved against the trace's layout.
// The replay command that carries an id is built and shell-quoted here, and only here.
import { createHash } from 'node:crypto';
import type { FenceKind, FlushKind, MarkerKind, ModelName, Trace } from '../../core/api.js';
import { UsageError } from '../../core/support/errors.js';
import { LINE_BYTES } from '../../core/geometry.js';
import { type PoolLayout, isMultiFile, locate } from '../../core/pool-layout.js';
import { shellQuote } from '../../core/support/shell-quote.js';
import { EventKind, FENCE_KIND_CODES, FLUSH_KIND_CODES, MARKER_KIND_CODES } from '../../core/trace/event-table.js';

export interface ImageChoice {
  model: ModelName;
  point: number;
  /** Pending units kept per listed cache line. */
  kept: ReadonlyMap<number, number>;
  /** What lines not listed keep: none of their pending units (default) or all of them. */
  rest?: 'none' | 'all';
  /** The digest of the trace the id came from, when it carries one. */
  digest?: string;
  /** Lines given as FILE.LINE, to be resolved against the trace's layout (resolveNamedLines). */
  named?: Array<{ file: string; line: number; kept: number }>;
}

/** Hex digits of the trace digest an id carries: short, and 1 in 16 million to match by chance. */
export const ID_DIGEST_CHARS = 6;

const MODELS: readonly ModelName[] = ['adr', 'eadr'];
const NUMBER = /^(0|[1-9]\d*)$/;
const SHAPE = 'MODEL@POINT[/LINE:KEPT,...][~DIGEST]';

/**
 * Formats a choice. Given each pending line's unit count, a choice that keeps most lines whole
 * is written in the `*` form, so ids stay short either way.
 */
export function formatReplayId(choice: ImageChoice, units?: ReadonlyMap<number, number>): string {
  const keptOf = (line: number) => choice.kept.get(line) ?? (choice.rest === 'all' ? (units?.get(line) ?? 0) : 0);
  const lines = units ? [...units.keys()] : [...choice.kept.keys()];
  const full = units ? lines.filter((l) => keptOf(l) === units.get(l) && units.get(l)! > 0) : [];
  const useStar = full.length > 0 && full.length > lines.length / 2;
  const listed = lines
    .filter((l) => (useStar ? keptOf(l) !== units!.get(l) : keptOf(l) > 0))
    .sort((a, b) => a - b)
    .map((l) => `${l}:${keptOf(l)}`);
  const digest = choice.digest ? `~${choice.digest}` : '';
  if (useStar) return `${choice.model}@${choice.point}/*${listed.length > 0 ? `,${listed.join(',')}` : ''}${digest}`;
  return `${choice.model}@${choice.point}${listed.length > 0 ? `/${listed.join(',')}` : ''}${digest}`;
}

/**
 * An id as it leaves the engine: with the trace digest appended (ids in a RunLog are stored
 * without it), and with several pool files, each line named `FILE.LINE` in its own file.
 */
export function withTraceDigest(id: string, digest: string | undefined, layout?: PoolLayout): string {
  const named = layout && isMultiFile(layout) ? nameLines(id, layout) : id;
  return digest ? `${named}~${digest}` : named;
}

/** Rewrites an id's flat line numbers as FILE.LINE of the layout's files. */
function nameLines(id: string, layout: PoolLayout): string {
  const slash = id.indexOf('/');
  if (slash < 0) return id;
  const parts = id
    .slice(slash + 1)
    .split(',')
    .map((part) => {
      const colon = part.indexOf(':');
      if (colon < 0) return part; // the '*' of "every other line whole"
      const line = Number(part.slice(0, colon));
      const at = locate(layout, line * LINE_BYTES);
      return at ? `${at.file.name}.${at.offset / LINE_BYTES}${part.slice(colon)}` : part;
    });
  return `${id.slice(0, slash + 1)}${parts.join(',')}`;
}

/**
 * The id's FILE.LINE lines as lines of the trace's flat image: a UsageError names a file the trace
 * does not have or a line past its end.
 */
export function resolveNamedLines(choice: ImageChoice, layout: PoolLayout, text: string): ImageChoice {
  if (!choice.named || choice.named.length === 0) return choice;
  const kept = new Map(choice.kept);
  for (const { file, line, kept: units } of choice.named) {
    const found = layout.files.find((f) => f.name === file);
    if (!found)
      throw new UsageError(
        `replay id ${text} names pool file '${file}', which this run does not have (it has ${layout.files.map((f) => f.name).join(', ')})`,
      );
    if (line * LINE_BYTES >= found.size)
      throw new UsageError(`replay id ${text}: pool file ${file} has no line ${line} (it is ${found.size} bytes)`);
    const flat = found.base / LINE_BYTES + line;
    if (kept.has(flat)) throw new UsageError(`replay id ${text}: line ${file}.${line} is listed twice`);
    kept.set(flat, units);
  }
  const { named: _named, ...rest } = choice;
  return { ...rest, kept };
}

/**
 * Parses a replay id strictly; anything else is a UsageError naming what is wrong. Whether its
 * lines have pending units at that point is the trace's to say (model/image-builder.ts).
 */
export function parseReplayId(text: string): ImageChoice {
  const bad = (why: string) => new UsageError(`'${text}' is not a replay id: ${why} (expected ${SHAPE})`);
  const [body = '', digest, ...extra] = text.split('~');
  if (extra.length > 0) throw bad("more than one '~'");
  if (digest !== undefined && !/^[0-9a-f]{6,64}$/.test(digest))
    throw bad(`the trace digest after '~' must be 6 to 64 lowercase hex digits, not '${digest}'`);
  const at = body.indexOf('@');
  if (at < 0) throw bad("no '@'");
  const model = body.slice(0, at) as ModelName;
  if (!MODELS.includes(model)) throw bad(`unknown model '${body.slice(0, at)}' (adr or eadr)`);
  const slash = body.indexOf('/', at);
  const pointText = body.slice(at + 1, slash < 0 ? undefined : slash);
  if (!NUMBER.test(pointText)) throw bad(`the crash point '${pointText}' is not a number without leading zeros`);
  const choice = {
    model,
    point: Number(pointText),
    kept: new Map<number, number>(),
    rest: 'none' as 'none' | 'all',
    named: [] as Array<{ file: string; line: number; kept: number }>,
  };
  if (slash >= 0) {
    if (model === 'eadr') throw bad('an eadr id names no cache lines: eadr has one image per crash point');
    const parts = body.slice(slash + 1).split(',');
    if (parts[0] === '*') {
      choice.rest = 'all';
      parts.shift();
    }
    for (const part of parts) {
      if (part === '') throw bad('an empty part in the list of lines');
      const [where = '', kept, ...more] = part.split(':');
      if (kept === undefined || more.length > 0) throw bad(`'${part}' is not LINE:KEPT`);
      // FILE.LINE names a line of one pool file (several pools); the file's name may hold dots
      const dot = where.lastIndexOf('.');
      const line = where.slice(dot + 1);
      if (!NUMBER.test(line) || !NUMBER.test(kept))
        throw bad(`'${part}': line and count must be numbers without leading zeros`);
      if (dot >= 0) {
        const file = where.slice(0, dot);
        if (!/^[A-Za-z_][A-Za-z0-9_]*(\.\d+)?$/.test(file)) throw bad(`'${file}' is not a pool file's name`);
        choice.named.push({ file, line: Number(line), kept: Number(kept) });
        continue;
      }
      if (choice.kept.has(Number(line))) throw bad(`line ${line} is listed twice`);
      choice.kept.set(Number(line), Number(kept));
    }
  }
  const { named, ...plain } = choice;
  const parsed: ImageChoice = named.length > 0 ? { ...plain, named } : plain;
  return digest === undefined ? parsed : { ...parsed, digest };
}

/** Refuses an id of a model the scenario or command does not run. */
export function requireModel(choice: ImageChoice, models: readonly ModelName[], subject: string): void {
  if (!models.includes(choice.model))
    throw new UsageError(
      `replay id of model ${choice.model}, but ${subject} runs ${models.join(' and ')} (add --model ${choice.model} if it should)`,
    );
}

/**
 * The digest of a trace's shape — each event's kind, pool, offset, size, flavour and thread, not the bytes
 * stored, instruction counts or addresses — and of nothing else: exactly what decides which pending
 * units each crash point has, so an id replays on a re-trace of the same program (whose pool may
 * hold fresh UUIDs) and is refused on a trace whose events moved.
 */
export function traceDigest(trace: Trace): string {
  // One digest per trace: every model of a run (and its saved failures) asks for the same one.
  let digest = digests.get(trace);
  if (digest === undefined) digests.set(trace, (digest = digestOf(trace)));
  return digest;
}

const digests = new WeakMap<Trace, string>();

function digestOf(trace: Trace): string {
  const hash = createHash('sha256');
  const RECORD = 32;
  const chunk = new Uint8Array(RECORD * 4096);
  // Typed-array views write in the machine's byte order; pmfit runs on x86-64 (little-endian), so
  // an id means the same trace on every machine pmfit runs on.
  const words = new Uint32Array(chunk.buffer);
  const doubles = new Float64Array(chunk.buffer);
  let at = 0;
  const events = trace.events;
  for (let i = 0; i < events.length; i++) {
    // the event table's kind codes are the record kinds: 1 store ... 5 marker
    const kind = events.kind(i);
    let offset = 0;
    let size = 0;
    let variant = 0;
    switch (kind) {
      case EventKind.store:
        offset = events.offset(i);
        size = events.size(i);
        variant = events.nonTemporal(i) ? 1 : 0;
        break;
      case EventKind.flush:
        offset = events.offset(i) - (events.offset(i) % 64);
        variant = variantCode(FLUSH_KIND_CODES[events.flags(i)]!);
        break;
      case EventKind.fence:
        variant = variantCode(FENCE_KIND_CODES[events.flags(i)]!);
        break;
      case EventKind.msync:
        offset = events.offset(i);
        size = events.size(i);
        break;
      case EventKind.marker:
        variant = variantCode(MARKER_KIND_CODES[events.flags(i)]!);
        break;
    }
    const w = at >> 2;
    words[w] = kind;
    words[w + 1] = events.pool(i);
    doubles[(at >> 3) + 1] = offset;
    doubles[(at >> 3) + 2] = size;
    words[w + 6] = variant;
    // its thread: another interleaving is another trace (0 for one thread: ids keep their digest)
    words[w + 7] = events.thread(i);
    at += RECORD;
    if (at === chunk.length) {
      hash.update(chunk);
      at = 0;
    }
  }
  hash.update(chunk.subarray(0, at));
  return hash.digest('hex').slice(0, ID_DIGEST_CHARS);
}

/** A number per flush, fence and marker kind (never renumber: ids in the wild carry them). */
function variantCode(kind: FlushKind | FenceKind | MarkerKind): number {
  switch (kind) {
    case 'clflush':
      return 2;
    case 'clflushopt':
      return 3;
    case 'clwb':
      return 4;
    case 'sfence':
      return 5;
    case 'mfence':
      return 6;
    case 'locked':
      return 7;
    case 'start':
      return 8;
    case 'stop':
      return 9;
    case 'user':
      return 10;
  }
}

/** Where the replay id goes in a command template. */
export const REPLAY_ID_SLOT = '{id}';

/** A replay command: the words shell-quoted, the slot replaced by the id. */
export function replayCommandFor(words: readonly string[]): (id: string) => string {
  return (id) =>
    words
      .map((w) => (w === REPLAY_ID_SLOT ? id : w))
      .map(shellQuote)
      .join(' ');
}

/** Fills a template (a command built with the slot as its id) with one id, quoted the same way. */
export function fillReplayCommand(template: string, id: string): string {
  return template.split(shellQuote(REPLAY_ID_SLOT)).join(shellQuote(id));
}
