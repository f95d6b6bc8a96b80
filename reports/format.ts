// Every sentence a person reads about a finding is written here, once: the engine and the judge
// produce data (core/api.ts), and the text, JUnit, SARIF, HTML and replay reports word it with
// these functions. Offsets are written one way everywhere — a byte range `[offset, +size)` and a
// cache line by its index, `line N`, the number replay ids use.
import type { EventRef, Failure, Finding, FindingClass, LostStore, PerfFinding } from '../core/api.js';

const LINE_BYTES = 64;

/** What each class means, for rule help and legends. */
export const CLASS_DESCRIPTION: Record<FindingClass, string> = {
  'missing-flush':
    'A store was still pending in the cache at the crash: its line was never flushed before a later store depending on it became durable.',
  'missing-fence': 'A flushed store was not yet durable at the crash: no fence ordered it before a later store.',
  ordering: 'Stores became durable in an order the recovery code does not tolerate.',
  'torn-write': 'A store wider than 8 bytes (or unaligned) was only partly durable at the crash.',
  inconsistent: 'The recovery check judged a crash image inconsistent although it lost no store (a logic bug).',
  unclassified: 'A crash image that lost stores failed its check, in no pattern pmfit names.',
};

export const PERF_DESCRIPTION: Record<PerfFinding['kind'], string> = {
  'redundant-flush': 'line flushed again with no store since the last flush',
  'clean-flush': 'flush of a line with no pending store',
  'idle-fence': 'fence with no flush or non-temporal store to order',
  'never-durable': 'store never made durable by the end of the snippet',
};

/** The finding's short label: its class, or how the check died when it died (`crash:SIGSEGV`). */
export function findingLabel(f: Pick<Finding, 'class' | 'failure'>): string {
  switch (f.failure.kind) {
    case 'check-crashed':
      return `crash:${f.failure.signal}`;
    case 'check-timed-out':
      return 'timeout';
    case 'check-error':
      return 'unknown';
    default:
      return f.class;
  }
}

/** What failed, in one clause. */
export function failureText(failure: Failure): string {
  switch (failure.kind) {
    case 'check-failed':
      return failure.detail ?? 'the check reported an inconsistent state';
    case 'check-crashed':
      return `the check was killed by ${failure.signal}`;
    case 'check-timed-out':
      return `the check timed out${(failure.attempts ?? 1) > 1 ? ' twice' : ''}${failure.limitMs !== undefined ? ` (${failure.limitMs} ms)` : ''}`;
    case 'check-error':
      return `the check could not give a verdict: ${failure.error}`;
    case 'not-before-or-after':
      return 'the state is neither the one before the snippet nor the one after it';
    case 'not-at-boundary':
      return 'the state is not the one at any operation boundary between the last durable operation and the crash';
  }
}

/** A byte range of the pool. */
export function rangeText(offset: number, size: number): string {
  return `[${offset}, +${size})`;
}

/** The cache lines a byte range touches: `line 5` or `lines 5-6`. */
export function linesText(offset: number, size: number): string {
  const first = Math.floor(offset / LINE_BYTES);
  const last = Math.floor((offset + Math.max(1, size) - 1) / LINE_BYTES);
  return first === last ? `line ${first}` : `lines ${first}-${last}`;
}

function whereText(e: { site?: string; pc?: number }): string {
  return e.site ? ` at ${e.site}` : e.pc ? ` pc=0x${e.pc.toString(16)}` : '';
}

/** One event in one line: `#9 store [0, +8) line 0 = 0100000000000000 at file:29`. */
export function eventText(e: EventRef): string {
  const where = whereText(e);
  switch (e.kind) {
    case 'store': {
      const nt = e.variant === 'non-temporal' ? ' (non-temporal)' : '';
      const bytes = e.bytes !== undefined ? ` = ${e.bytes}${(e.size ?? 0) > 16 ? '…' : ''}` : '';
      return `#${e.seq} store${nt} ${rangeText(e.offset ?? 0, e.size ?? 0)} ${linesText(e.offset ?? 0, e.size ?? 0)}${bytes}${where}`;
    }
    case 'flush':
      return `#${e.seq} ${e.variant ?? 'flush'} ${linesText(e.offset ?? 0, 1)}${where}`;
    case 'fence':
      return `#${e.seq} ${e.variant === 'locked' ? 'locked instruction (fence)' : (e.variant ?? 'fence')}${where}`;
    case 'msync':
      return `#${e.seq} msync ${rangeText(e.offset ?? 0, e.size ?? 0)} ${linesText(e.offset ?? 0, e.size ?? 0)}${where}`;
    case 'marker':
      return `#${e.seq} marker ${e.variant ?? ''}${e.name ? ` "${e.name}"` : ''}${where}`;
  }
}

/** One store a finding lists: `#7 [120, +8) line 1 at file:15:40`. */
export function storeText(s: LostStore): string {
  return `#${s.seq} ${rangeText(s.offset, s.size)} ${linesText(s.offset, s.size)}${whereText(s)}`;
}

export const LOST_TITLE = 'lost (still pending at the crash)';
export const KEPT_TITLE = 'persisted early (kept before they were durable)';

/** The lost and persisted-early store lists, indented: the one place these lines are written. */
export function storeLines(f: Pick<Finding, 'lostStores' | 'keptStores'>, indent = '  '): string[] {
  const lines: string[] = [];
  for (const [title, stores] of [
    [LOST_TITLE, f.lostStores],
    [KEPT_TITLE, f.keptStores],
  ] as const) {
    if (stores.length === 0) continue;
    lines.push(`${indent}${title}:`);
    for (const s of stores) lines.push(`${indent}  ${storeText(s)}`);
  }
  return lines;
}

/** Where a finding is: `crash point 10 (instructions 10-10, after #9 store …)`. */
export function pointText(f: Pick<Finding, 'crashPoint' | 'icountFrom' | 'icountTo' | 'lastEvent'>): string {
  const after = f.lastEvent ? `after ${eventText(f.lastEvent)}` : 'before the first event';
  return `crash point ${f.crashPoint} (instructions ${f.icountFrom}-${f.icountTo}, ${after})`;
}

/**
 * What failed, in one sentence, beside the label (which names the class, or how the check died;
 * then the class follows here): `flag is set but data word 7 is 0`.
 */
export function findingSummary(f: Pick<Finding, 'class' | 'failure'>): string {
  const what = failureText(f.failure);
  return findingLabel(f) === f.class ? what : `${what} (the image shows ${f.class})`;
}

/** A finding in one line, after its label: scenario, where, what. */
export function findingHeadline(f: Finding): string {
  return `${f.scenario} (${f.model}) at ${pointText(f)}: ${findingSummary(f)}`;
}

/** The whole finding as text: the text report's entry and JUnit's failure body. */
export function findingText(f: Finding): string {
  const lines = [`FINDING [${findingLabel(f)}] ${findingHeadline(f)}`];
  if (f.expected !== undefined) lines.push('  expected:', indent(f.expected || '(no output)', 4));
  if (f.actual !== undefined) lines.push('  actual:', indent(f.actual || '(no output)', 4));
  lines.push(...storeLines(f));
  lines.push(`  replay: ${f.replayCommand}`);
  return lines.join('\n');
}

/** A performance finding in one line. */
export function perfText(p: PerfFinding): string {
  return `[${p.kind}] ${PERF_DESCRIPTION[p.kind]}: ${eventText(p.event)}`;
}

export function indent(text: string, by = 2): string {
  const pad = ' '.repeat(by);
  return text
    .split('\n')
    .map((l) => pad + l)
    .join('\n');
}

export function percentText(f: number): string {
  return f >= 1 ? '100%' : `${(f * 100).toPrecision(3)}%`;
}
