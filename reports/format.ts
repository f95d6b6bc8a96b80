// Every sentence a person reads about a finding is written here, once: the engine and the judge
// produce data (core/api.ts), and the text, JUnit, SARIF, HTML and replay reports word it with
// these functions. Offsets are written one way everywhere — a byte range `[offset, +size)` and a
// cache line by its index, `line N`, the number replay ids use.
import type {
  EventRef,
  Failure,
  Finding,
  FindingClass,
  FixSuggestion,
  FixVerification,
  LostStore,
  PerfFinding,
  Report,
} from '../core/api.js';

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

/** What each class means and the change that usually fixes it, for SARIF rule help. */
export const CLASS_HELP: Record<FindingClass, string> = {
  'missing-flush': `${CLASS_DESCRIPTION['missing-flush']} Fix: flush the store's cache line (pmem_flush, or pmem_persist) before the fence that orders the stores depending on it, or persist the store right after writing it. pmfit names the line and the fence, and re-simulates the change to check it.`,
  'missing-fence': `${CLASS_DESCRIPTION['missing-fence']} Fix: add a fence (pmem_drain) after the flush, before the store that depends on it. pmfit names the flush and re-simulates the change to check it.`,
  ordering: `${CLASS_DESCRIPTION.ordering} Fix: persist the earlier store (flush, then a fence) before the later store is written, so it can never become durable first.`,
  'torn-write': `${CLASS_DESCRIPTION['torn-write']} Fix: publish with one aligned 8-byte store, or guard the data with a checksum or a valid flag written after it is durable.`,
  inconsistent: `${CLASS_DESCRIPTION.inconsistent} Fix: no persistency change applies; replay the witness and compare the expected and actual states.`,
  unclassified: `${CLASS_DESCRIPTION.unclassified} Fix: replay the witness to see which lost stores matter, and persist them before the stores that depend on them.`,
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

/** A byte range of the pool (several pool files: `data [192, +8)`). */
export function rangeText(offset: number, size: number, pool?: string): string {
  return `${pool !== undefined ? `${pool} ` : ''}[${offset}, +${size})`;
}

/** The cache lines a byte range touches: `line 5` or `lines 5-6`. */
export function linesText(offset: number, size: number): string {
  const first = Math.floor(offset / LINE_BYTES);
  const last = Math.floor((offset + Math.max(1, size) - 1) / LINE_BYTES);
  return first === last ? `line ${first}` : `lines ${first}-${last}`;
}

/** Where something in the trace comes from: `data.c:7`, `memcpy called at data.c:7`, `pc=0x401a2b`. */
export function siteText(e: { site?: string; via?: string; pc?: number }): string | undefined {
  if (e.site) return e.via ? `${e.via} called at ${e.site}` : e.site;
  return e.pc ? `pc=0x${e.pc.toString(16)}` : undefined;
}

/** `at data.c:7`, `by memcpy called at data.c:7`, `pc=0x401a2b`, or '' when nothing is known. */
export function atText(e: { site?: string; via?: string; pc?: number }): string {
  if (e.site) return e.via ? `by ${e.via} called at ${e.site}` : `at ${e.site}`;
  return e.pc ? `pc=0x${e.pc.toString(16)}` : '';
}

function whereText(e: { site?: string; via?: string; pc?: number }): string {
  const at = atText(e);
  return at ? ` ${at}` : '';
}

/** One event in one line: `#9 store [0, +8) line 0 = 0100000000000000 at file:29`. */
export function eventText(e: EventRef): string {
  const where = whereText(e);
  switch (e.kind) {
    case 'store': {
      const nt = e.variant === 'non-temporal' ? ' (non-temporal)' : '';
      const bytes = e.bytes !== undefined ? ` = ${e.bytes}${(e.size ?? 0) > 16 ? '…' : ''}` : '';
      return `#${e.seq} store${nt} ${rangeText(e.offset ?? 0, e.size ?? 0, e.pool)} ${linesText(e.offset ?? 0, e.size ?? 0)}${bytes}${where}`;
    }
    case 'flush':
      return `#${e.seq} ${e.variant ?? 'flush'} ${e.pool !== undefined ? `${e.pool} ` : ''}${linesText(e.offset ?? 0, 1)}${where}`;
    case 'fence':
      return `#${e.seq} ${e.variant === 'locked' ? 'locked instruction (fence)' : (e.variant ?? 'fence')}${where}`;
    case 'msync':
      return `#${e.seq} msync ${rangeText(e.offset ?? 0, e.size ?? 0, e.pool)} ${linesText(e.offset ?? 0, e.size ?? 0)}${where}`;
    case 'marker':
      return `#${e.seq} marker ${e.variant ?? ''}${e.name ? ` "${e.name}"` : ''}${where}`;
  }
}

/**
 * One store a finding lists: `#7 [120, +8) line 1 at file:15:40`; a torn store's part shows the
 * whole store too: `#3 [8, +8) of the 16-byte store [0, +16) line 0 at x.c:5`.
 */
export function storeText(s: LostStore): string {
  const torn = tornText(s);
  // `thread` is set only when the trace has several threads (image-builder.ts storesOf)
  const thread = s.thread !== undefined ? ` by thread ${s.thread}` : '';
  return `#${s.seq} ${rangeText(s.offset, s.size, s.pool)}${torn ? ` ${torn}` : ''} ${linesText(s.offset, s.size)}${thread}${whereText(s)}`;
}

/** The whole of a torn store whose part this is: `of the 16-byte store [0, +16)`; '' for a whole store. */
export function tornText(s: LostStore): string {
  return s.store && (s.store.offset !== s.offset || s.store.size !== s.size)
    ? `of the ${s.store.size}-byte store ${rangeText(s.store.offset, s.store.size)}`
    : '';
}

/** Said of a store listed as both lost and persisted early without its parts' ranges. */
export const TORN_NOTE = '(torn: part of it lost, part persisted)';

/** The stores a witness both lost and persisted early: torn, part in each list. */
export function tornSeqs(f: Pick<Finding, 'lostStores' | 'keptStores'>): Set<number> {
  const kept = new Set(f.keptStores.map((s) => s.seq));
  return new Set(f.lostStores.filter((s) => kept.has(s.seq)).map((s) => s.seq));
}

export const LOST_TITLE = 'lost (still pending at the crash)';
export const KEPT_TITLE = 'persisted early (kept before they were durable)';

/**
 * `and 3 more lost stores the bug does not depend on`, for a witness's stores left unlisted
 * (`3 lost stores …` when none of that list is listed).
 */
export function otherStoresText(count: number, lost: boolean, listed = true): string {
  const stores = count === 1 ? 'store' : 'stores';
  const more = listed ? `and ${count} more` : `${count}`;
  return lost
    ? `${more} lost ${stores} the bug does not depend on`
    : `${more} ${stores} persisted early the bug does not depend on`;
}

/**
 * The lost and persisted-early store lists, indented: the one place these lines are written. A
 * store torn across the two lists is listed in both, each part saying which part of which store it is.
 */
export function storeLines(
  f: Pick<Finding, 'lostStores' | 'keptStores'> & Partial<Pick<Finding, 'otherLost' | 'otherKept'>>,
  indent = '  ',
): string[] {
  const lines: string[] = [];
  const torn = tornSeqs(f);
  for (const [title, stores, others, lost] of [
    [LOST_TITLE, f.lostStores, f.otherLost ?? 0, true],
    [KEPT_TITLE, f.keptStores, f.otherKept ?? 0, false],
  ] as const) {
    if (stores.length === 0 && others === 0) continue;
    lines.push(`${indent}${title}:`);
    for (const s of stores)
      lines.push(`${indent}  ${storeText(s)}${torn.has(s.seq) && !tornText(s) ? ` ${TORN_NOTE}` : ''}`);
    if (others > 0) lines.push(`${indent}  ${otherStoresText(others, lost, stores.length > 0)}`);
  }
  return lines;
}

/** Where a finding is: `crash point 10 (instructions 10-10, after #9 store …)`. */
export function pointText(f: Pick<Finding, 'crashPoint' | 'icountFrom' | 'icountTo' | 'lastEvent'>): string {
  const after = f.lastEvent ? `after ${eventText(f.lastEvent)}` : 'before the first event';
  return `crash point ${f.crashPoint} (instructions ${f.icountFrom}-${f.icountTo}, ${after})`;
}

/** Inclusive ranges of crash points: `4-5, 9`; past `max` ranges, `…` ends the list. */
export function rangesText(ranges: ReadonlyArray<readonly [number, number]>, max = Number.POSITIVE_INFINITY): string {
  const parts = ranges.slice(0, max).map(([from, to]) => (from === to ? `${from}` : `${from}-${to}`));
  return `${parts.join(', ')}${ranges.length > max ? ', …' : ''}`;
}

/** Where a bug shows: `crash points 4-5, 9 (3 points)`, or `crash point 4`. */
export function crashPointsText(f: Pick<Finding, 'crashPoints' | 'pointCount'>): string {
  if (f.pointCount === 1 && f.crashPoints.length === 1) return `crash point ${f.crashPoints[0]![0]}`;
  return `crash points ${rangesText(f.crashPoints)} (${f.pointCount} points)`;
}

/** How much of the run the bug is: `at 2 crash points (4-5), 3 failing images`. */
export function extentText(f: Pick<Finding, 'crashPoints' | 'pointCount' | 'failingImages'>): string {
  const images = `${f.failingImages} failing image${f.failingImages === 1 ? '' : 's'}`;
  if (f.pointCount === 1 && f.crashPoints.length === 1) return `at crash point ${f.crashPoints[0]![0]}, ${images}`;
  return `at ${f.pointCount} crash points (${rangesText(f.crashPoints, 6)}), ${images}`;
}

/** What failed, with "the check failed:" before the check's own words. */
function failedText(failure: Failure): string {
  return failure.kind === 'check-failed' && failure.detail !== undefined
    ? `the check failed: ${failure.detail}`
    : failureText(failure);
}

/**
 * What failed, in one sentence, beside the label (which names the class, or how the check died;
 * then the class follows here): `the check failed: flag is set but data word 7 is 0`.
 */
export function findingSummary(f: Pick<Finding, 'class' | 'failure'>): string {
  const what = failedText(f.failure);
  return findingLabel(f) === f.class ? what : `${what} (the image shows ${f.class})`;
}

function joinAnd(items: readonly string[]): string {
  if (items.length <= 2) return items.join(' and ');
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

/**
 * Sites as one phrase, a library function's store by its caller: `at a.c:1 and b.c:2`,
 * `at a.c:1 and by memcpy called at c.c:3` (the `via` of the first store made at each site).
 */
function sitesPhrase(given: readonly string[], stores: readonly LostStore[]): string {
  const all = userSitesFirst(given);
  const sites = all.slice(0, MAX_SITES);
  const via = (site: string) => stores.find((s) => s.site === site && s.via)?.via;
  const plain = sites.filter((site) => !via(site));
  const phrases = [
    ...(plain.length > 0 ? [`at ${joinAnd(plain)}`] : []),
    ...sites.filter((site) => via(site)).map((site) => `by ${via(site)} called at ${site}`),
    ...(all.length > sites.length ? [moreSites(all.length - sites.length)] : []),
  ];
  return joinAnd(phrases);
}

/** A site that is a line of the user's source (`file:line`), not an address (`pc=0x…`). */
export function isUserSite(site: string): boolean {
  return !site.startsWith('pc=') && /:\d+(:\d+)?$/.test(site);
}

/** The user's lines first, addresses after, each kind in its order. */
export function userSitesFirst(sites: readonly string[]): string[] {
  return [...sites.filter(isUserSite), ...sites.filter((s) => !isUserSite(s))];
}

/** At most this many sites of one kind are named in a line; the rest are counted. */
const MAX_SITES = 4;

function moreSites(n: number): string {
  return `${n} more site${n === 1 ? '' : 's'}`;
}

/**
 * The sites a bug is identified by: `lost stores at data.c:7, persisted early at flag.c:9`. A site
 * whose store was torn (part lost, part persisted) is named once, as torn: `torn store at rec.c:5`.
 */
export function bugSitesText(f: Pick<Finding, 'sites' | 'lostStores' | 'keptStores'>): string {
  const tornStores = tornSeqs(f);
  const torn = f.sites.lost.filter(
    (site) =>
      f.sites.kept.includes(site) &&
      f.lostStores.some((s) => s.site === site && (tornText(s) || tornStores.has(s.seq))),
  );
  const lost = f.sites.lost.filter((site) => !torn.includes(site));
  const kept = f.sites.kept.filter((site) => !torn.includes(site));
  const parts: string[] = [];
  if (torn.length > 0) parts.push(`torn ${torn.length > 1 ? 'stores' : 'store'} ${sitesPhrase(torn, f.lostStores)}`);
  if (lost.length > 0) parts.push(`lost stores ${sitesPhrase(lost, f.lostStores)}`);
  if (kept.length > 0) parts.push(`persisted early ${sitesPhrase(kept, f.keptStores)}`);
  return parts.join(', ');
}

/**
 * A bug in one line, after its label: scenario, model, what failed, its sites, where it shows:
 * `flag-data (adr): the check failed: … — lost stores at data.c:7, persisted early at flag.c:9; at
 * 2 crash points (4-5), 3 failing images`.
 */
export function findingHeadline(f: Finding): string {
  const sites = bugSitesText(f);
  return `${f.scenario} (${f.model}): ${findingSummary(f)}${sites ? ` — ${sites}` : ''}; ${extentText(f)}`;
}

/** A bug named briefly: `missing-flush at binarytree.c:121` (the file's base name; no counts). */
export function bugBrief(f: Pick<Finding, 'class' | 'failure' | 'sites'>): string {
  const site = userSitesFirst([...f.sites.lost, ...f.sites.kept])[0];
  return `${findingLabel(f)}${site ? ` at ${site.replace(/^.*[\\/]/, '')}` : ''}`;
}

/** A bug's name that stays the same across runs: `missing-flush at data.c:7, flag.c:9` (no counts, no points). */
export function bugName(f: Pick<Finding, 'class' | 'failure' | 'sites'>): string {
  // The user's lines name it; addresses only when it has none (they move with every build).
  const given = [...new Set([...f.sites.lost, ...f.sites.kept])];
  const all = given.some(isUserSite) ? given.filter(isUserSite) : given;
  const sites = [...all.slice(0, MAX_SITES), ...(all.length > MAX_SITES ? [moreSites(all.length - MAX_SITES)] : [])];
  return `${findingLabel(f)}${sites.length > 0 ? ` at ${sites.join(', ')}` : ''}`;
}

function anchorText(e: EventRef | undefined, what: string): string {
  if (!e) return `the next ${what}`;
  const at = atText(e);
  return at ? `the ${what} ${at}` : `the ${what} #${e.seq}`;
}

/** The fix pmfit suggests, as one sentence: `fix: flush the line written at data.c:7 (…) before the fence at flag.c:10`. */
export function fixText(fix: FixSuggestion): string {
  const many = fix.stores.length > 1;
  switch (fix.kind) {
    case 'flush': {
      const lines = fix.lines.length > 1 ? 'lines' : 'line';
      return `fix: flush the ${lines} written ${storesAt(fix.stores)} (pmem_flush or pmem_persist) before ${anchorText(fix.anchor, 'fence')}`;
    }
    case 'persist':
      return `fix: persist the ${many ? 'stores' : 'store'} ${storesAt(fix.stores)} right after ${many ? 'them' : 'it'} (pmem_persist, or flush + fence)`;
    case 'fence': {
      const after = fix.anchor?.kind === 'store' ? 'non-temporal store' : 'flush';
      if (fix.before)
        return `fix: persist the ${many ? 'stores' : 'store'} ${storesAt(fix.stores)} before the store ${atText(fix.before) || `#${fix.before.seq}`} (a fence after ${anchorText(fix.anchor, after)})`;
      return `fix: add a fence (pmem_drain) after ${anchorText(fix.anchor, after)}`;
    }
    case 'atomic':
      return `fix: the ${many ? 'stores' : 'store'} ${storesAt(fix.stores)} ${many ? 'are' : 'is'} torn: publish with one aligned 8-byte store, or guard with a checksum/valid flag`;
  }
}

/** `at data.c:7`, `at a.c:1 and by memcpy called at data.c:7`: where the stores were written. */
function storesAt(stores: readonly LostStore[]): string {
  const sites = [...new Set(stores.flatMap((s) => (s.site ? [s.site] : [])))];
  const unsited = [...new Set(stores.filter((s) => !s.site).map((s) => atText(s) || `#${s.seq}`))];
  return joinAnd([...(sites.length > 0 ? [sitesPhrase(sites, stores)] : []), ...unsited]);
}

/** Whether re-simulating the change made the bug's failing images pass. */
export function verificationText(v: FixVerification): string {
  switch (v.status) {
    case 'verified':
      return v.images === 1
        ? 'verified: the failing image passes with this change'
        : `verified: the ${v.images} failing images pass with this change`;
    case 'not-sufficient':
      return `not sufficient: ${v.passed} of ${v.images} failing images pass with this change`;
    case 'not-checked':
      return `not verified: ${v.reason}`;
  }
}

/** The fix and its verification as lines (none when no persistency change applies). */
export function fixLines(f: Pick<Finding, 'fix'>, indent = '  '): string[] {
  return f.fix ? [`${indent}${fixText(f.fix)}`, `${indent}${verificationText(f.fix.verification)}`] : [];
}

/** The whole bug as text: the text report's entry and JUnit's failure body. */
export function findingText(f: Finding): string {
  const lines = [`FINDING [${findingLabel(f)}] ${findingHeadline(f)}`];
  lines.push(...fixLines(f));
  if (f.pointCount > 1) lines.push(`  ${crashPointsText(f)}`);
  lines.push(`  witness: ${pointText(f)}`);
  if (f.expected !== undefined) lines.push('  expected:', indent(f.expected || '(no output)', 4));
  if (f.actual !== undefined) lines.push('  actual:', indent(f.actual || '(no output)', 4));
  lines.push(...storeLines(f));
  lines.push(`  replay: ${f.replayCommand}`);
  return lines.join('\n');
}

/** A lint entry in one line: `[idle-fence] ×66 fence with no flush … at f.c:12 (first: #2 sfence)`. */
export function perfText(p: PerfFinding): string {
  const first = eventText({ ...p.event, site: undefined, via: undefined, pc: undefined } as EventRef);
  const library = p.library ? 'library code; ' : '';
  return `[${p.kind}] ×${p.count} ${PERF_DESCRIPTION[p.kind]}${whereText(p.event)} (${library}first: ${first})`;
}

/** The lints left out of a report: `66 lint entries from library code not shown (--lint all)`. */
export function libraryLintsText(count: number): string {
  return `${count} lint ${count === 1 ? 'entry' : 'entries'} from library code not shown (--lint all)`;
}

/** `3 bugs`, `1 bug`. */
export function bugCount(n: number): string {
  return `${n} bug${n === 1 ? '' : 's'}`;
}

/**
 * The `--quiet` line: `pmfit: inconsistent: 1 bug (missing-flush at binarytree.c:121) in 1 scenario
 * run; 40 crash points, 12 distinct images checked`. Up to 3 bugs are named, past that the first two.
 */
export function quietLine(report: Report): string {
  const s = report.summary;
  const bugs = report.findings;
  const named = bugs.length <= 3 ? bugs.map(bugBrief) : [...bugs.slice(0, 2).map(bugBrief), '…'];
  const list = named.length > 0 ? ` (${named.join(', ')})` : '';
  const runs = `${report.results.length} scenario run${report.results.length === 1 ? '' : 's'}`;
  const incomplete = report.incomplete ? ' (interrupted: incomplete)' : '';
  return `pmfit: ${s.verdict}: ${bugCount(s.findings)}${list} in ${runs}; ${s.crashPoints} crash points, ${s.distinctImages} distinct images checked${incomplete}`;
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
