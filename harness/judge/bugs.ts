// Groups the failing images of a run into bugs (README, "One finding per bug"). A bug is a class and
// the program sites it depends on: the sites of the stores its smallest failing image lost, and of
// the stores that image persisted too early. The grouping here is the cheap first cut, from the log
// alone: images in order of size (fewest lost lines, then units), each joining the first bug whose
// lost sites it also loses, else starting a bug of its own. Re-simulation (diagnose.ts) then
// minimises each bug's witness and confirms its class and sites; bugs that end up with the same
// identity are merged by toFindings.
import type {
  BugOccurrence,
  CheckOutcome,
  DescribedImage,
  Finding,
  FindingClass,
  FixSuggestion,
  ImageRecord,
  LostStore,
  PointList,
  PointShape,
  RunLog,
  Verdict,
} from '../../core/api.js';
import { fillReplayCommand, withTraceDigest } from '../engine/replay-id.js';
import { verdictFor } from './verdicts.js';

/** One distinct image that failed, and every crash point where it failed. */
export interface FailingImage {
  key: string;
  image: DescribedImage;
  /** Crash points (ascending) where the image appears and the oracle rejects it. */
  points: number[];
  /** The verdict at the first of them. */
  verdict: Exclude<Verdict, { status: 'consistent' }>;
}

/** A bug before re-simulation: the image that seeds it and every failing image grouped with it. */
export interface CandidateBug {
  seed: FailingImage;
  members: FailingImage[];
  /**
   * Members that also lose every lost site of other bugs (the keys of those bugs' seeds): two bugs
   * failing at once (one image losing the data of both), grouped with the first. Fixing this bug
   * alone need not make them pass, so a fix is verified on the other members (diagnose.ts).
   */
  shared?: Map<string, string[]>;
}

/** What re-simulation (or, without a checker, the seed image itself) says a bug is. */
export interface DiagnosedBug
  extends Pick<Finding, 'lostStores' | 'keptStores' | 'otherLost' | 'otherKept' | 'lostLines' | 'lostUnits' | 'fix'> {
  candidate: CandidateBug;
  class: FindingClass;
  /**
   * A bug whose witness lost nothing (a logic or atomicity bug): where the stretch of failing crash
   * points it shows in begins — the site of the event that opened it (windowsOf). Two such bugs
   * are one only if they begin at the same place.
   */
  window?: string;
  /** The witness: where, its id (without the trace digest), and what the check said on it. */
  point: number;
  replayId: string;
  verdict: Exclude<Verdict, { status: 'consistent' }>;
  /** The same change as `fix`, chosen and verified again on the failing images of another candidate (diagnose.ts). */
  refix?: (candidate: CandidateBug) => Promise<FixSuggestion>;
}

/**
 * Every distinct image that fails at some crash point, in order of size (the smallest first).
 * `describe` fills in the descriptions the engine left out (describe-images.ts); without it (a
 * merged log) every failing image must already carry one.
 */
export function failingImages(log: RunLog, describe?: (keys: string[]) => void): FailingImage[] {
  const failing = new Map<number, Omit<FailingImage, 'image'> & { image: ImageRecord }>();
  // points are ascending (PointList); images are read by number, their keys and records made only
  // for the ones that fail
  for (const point of log.points.shapes()) {
    for (let i = 0; i < point.imageIds.length; i++) {
      const id = point.imageIds[i]!;
      const known = failing.get(id);
      if (known) {
        if (known.points.at(-1) !== point.index && fails(log, known.image.outcome, point))
          known.points.push(point.index);
        continue;
      }
      const verdict = verdictFor(log, log.images.outcomeOf(id), point.allowed);
      if (verdict.status !== 'consistent')
        failing.set(id, { key: log.images.keyOf(id), image: log.images.recordOf(id), points: [point.index], verdict });
    }
  }
  describe?.([...failing.values()].map((f) => f.key));
  const described = [...failing.values()].map((f) => {
    // the records are the list's copies: read again, with the descriptions just filled in
    const image = describe ? log.images.get(f.key)! : f.image;
    if (!isDescribed(image)) throw new Error(`failing image ${image.replayId} has no description`);
    return { ...f, image };
  });
  return described.sort((a, b) => smaller(a.image, b.image));
}

export function isDescribed(image: ImageRecord): image is DescribedImage {
  return image.class !== undefined && image.lostStores !== undefined && image.keptStores !== undefined;
}

function fails(log: RunLog, outcome: CheckOutcome, point: PointShape): boolean {
  // Only the ops oracle's verdict depends on the point; the others fail wherever the image shows.
  return log.oracle !== 'ops' || verdictFor(log, outcome, point.allowed).status !== 'consistent';
}

/** Orders images by lost lines, then lost units, then where they first showed: the smallest, earliest failure first. */
export function smaller(a: DescribedImage, b: DescribedImage): number {
  return (
    a.lostLines - b.lostLines ||
    a.lostUnits - b.lostUnits ||
    a.firstPoint - b.firstPoint ||
    (a.replayId < b.replayId ? -1 : a.replayId > b.replayId ? 1 : 0)
  );
}

/**
 * The first cut: each image joins the first (smaller) bug of the same kind of failure whose lost
 * sites it all loses too; an image that loses nothing, or whose check could not run, only joins a
 * bug that is the same in that respect.
 */
export function groupImages(
  failing: readonly FailingImage[],
  windowOf: (point: number) => string = () => '',
): CandidateBug[] {
  const bugs: Array<CandidateBug & { sites: Set<string>; kind: string; window: string }> = [];
  for (const f of failing) {
    const sites = new Set(f.image.lostStores.map(siteOf));
    const kind = groupKind(f);
    // images that lose nothing: one bug per stretch of failing points, by where it begins
    const window = sites.size === 0 ? windowOf(f.points[0]!) : '';
    const home = bugs.find(
      (b) =>
        b.kind === kind &&
        (b.sites.size === 0
          ? sites.size === 0 && b.seed.image.class === f.image.class && b.window === window
          : subset(b.sites, sites) && sameKindOfLoss(b.seed.image.class, f.image.class)),
    );
    if (home) home.members.push(f);
    else bugs.push({ seed: f, members: [f], sites, kind, window });
  }
  // Issue 10 (two bugs at one crash point): an image may lose the sites of several bugs; it stays
  // with the first, marked as shared with the others — those whose sites are not all the first's
  // own (a bug of another class at the same sites is in every image of this one: that says nothing).
  return bugs.map(({ seed, members, kind, sites: own }) => {
    const shared = new Map<string, string[]>();
    for (const m of members) {
      if (m === seed) continue;
      const sites = new Set(m.image.lostStores.map(siteOf));
      const others = bugs.filter(
        (b) =>
          b.seed !== seed && b.kind === kind && b.sites.size > 0 && subset(b.sites, sites) && !subset(b.sites, own),
      );
      if (others.length > 0)
        shared.set(
          m.key,
          others.map((b) => b.seed.key),
        );
    }
    return { seed, members, ...(shared.size > 0 ? { shared } : {}) };
  });
}

/**
 * Whether two images' classes (from the log, before re-simulation) may be one bug. Stores lost from
 * the same sites can be two bugs — a helper that writes the data of two publishers, one missing a
 * flush and the other a fence — so a missing flush and a missing fence (or ordering) stay apart.
 * The log's torn-write and unclassified are not trusted to tell (a missing flush inside a memcpy's
 * wide stores looks torn until re-simulated): those go with any class.
 */
function sameKindOfLoss(a: FindingClass, b: FindingClass): boolean {
  // what is missing: a flush, or a fence (missing-fence and ordering: one bug's images show both)
  const kind = (c: FindingClass) =>
    c === 'missing-flush' ? 'flush' : c === 'missing-fence' || c === 'ordering' ? 'fence' : undefined;
  const [x, y] = [kind(a), kind(b)];
  return a === b || x === undefined || y === undefined || x === y;
}

/** Failures that can never be one bug: an image the check could not judge, and one it judged. */
function groupKind(f: FailingImage): string {
  return f.verdict.status === 'unknown' ? 'unknown' : 'inconsistent';
}

function subset(small: ReadonlySet<string>, big: ReadonlySet<string>): boolean {
  for (const s of small) if (!big.has(s)) return false;
  return true;
}

/** A store's place: its user site, else its pc (a TS store always has a site). */
export function siteOf(s: { site?: string; pc?: number }): string {
  return s.site ?? (s.pc ? `pc=0x${s.pc.toString(16)}` : '(no site)');
}

/** The seed image as the witness, unchanged: what a bug is when nothing can be re-simulated (merge). */
export function undiagnosed(candidate: CandidateBug): DiagnosedBug {
  const { image, verdict, points } = candidate.seed;
  return {
    candidate,
    class: image.class,
    point: points[0]!,
    replayId: image.replayId,
    verdict,
    lostStores: image.lostStores,
    keptStores: image.keptStores,
    otherLost: 0,
    otherKept: 0,
    lostLines: image.lostLines,
    lostUnits: image.lostUnits,
  };
}

/**
 * The findings of a run: one per bug identity (class, lost sites, kept sites, and whether the check
 * could judge it), diagnosed bugs of one identity merged, the smallest witness kept. In order of
 * each bug's first crash point.
 */
export function toFindings(log: RunLog, diagnosed: readonly DiagnosedBug[]): Finding[] {
  const byIdentity = new Map<string, DiagnosedBug[]>();
  for (const bug of diagnosed) {
    const id = identity(bug);
    byIdentity.set(id, [...(byIdentity.get(id) ?? []), bug]);
  }
  const findings = [...byIdentity.values()].map((bugs) => toFinding(log, bugs, log.points));
  return findings.sort((a, b) => a.crashPoints[0]![0] - b.crashPoints[0]![0] || a.crashPoint - b.crashPoint);
}

/** What makes diagnosed bugs one finding: class, lost and kept sites, and whether the check could judge it. */
export function identity(bug: DiagnosedBug): string {
  return JSON.stringify([
    bug.verdict.status,
    bug.class,
    sitesOf(bug.lostStores),
    sitesOf(bug.keptStores),
    bug.verdict.status === 'unknown' ? bug.verdict.failure.error : '',
    bug.window ?? '',
  ]);
}

/**
 * For a crash point where an image failing with nothing lost shows, the place its stretch of such
 * points begins: the site (else kind and pc) of the event before the first point of the stretch.
 * Stretches are runs of consecutive points where an image that lost nothing fails.
 */
export function windowsOf(log: RunLog, failing: readonly FailingImage[]): (point: number) => string {
  const losingNothing = new Set<number>();
  for (const f of failing) if (f.image.lostStores.length === 0) for (const p of f.points) losingNothing.add(p);
  return (point) => {
    let first = point;
    while (losingNothing.has(first - 1)) first--;
    const event = log.points.atPoint(first)?.lastEvent;
    if (!event) return first === 0 ? 'the start' : `point ${first}`;
    return event.site ?? `${event.kind}@${event.pc ?? 0}`;
  };
}

/** Sets the window of each bug whose witness lost nothing. */
export function withWindows(bugs: DiagnosedBug[], windowOf: (point: number) => string): DiagnosedBug[] {
  for (const bug of bugs)
    if (bug.lostStores.length === 0 && bug.verdict.status !== 'unknown') bug.window = windowOf(bug.point);
  return bugs;
}

export function sitesOf(stores: readonly LostStore[]): string[] {
  return [...new Set(stores.map(siteOf))].sort();
}

/** The smallest witness among diagnosed bugs of one identity: it speaks for them all. */
export function witnessOf(bugs: readonly DiagnosedBug[]): DiagnosedBug {
  return [...bugs].sort((a, b) => a.lostLines - b.lostLines || a.lostUnits - b.lostUnits || a.point - b.point)[0]!;
}

function toFinding(log: RunLog, bugs: readonly DiagnosedBug[], points: PointList): Finding {
  const witness = witnessOf(bugs);
  const members = new Map<string, FailingImage>();
  for (const bug of bugs) for (const m of bug.candidate.members) members.set(m.key, m);
  const occurrences = occurrencesOf(log, [...members.values()], points);
  const at = points.atPoint(witness.point)!;
  const replayId = withTraceDigest(witness.replayId, log.traceDigest, log.layout);
  const v = witness.verdict;
  return {
    class: witness.class,
    sites: { lost: sitesOf(witness.lostStores), kept: sitesOf(witness.keptStores) },
    failure: v.failure,
    scenario: log.scenario,
    model: log.model,
    strategy: log.strategy,
    crashPoints: ranges(occurrences.map((o) => o.crashPoint)),
    pointCount: occurrences.length,
    failingImages: members.size,
    crashPoint: witness.point,
    icountFrom: at.icountFrom,
    icountTo: at.icountTo,
    ...(at.lastEvent ? { lastEvent: at.lastEvent } : {}),
    ...(v.status === 'inconsistent' && v.expected !== undefined ? { expected: v.expected } : {}),
    ...(v.status === 'inconsistent' && v.actual !== undefined ? { actual: v.actual } : {}),
    lostStores: witness.lostStores,
    keptStores: witness.keptStores,
    otherLost: witness.otherLost,
    otherKept: witness.otherKept,
    lostLines: witness.lostLines,
    lostUnits: witness.lostUnits,
    replayId,
    replayCommand: fillReplayCommand(log.replayTemplate, replayId),
    ...(witness.fix ? { fix: witness.fix } : {}),
    occurrences,
  };
}

/** Per crash point where some image of the bug fails: how many, and the smallest of them. */
function occurrencesOf(log: RunLog, members: readonly FailingImage[], points: PointList): BugOccurrence[] {
  const at = new Map<number, FailingImage[]>();
  for (const m of members) for (const p of m.points) at.set(p, [...(at.get(p) ?? []), m]);
  return [...at.keys()]
    .sort((a, b) => a - b)
    .map((index) => {
      const here = at.get(index)!;
      const smallest = [...here].sort((a, b) => smaller(a.image, b.image))[0]!;
      const point = points.atPoint(index)!;
      return {
        crashPoint: index,
        icountFrom: point.icountFrom,
        icountTo: point.icountTo,
        images: here.length,
        // The id of the image at the point it was first seen: it names that point, which may be earlier.
        replayId: withTraceDigest(smallest.image.replayId, log.traceDigest, log.layout),
      };
    });
}

/** Ascending numbers as inclusive ranges of consecutive ones. */
export function ranges(sorted: readonly number[]): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (const n of sorted) {
    const last = out.at(-1);
    if (last && n === last[1] + 1) last[1] = n;
    else if (!last || n > last[1]) out.push([n, n]);
  }
  return out;
}
