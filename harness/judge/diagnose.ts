// Re-simulation: what each candidate bug really depends on, found by rebuilding crash images from
// the recorded trace and running the check on them again (README, "One finding per bug").
//  1. The witness is minimised: each line it lost is kept whole while the image still fails (first
//     everything, then halves, then line by line), and a line it kept only in part is lost whole
//     when that still fails — so a missing flush inside a memcpy is not mistaken for a torn store.
//  2. The stores it persisted early that matter are found by losing them too: a kept line whose
//     loss makes the image pass is one the bug depends on (searched by halves).
//  3. A store still torn (part kept, part lost) is a torn write only if losing it whole makes the
//     image pass; otherwise the image loses it whole and the class is that of the lost store.
//  4. The fix for the class is inserted into the trace (a flush before a fence, a fence after a
//     flush, or flush + fence right after the store), every failing image of the bug is rebuilt from
//     the changed trace under the same model and checked: verified only if all of them pass.
import type {
  CheckOutcome,
  Checker,
  FindingClass,
  FixSuggestion,
  FixVerification,
  LostStore,
  RunLog,
  Trace,
  TraceEvent,
  Verdict,
} from '../../core/api.js';
import { EventKind, type EventTable } from '../../core/trace/event-table.js';
import { classify } from '../engine/classify.js';
import { eventRef } from '../engine/crash-points.js';
import { CrashImageComposer } from '../engine/model/crash-image.js';
import { storesOf } from '../engine/model/image-builder.js';
import { hashImage, paddedImage } from '../engine/model/image-hash.js';
import { type PendingUnit, PersistencyTracker } from '../engine/model/persistency-tracker.js';
import { lineOf } from '../engine/model/units.js';
import { allowedBoundaries, operationBoundaries } from '../engine/ops-boundaries.js';
import { formatReplayId, parseReplayId } from '../engine/replay-id.js';
import {
  type CandidateBug,
  type DiagnosedBug,
  type FailingImage,
  identity,
  siteOf,
  undiagnosed,
  withWindows,
  witnessOf,
} from './bugs.js';
import { verdictFor } from './verdicts.js';

export interface DiagnoseContext {
  trace: Trace;
  /** The pool before the snippet, exactly the pool file's size. */
  initial: Buffer;
  checker: Checker;
  /** Checks kept in flight at once when images are independent (verification). */
  inFlight: number;
  /** Where each stretch of points failing with nothing lost begins (bugs.ts windowsOf). */
  windowOf?: (point: number) => string;
}

/** Lines tried one by one when minimising a witness, and kept lines tested as early persists. */
const MAX_LINE_TRIALS = 64;
/** Failing images of one bug rebuilt to verify a fix (the first ones in crash-point order). */
export const MAX_VERIFIED_IMAGES = 1024;
/** Candidate bugs re-simulated per run (the first, smallest ones); the rest keep their smallest image. */
export const MAX_DIAGNOSED_BUGS = 256;
/** The stores listed per witness; the rest are counted. */
const MAX_LISTED = 64;

/** Kept pending units per pending line, every pending line listed. */
type Selection = Map<number, number>;

type Judged = 'fails' | 'passes' | 'unknown';

/** Diagnoses every candidate bug; a bug whose images cannot be re-simulated keeps its seed as witness. */
export async function diagnoseBugs(
  log: RunLog,
  candidates: readonly CandidateBug[],
  ctx: DiagnoseContext,
): Promise<DiagnosedBug[]> {
  const out: DiagnosedBug[] = [];
  const boundaries = log.oracle === 'ops' ? operationBoundaries(ctx.trace.events) : [];
  for (const [i, candidate] of candidates.entries()) {
    // Each diagnosis walks the trace again: past a bound, the smallest images speak for themselves.
    const diagnosed = i < MAX_DIAGNOSED_BUGS ? await diagnoseOne(log, candidate, ctx, boundaries) : undefined;
    out.push(diagnosed ?? undiagnosed(candidate));
  }
  if (ctx.windowOf) withWindows(out, ctx.windowOf);
  await foldSubsumedBugs(out);
  await verifyMergedFixes(out);
  return out;
}

/**
 * A bug whose witness loses everything another bug's witness loses (and more, or as much when the
 * other came first), of the same class, is that bug when the other's fix makes its failing images
 * pass too: the same missing flush seen in a larger image (a node written twice, an allocator line
 * lost alongside). It takes the other bug's identity, so the two become one finding and the fix is verified on both's images.
 * Candidates are cut from the log before re-simulation, on the images the strategy generated; a
 * strategy that does not generate every smallest image (extremes) leaves such pairs.
 */
async function foldSubsumedBugs(diagnosed: DiagnosedBug[]): Promise<void> {
  const sitesOfBug = new Map(diagnosed.map((b) => [b, new Set(b.lostStores.map(siteOf))]));
  // `into` can take in `bug`: its verified fix, its class, and lost sites all among bug's
  const covers = (into: DiagnosedBug, bug: DiagnosedBug): boolean => {
    const own = sitesOfBug.get(into)!;
    const theirs = sitesOfBug.get(bug)!;
    return (
      into.refix !== undefined &&
      into.fix?.verification.status === 'verified' &&
      into.class === bug.class &&
      into.verdict.status === bug.verdict.status &&
      own.size > 0 &&
      [...own].every((site) => theirs.has(site)) &&
      identity(into) !== identity(bug)
    );
  };
  for (const [i, bug] of diagnosed.entries()) {
    for (const [j, into] of diagnosed.entries()) {
      // a bug with fewer lost sites, or as many and earlier
      const fewer = sitesOfBug.get(into)!.size < sitesOfBug.get(bug)!.size;
      if (j === i || (!fewer && j > i) || !covers(into, bug)) continue;
      const fix = await into.refix!({ seed: bug.candidate.seed, members: bug.candidate.members });
      if (fix.verification.status !== 'verified') continue;
      Object.assign(bug, {
        lostStores: into.lostStores,
        keptStores: into.keptStores,
        otherLost: into.otherLost,
        otherKept: into.otherKept,
        lostLines: into.lostLines,
        lostUnits: into.lostUnits,
        fix: into.fix,
        refix: into.refix,
      });
      sitesOfBug.set(bug, sitesOfBug.get(into)!);
      break;
    }
  }
}

/**
 * Diagnosed bugs of one identity become one finding (bugs.ts, toFindings), whose fix is its
 * witness's: verify it again on the failing images of them all, not only on the witness's own
 * candidate's (issue 10: the fix is verified on every failing image of the bug).
 */
async function verifyMergedFixes(diagnosed: readonly DiagnosedBug[]): Promise<void> {
  const groups = new Map<string, DiagnosedBug[]>();
  for (const bug of diagnosed) groups.set(identity(bug), [...(groups.get(identity(bug)) ?? []), bug]);
  for (const group of groups.values()) {
    if (group.length < 2) continue;
    const witness = witnessOf(group);
    if (!witness.refix) continue;
    const seeds = new Set(group.map((b) => b.candidate.seed.key));
    const members = new Map<string, FailingImage>();
    const shared = new Map<string, string[]>();
    for (const bug of group) {
      for (const m of bug.candidate.members) members.set(m.key, m);
      // still shared only with a bug outside this group
      for (const [key, others] of bug.candidate.shared ?? []) {
        const outside = others.filter((o) => !seeds.has(o));
        if (outside.length > 0) shared.set(key, outside);
      }
    }
    witness.fix = await witness.refix({
      seed: witness.candidate.seed,
      members: [...members.values()],
      ...(shared.size > 0 ? { shared } : {}),
    });
  }
}

/**
 * A walk over the trace with a tracker, and changes (`inserts`: events applied just before the
 * original event at that position) — the simulated fix. A crash point at an insert's position is
 * the state after the inserted events.
 */
class Walk {
  private tracker!: PersistencyTracker;
  /** Original events applied, and whether the inserts at that position were applied too. */
  private applied = 0;
  private insertsApplied = false;
  private readonly padded: Buffer;

  constructor(
    private readonly trace: Trace,
    private readonly initial: Buffer,
    private readonly inserts: ReadonlyMap<number, readonly TraceEvent[]> = new Map(),
  ) {
    this.padded = paddedImage(initial);
    this.reset();
  }

  private reset(): void {
    this.tracker = new PersistencyTracker(this.padded, hashImage(this.padded));
    this.applied = 0;
    this.insertsApplied = false;
  }

  to(point: number): PersistencyTracker {
    if (point < this.applied) this.reset();
    for (;;) {
      if (!this.insertsApplied) {
        for (const e of this.inserts.get(this.applied) ?? []) this.tracker.apply(e);
        this.insertsApplied = true;
      }
      if (this.applied === point) return this.tracker;
      this.tracker.applyAt(this.trace.events, this.applied);
      this.applied++;
      this.insertsApplied = false;
    }
  }

  pending(): ReadonlyMap<number, readonly PendingUnit[]> {
    return this.tracker.pendingLines;
  }

  image(selection: ReadonlyMap<number, number>): Buffer {
    return Buffer.from(CrashImageComposer.of(this.tracker).build(selection).subarray(0, this.initial.length));
  }
}

async function diagnoseOne(
  log: RunLog,
  candidate: CandidateBug,
  ctx: DiagnoseContext,
  boundaries: readonly number[],
): Promise<DiagnosedBug | undefined> {
  const seed = candidate.seed;
  // eadr images lose nothing (the class is already `inconsistent`), and an image the check could
  // not judge says nothing to minimise against.
  if (log.model === 'eadr' || seed.verdict.status === 'unknown') return undefined;
  // The ops oracle judges an image by its point: re-simulate only where the image was first seen.
  if (seed.points[0] !== seed.image.firstPoint) return undefined;
  const point = seed.image.firstPoint;
  const choice = parseReplayId(seed.image.replayId);
  const walk = new Walk(ctx.trace, ctx.initial);
  const tracker = walk.to(point);
  const allowed = boundaries.length > 0 ? allowedBoundaries(boundaries, point, tracker) : undefined;
  const pending = walk.pending();
  let last: Verdict | undefined;
  const judgeImage = async (selection: Selection): Promise<Judged> => {
    const verdict = verdictFor(log, await ctx.checker.check(walk.image(selection)), allowed);
    if (verdict.status === 'consistent') return 'passes';
    if (verdict.status === 'unknown') return 'unknown';
    last = verdict;
    return 'fails';
  };

  let selection: Selection = new Map();
  for (const [line, units] of pending)
    selection.set(line, choice.kept.get(line) ?? (choice.rest === 'all' ? units.length : 0));
  const first = await judgeImage(selection);
  if (first !== 'fails') return undefined;
  const witnessVerdict = () => last as Exclude<Verdict, { status: 'consistent' }>;

  // 1. Minimise what is lost: keep lost lines whole while it still fails.
  const lostLines = () => [...selection].filter(([line, k]) => k < pending.get(line)!.length).map(([line]) => line);
  const keepWhole = (lines: readonly number[]) => {
    const next = new Map(selection);
    for (const line of lines) next.set(line, pending.get(line)!.length);
    return next;
  };
  const tryChange = async (next: Selection): Promise<Judged> => {
    const judged = await judgeImage(next);
    if (judged === 'fails') selection = next;
    return judged;
  };
  let lost = lostLines();
  if (lost.length > 0 && (await tryChange(keepWhole(lost))) === 'unknown') return undefined;
  lost = lostLines();
  while (lost.length > 8) {
    const half = lost.slice(0, lost.length >> 1);
    const rest = lost.slice(lost.length >> 1);
    const a = await tryChange(keepWhole(half));
    if (a === 'unknown') return undefined;
    if (a === 'fails') {
      lost = lostLines();
      continue;
    }
    const b = await tryChange(keepWhole(rest));
    if (b === 'unknown') return undefined;
    if (b !== 'fails') break;
    lost = lostLines();
  }
  for (const line of lostLines().slice(0, MAX_LINE_TRIALS)) {
    if ((await tryChange(keepWhole([line]))) === 'unknown') return undefined;
  }
  // A line kept in part: lose it whole if that still fails (a loss, not a tear).
  for (const line of lostLines()) {
    if (selection.get(line)! > 0 && (await tryChange(new Map(selection).set(line, 0))) === 'unknown') return undefined;
  }

  // 2. The early persists the failure depends on: kept lines whose loss makes the image pass (none
  // when the image fails losing nothing: that is a logic or atomicity bug, not an early persist).
  const nothingLost = lostLines().length === 0;
  const keptLines = nothingLost ? [] : [...selection].filter(([, k]) => k > 0).map(([line]) => line);
  const culprits = await findCulprits(keptLines, async (lines) => {
    const next = new Map(selection);
    for (const line of lines) next.set(line, 0);
    return judgeImage(next);
  });
  if (culprits === undefined) return undefined;
  // judgeImage recorded the verdict of the last failing trial; the witness's own is wanted
  if ((await judgeImage(selection)) !== 'fails') return undefined;

  // 3. A torn store is torn only if losing it whole passes.
  const split = () => splitUnits(pending, selection);
  for (const seq of tornStores(split())) {
    const whole = storeWhole(pending, selection, seq, 'lost');
    if ((await judgeImage(whole)) === 'fails') selection = whole;
  }
  if ((await judgeImage(selection)) !== 'fails') return undefined;
  const verdict = witnessVerdict();

  const { kept, lost: lostUnits } = split();
  const culpritSet = new Set(culprits.lines);
  const early = kept.filter((u) => culpritSet.has(lineOf(u.offset)));
  const cls = classify(early.length > 0 ? early : kept, lostUnits);
  const lostStores = storesOf(lostUnits, ctx.trace, MAX_LISTED);
  const keptStores = storesOf(early, ctx.trace, MAX_LISTED);
  const allKept = distinctSeqs(kept);
  const units = new Map([...pending].map(([line, u]) => [line, u.length]));
  const diagnosed: DiagnosedBug = {
    candidate,
    class: cls,
    point,
    replayId: formatReplayId({ model: 'adr', point, kept: selection }, units),
    verdict,
    lostStores,
    keptStores,
    otherLost: 0,
    otherKept: allKept - distinctSeqs(early),
    lostLines: new Set(lostUnits.map((u) => lineOf(u.offset))).size,
    lostUnits: lostUnits.length,
  };
  const suggest = fixFor(log, ctx, boundaries, {
    class: cls,
    point,
    selection,
    lost: lostUnits,
    early,
    witnessKept: kept,
  });
  if (suggest) {
    diagnosed.fix = await suggest(candidate);
    diagnosed.refix = suggest;
  }
  return diagnosed;
}

/**
 * A smallest set of kept lines whose loss, together, makes the image pass: start from all of them
 * (if losing them all still fails, the failure depends on no early persist), then keep back halves,
 * then single lines, while the loss of the rest still passes. `complete` is false when the search
 * was cut short (too many lines to try one by one).
 */
async function findCulprits(
  lines: readonly number[],
  lose: (lines: readonly number[]) => Promise<Judged>,
): Promise<{ lines: number[]; complete: boolean } | undefined> {
  if (lines.length === 0) return { lines: [], complete: true };
  const all = await lose(lines);
  if (all === 'unknown') return undefined;
  if (all === 'fails') {
    // Losing every kept line may fail for another reason — another bug whose data is among them
    // (issue 10: two bugs at one crash point) — so a kept line whose loss alone makes the image
    // pass is still one this failure depends on.
    const alone: number[] = [];
    for (const line of lines.slice(0, MAX_LINE_TRIALS)) {
      const judged = await lose([line]);
      if (judged === 'unknown') return undefined;
      if (judged === 'passes') alone.push(line);
    }
    return { lines: alone, complete: lines.length <= MAX_LINE_TRIALS };
  }
  let set = [...lines];
  const tryWithout = async (drop: ReadonlySet<number>): Promise<Judged> => {
    const rest = set.filter((l) => !drop.has(l));
    const judged = await lose(rest);
    if (judged === 'passes') set = rest;
    return judged;
  };
  while (set.length > 8) {
    const half = set.length >> 1;
    const a = await tryWithout(new Set(set.slice(0, half)));
    if (a === 'unknown') return undefined;
    if (a === 'passes') continue;
    const b = await tryWithout(new Set(set.slice(half)));
    if (b === 'unknown') return undefined;
    if (b !== 'passes') break;
  }
  const complete = set.length <= MAX_LINE_TRIALS;
  for (const line of set.slice(0, MAX_LINE_TRIALS)) {
    if ((await tryWithout(new Set([line]))) === 'unknown') return undefined;
  }
  return { lines: set.sort((a, b) => a - b), complete };
}

function splitUnits(
  pending: ReadonlyMap<number, readonly PendingUnit[]>,
  selection: ReadonlyMap<number, number>,
): { kept: PendingUnit[]; lost: PendingUnit[] } {
  const kept: PendingUnit[] = [];
  const lost: PendingUnit[] = [];
  for (const [line, units] of pending) {
    const k = selection.get(line) ?? 0;
    units.forEach((u, i) => (i < k ? kept : lost).push(u));
  }
  return { kept, lost };
}

function tornStores(split: { kept: readonly PendingUnit[]; lost: readonly PendingUnit[] }): number[] {
  const kept = new Set(split.kept.map((u) => u.seq));
  return [...new Set(split.lost.filter((u) => kept.has(u.seq)).map((u) => u.seq))].sort((a, b) => a - b);
}

/**
 * The selection with store `seq` whole on every line it touches: every unit of it kept (and, lines
 * persisting in prefixes, what precedes it there) or every unit of it lost (and what follows it).
 */
function storeWhole(
  pending: ReadonlyMap<number, readonly PendingUnit[]>,
  selection: ReadonlyMap<number, number>,
  seq: number,
  how: 'kept' | 'lost',
): Selection {
  const next = new Map(selection);
  for (const [line, units] of pending) {
    let first = -1;
    let last = -1;
    units.forEach((u, i) => {
      if (u.seq !== seq) return;
      if (first < 0) first = i;
      last = i;
    });
    if (first < 0) continue;
    const k = next.get(line) ?? 0;
    next.set(line, how === 'lost' ? Math.min(k, first) : Math.max(k, last + 1));
  }
  return next;
}

function distinctSeqs(units: readonly PendingUnit[]): number {
  return new Set(units.map((u) => u.seq)).size;
}

interface Witness {
  class: FindingClass;
  point: number;
  selection: Selection;
  lost: PendingUnit[];
  /** Kept units the failure depends on. */
  early: PendingUnit[];
  witnessKept: PendingUnit[];
}

/** One change to try: the suggestion as data, and the events it inserts where. */
interface Change {
  suggestion: Omit<FixSuggestion, 'verification'>;
  inserts: Map<number, TraceEvent[]>;
}

/**
 * The fix for the witness's class, as a function that verifies it on a bug's failing images (the
 * witness's own candidate's, or those of every bug merged with it); a stronger change is tried
 * when it is not enough. A change is made where the source would be changed: at every place the
 * trace runs the sites involved (each run of consecutive stores from the bug's lost sites, each
 * flush from the anchor's site), not only at the witness's crash point — the bug's other failing
 * images are other runs of the same code.
 */
function fixFor(
  log: RunLog,
  ctx: DiagnoseContext,
  boundaries: readonly number[],
  witness: Witness,
): ((candidate: CandidateBug) => Promise<FixSuggestion>) | undefined {
  const events = ctx.trace.events;
  if (witness.class === 'torn-write') {
    const seqs = tornStores({ kept: witness.witnessKept, lost: witness.lost });
    const torn = witness.lost.filter((u) => seqs.includes(u.seq));
    const stores = storesOf(torn, ctx.trace, MAX_LISTED).map((s) => wholeStore(s, events));
    return async (candidate) => ({
      kind: 'atomic',
      stores,
      lines: linesOf(torn),
      verification: await verifyAtomic(log, candidate, ctx, boundaries, seqs),
    });
  }
  if (!['missing-flush', 'missing-fence', 'ordering'].includes(witness.class) || witness.lost.length === 0)
    return undefined;
  const lostStores = storesOf(witness.lost, ctx.trace, MAX_LISTED);
  const lostSites = new Set(lostStores.map(siteOf));
  const before = witness.early.length > 0 ? storesOf(witness.early, ctx.trace, 1)[0] : undefined;
  const runs = storeRuns(events, (i) => lostSites.has(siteOfEvent(events, i)));
  const changes: Change[] = [];
  if (witness.class === 'missing-flush') {
    const unflushed = witness.lost.filter((u) => !u.flushing && !u.nonTemporal);
    const lastUnflushed = Math.max(...unflushed.map((u) => u.seq));
    // a fence orders its own thread's flushes only: the next fence of the thread that stored
    const fenceAt = nextFence(events, lastUnflushed, events.thread(lastUnflushed));
    if (fenceAt >= 0) {
      // Flush each run's lines before the next fence of its thread after it.
      const inserts = new Map<number, TraceEvent[]>();
      for (const run of runs) {
        const next = nextFence(events, run.last, run.thread);
        if (next >= 0) add(inserts, next, flushEvents(run.lines, next, run.thread));
      }
      changes.push({
        suggestion: {
          kind: 'flush',
          stores: storesOf(unflushed, ctx.trace, MAX_LISTED),
          lines: linesOf(unflushed),
          anchor: eventRef(events.get(fenceAt)),
        },
        inserts,
      });
    }
  } else {
    // missing-fence, ordering: a fence after the flush of the lost store (after each flush from its
    // site), or after the non-temporal store (after each run of them).
    const latest = witness.lost.reduce((a, u) => (anchorOf(u) > anchorOf(a) ? u : a));
    const anchor = events.get(anchorOf(latest));
    const inserts = new Map<number, TraceEvent[]>();
    if (anchor.kind === 'flush') {
      const place = siteOf(anchor);
      for (let i = 0; i < events.length; i++)
        if (events.kind(i) === EventKind.flush && siteOfEvent(events, i) === place)
          add(inserts, i + 1, [fenceEvent(i + 1, events.thread(i))]);
    } else {
      for (const run of runs) add(inserts, run.last + 1, [fenceEvent(run.last + 1, run.thread)]);
    }
    changes.push({
      suggestion: {
        kind: 'fence',
        stores: lostStores,
        lines: linesOf(witness.lost),
        anchor: eventRef(anchor),
        ...(witness.class === 'ordering' && before ? { before } : {}),
      },
      inserts,
    });
  }
  // The strong change: persist (flush + fence) right after each run of the lost sites' stores.
  const persist = new Map<number, TraceEvent[]>();
  for (const run of runs)
    add(persist, run.last + 1, [
      ...flushEvents(run.lines, run.last + 1, run.thread),
      fenceEvent(run.last + 1, run.thread),
    ]);
  changes.push({
    suggestion: { kind: 'persist', stores: lostStores, lines: linesOf(witness.lost), ...(before ? { before } : {}) },
    inserts: persist,
  });
  return async (candidate) => {
    let firstTried: FixSuggestion | undefined;
    for (const change of changes) {
      const verification = await verifyChange(log, candidate, ctx, boundaries, change.inserts);
      const fix = { ...change.suggestion, verification };
      if (verification.status === 'verified') return fix;
      firstTried ??= fix;
    }
    return firstTried!;
  };
}

/** The event whose next fence makes a pending unit durable: its flush, or itself when non-temporal. */
function anchorOf(u: PendingUnit): number {
  return u.nonTemporal ? u.seq : (u.flushedBy ?? u.seq);
}

/** The first fence of `thread` after event `after`, or -1. */
function nextFence(events: EventTable, after: number, thread: number): number {
  for (let i = after + 1; i < events.length; i++)
    if (events.kind(i) === EventKind.fence && events.thread(i) === thread) return i;
  return -1;
}

/** siteOf for event i of a table, from its columns. */
function siteOfEvent(events: EventTable, i: number): string {
  return siteOf({ site: events.site(i), pc: events.pc(i) });
}

/**
 * Runs of consecutive store events of one thread that `matches` picks: the last event of each, the
 * lines it wrote, and its thread (a simulated fix's flush and fence are that thread's).
 */
function storeRuns(
  events: EventTable,
  matches: (i: number) => boolean,
): Array<{ last: number; lines: number[]; thread: number }> {
  const runs: Array<{ last: number; lines: Set<number>; thread: number }> = [];
  let inRun = false;
  for (let i = 0; i < events.length; i++) {
    const picked = events.isStore(i) && matches(i);
    inRun &&= picked && events.thread(i) === runs.at(-1)!.thread;
    if (!picked) continue;
    if (!inRun) runs.push({ last: i, lines: new Set(), thread: events.thread(i) });
    inRun = true;
    const run = runs.at(-1)!;
    run.last = i;
    const offset = events.offset(i);
    for (let line = lineOf(offset); line <= lineOf(offset + events.size(i) - 1); line++) run.lines.add(line);
  }
  return runs.map((r) => ({ last: r.last, lines: [...r.lines].sort((x, y) => x - y), thread: r.thread }));
}

function add(inserts: Map<number, TraceEvent[]>, at: number, more: readonly TraceEvent[]): void {
  inserts.set(at, [...(inserts.get(at) ?? []), ...more]);
}

/**
 * Synthetic events of a simulated fix, made by `thread` (their seq is the position they are
 * inserted at; thread 0 has no field, as the reader gives it).
 */
function flushEvents(lines: readonly number[], at: number, thread: number): TraceEvent[] {
  return lines.map((line) => ({
    kind: 'flush',
    seq: at,
    icount: 0,
    pc: 0,
    pool: 0,
    offset: line * 64,
    flushKind: 'clwb',
    ...(thread ? { thread } : {}),
  }));
}

function fenceEvent(at: number, thread: number): TraceEvent {
  return { kind: 'fence', seq: at, icount: 0, pc: 0, pool: 0, fenceKind: 'sfence', ...(thread ? { thread } : {}) };
}

function linesOf(units: readonly PendingUnit[]): number[] {
  return [...new Set(units.map((u) => lineOf(u.offset)))].sort((a, b) => a - b);
}

/** A listed store with its whole range (a torn store's listing holds only part of it). */
function wholeStore(s: LostStore, events: EventTable): LostStore {
  if (s.seq >= events.length || !events.isStore(s.seq)) return s;
  const { store: _, ...rest } = s;
  return { ...rest, offset: events.offset(s.seq), size: events.size(s.seq) };
}

/**
 * The bug's failing images to rebuild: the first MAX_VERIFIED_IMAGES in crash-point order, leaving
 * out those that also show another bug (CandidateBug.shared): this bug's fix alone cannot make them
 * pass (issue 10: two bugs failing at the same crash point each keep a verified fix).
 */
function imagesToVerify(candidate: CandidateBug): FailingImage[] {
  const own = candidate.members.filter((m) => !candidate.shared?.has(m.key));
  return [...(own.length > 0 ? own : candidate.members)]
    .sort((a, b) => a.image.firstPoint - b.image.firstPoint || (a.key < b.key ? -1 : 1))
    .slice(0, MAX_VERIFIED_IMAGES);
}

/**
 * Rebuilds each failing image of the bug on the trace with `inserts` applied — the same choice of
 * kept units, minus those the change made durable — and checks them all.
 */
async function verifyChange(
  log: RunLog,
  candidate: CandidateBug,
  ctx: DiagnoseContext,
  boundaries: readonly number[],
  inserts: Map<number, TraceEvent[]>,
): Promise<FixVerification> {
  const original = new Walk(ctx.trace, ctx.initial);
  const changed = new Walk(ctx.trace, ctx.initial, inserts);
  const jobs: Array<{ image: Buffer; allowed?: [number, number] }> = [];
  for (const member of imagesToVerify(candidate)) {
    const choice = parseReplayId(member.image.replayId);
    const point = member.image.firstPoint;
    original.to(point);
    const keptIds = new Set<string>();
    for (const [line, units] of original.pending()) {
      const k = choice.kept.get(line) ?? (choice.rest === 'all' ? units.length : 0);
      for (let i = 0; i < k; i++) keptIds.add(unitId(units[i]!));
    }
    const tracker = changed.to(point);
    const selection: Selection = new Map();
    for (const [line, units] of changed.pending()) {
      let k = 0;
      while (k < units.length && keptIds.has(unitId(units[k]!))) k++;
      selection.set(line, k);
    }
    jobs.push({
      image: changed.image(selection),
      ...(boundaries.length > 0 ? { allowed: allowedBoundaries(boundaries, point, tracker) } : {}),
    });
  }
  return countPasses(log, ctx, jobs);
}

/** Each failing image with the torn stores whole, kept and lost: both must pass. */
async function verifyAtomic(
  log: RunLog,
  candidate: CandidateBug,
  ctx: DiagnoseContext,
  boundaries: readonly number[],
  seqs: readonly number[],
): Promise<FixVerification> {
  const walk = new Walk(ctx.trace, ctx.initial);
  const pairs: Array<Array<{ image: Buffer; allowed?: [number, number] }>> = [];
  for (const member of imagesToVerify(candidate)) {
    const choice = parseReplayId(member.image.replayId);
    const tracker = walk.to(member.image.firstPoint);
    const pending = walk.pending();
    const base: Selection = new Map();
    for (const [line, units] of pending)
      base.set(line, choice.kept.get(line) ?? (choice.rest === 'all' ? units.length : 0));
    let keptAll = base;
    let lostAll = base;
    for (const seq of seqs) {
      keptAll = storeWhole(pending, keptAll, seq, 'kept');
      lostAll = storeWhole(pending, lostAll, seq, 'lost');
    }
    const allowed = boundaries.length > 0 ? allowedBoundaries(boundaries, member.image.firstPoint, tracker) : undefined;
    pairs.push([keptAll, lostAll].map((s) => ({ image: walk.image(s), ...(allowed ? { allowed } : {}) })));
  }
  const outcomes = await checkAll(ctx, pairs.flat());
  let passed = 0;
  for (let i = 0; i < pairs.length; i++) {
    const both = [outcomes[2 * i]!, outcomes[2 * i + 1]!];
    if (both.every((o, j) => verdictFor(log, o, pairs[i]![j]!.allowed).status === 'consistent')) passed++;
  }
  return passed === pairs.length
    ? { status: 'verified', images: pairs.length }
    : { status: 'not-sufficient', images: pairs.length, passed };
}

async function countPasses(
  log: RunLog,
  ctx: DiagnoseContext,
  jobs: ReadonlyArray<{ image: Buffer; allowed?: [number, number] }>,
): Promise<FixVerification> {
  const outcomes = await checkAll(ctx, jobs);
  const passed = outcomes.filter((o, i) => verdictFor(log, o, jobs[i]!.allowed).status === 'consistent').length;
  return passed === jobs.length
    ? { status: 'verified', images: jobs.length }
    : { status: 'not-sufficient', images: jobs.length, passed };
}

/** Checks images with at most `inFlight` at once, outcomes in the order given. */
async function checkAll(ctx: DiagnoseContext, jobs: ReadonlyArray<{ image: Buffer }>): Promise<CheckOutcome[]> {
  const outcomes: CheckOutcome[] = new Array(jobs.length);
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const i = next++;
      outcomes[i] = await ctx.checker.check(jobs[i]!.image);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(ctx.inFlight, jobs.length)) }, worker));
  return outcomes;
}

function unitId(u: PendingUnit): string {
  return `${u.seq}:${u.part}`;
}
