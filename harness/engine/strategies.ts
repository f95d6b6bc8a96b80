// Strategies pick, for one crash point, which of the images the model allows get checked.
// An adr image is a choice of how many pending 8-byte units each pending line keeps (a prefix in
// program order); the state space of a point is the product over pending lines of (units + 1).
import seedrandom from 'seedrandom';
import type { LineImage, ModelName, StrategyName } from '../../core/api.js';
import { CrashImageComposer, type PendingLine, type Rest } from './model/crash-image.js';
import { lineImage } from './model/line-journal.js';
import type { PersistencyTracker } from './model/persistency-tracker.js';
import { formatReplayId, type ImageChoice } from './replay-id.js';

/**
 * One image a strategy picked: its digest, computed at once, and a description (the per-line
 * choices) from which everything else is derived on demand — and only before the tracker moves on.
 */
export interface CandidateImage {
  digest: Uint32Array;
  readonly choice: ImageChoice;
  readonly replayId: string;
  /** A fresh copy of the image (padded to whole lines). */
  build(): Buffer;
  /** The image as the lines that differ from the run's line journal, `size` bytes long. */
  image(size: number): LineImage;
}

export interface StrategySettings {
  seed: string;
  /** Images per crash point for `random`. */
  samples: number;
  /** Largest state space `exhaustive` enumerates at one point before it samples instead. */
  maxStates: number;
}

export interface PointImages {
  candidates: CandidateImage[];
  /** How many images the model allows at this point. */
  stateSpace: number;
  /** True when `exhaustive` had to sample: the point is only partly covered. */
  partial: boolean;
  /**
   * The same candidates come out at any point where the tracker has not changed: depends on the
   * tracker's state alone, not on the point's number (random and sampled choices do).
   */
  sameForSameState: boolean;
}

export type Strategy = (tracker: PersistencyTracker, point: number, settings: StrategySettings) => PointImages;

type Kept = Map<number, number>;

const NO_LINES: ReadonlyMap<number, number> = new Map();

/** An adr image: `rest` of every pending line's units, except the lines `kept` lists. */
class ChoiceCandidate implements CandidateImage {
  constructor(
    private readonly composer: CrashImageComposer,
    private readonly point: number,
    private readonly kept: ReadonlyMap<number, number>,
    private readonly rest: Rest,
    readonly digest: Uint32Array,
    private readonly id?: string,
  ) {}
  get choice(): ImageChoice {
    return { model: 'adr', point: this.point, kept: this.kept, ...(this.rest === 'all' ? { rest: 'all' } : {}) };
  }
  get replayId(): string {
    return this.id ?? formatReplayId(this.choice, this.composer.units());
  }
  build(): Buffer {
    return this.composer.build(this.kept, this.rest);
  }
  image(size: number): LineImage {
    return this.composer.image(this.kept, this.rest, size);
  }
}

/**
 * An extremes image: `rest` of every line but `k` units of `line` (none when line < 0). Its map of
 * kept lines is made only if asked for: most candidates are repeats and only their digest is read.
 * Its replay id is written without listing every pending line, as formatReplayId would write it.
 */
class OneLineCandidate extends ChoiceCandidate {
  constructor(
    composer: CrashImageComposer,
    point: number,
    line: number,
    k: number,
    rest: Rest,
    digest: Uint32Array,
    pendingCount: number,
  ) {
    super(
      composer,
      point,
      line < 0 ? NO_LINES : new LazyKept(line, k),
      rest,
      digest,
      oneLineId(point, line, k, rest, pendingCount),
    );
  }
}

/**
 * formatReplayId's answer for a one-line choice, in O(1): the durable image; with three or more
 * pending lines, one line kept in part (listed) or every line whole but one (the `*` form). With
 * fewer, undefined: the general formatting, cheap with so few lines, decides between the forms.
 */
function oneLineId(point: number, line: number, k: number, rest: Rest, pendingCount: number): string | undefined {
  if (line < 0 && rest === 'none') return `adr@${point}`;
  if (pendingCount < 3) return undefined;
  if (rest === 'none') return k > 0 ? `adr@${point}/${line}:${k}` : `adr@${point}`;
  return line < 0 ? `adr@${point}/*` : `adr@${point}/*,${line}:${k}`;
}

/** A one-entry ReadonlyMap, built on first use. */
class LazyKept implements ReadonlyMap<number, number> {
  private map: Map<number, number> | undefined;
  constructor(
    private readonly line: number,
    private readonly k: number,
  ) {}
  private get m(): Map<number, number> {
    if (!this.map) this.map = new Map([[this.line, this.k]]);
    return this.map;
  }
  get size(): number {
    return 1;
  }
  get(key: number): number | undefined {
    return key === this.line ? this.k : undefined;
  }
  has(key: number): boolean {
    return key === this.line;
  }
  forEach(fn: (value: number, key: number, map: ReadonlyMap<number, number>) => void): void {
    fn(this.k, this.line, this);
  }
  entries(): MapIterator<[number, number]> {
    return this.m.entries();
  }
  keys(): MapIterator<number> {
    return this.m.keys();
  }
  values(): MapIterator<number> {
    return this.m.values();
  }
  [Symbol.iterator](): MapIterator<[number, number]> {
    return this.m[Symbol.iterator]();
  }
}

/** Builds the candidates for a list of choices, dropping repeated choices. */
function candidatesFor(composer: CrashImageComposer, point: number, choices: Kept[]): CandidateImage[] {
  const units = composer.units();
  const seen = new Set<string>();
  const out: CandidateImage[] = [];
  for (const kept of choices) {
    const replayId = formatReplayId({ model: 'adr', point, kept }, units);
    if (seen.has(replayId)) continue;
    seen.add(replayId);
    out.push(new ChoiceCandidate(composer, point, kept, 'none', composer.digest(kept), replayId));
  }
  return out;
}

export function stateSpace(lines: readonly PendingLine[]): number {
  return lines.reduce((n, l) => n * (l.units + 1), 1);
}

/** Only durable stores survive (the seed's "fit" mode): the pessimistic corner of adr. */
const strict: Strategy = (tracker, point) => {
  const composer = CrashImageComposer.of(tracker);
  return {
    candidates: [
      new ChoiceCandidate(composer, point, NO_LINES, 'none', Uint32Array.from(tracker.durableDigest), `adr@${point}`),
    ],
    stateSpace: composer.stateSpace(),
    partial: false,
    sameForSameState: true,
  };
};

/**
 * Strict, everything persisted, and for each line whose pending units this point's event changed
 * (a store to it, a fence that made part of it durable), each prefix of its pending units with
 * every other line at its durable state and with every other line fully persisted; and, when the
 * event stored to a line not awaiting a fence, each line flushed and waiting for a fence lost whole
 * with every other line persisted. A changed line's
 * deviations are generated where it changed, not again at every later point: until the line
 * changes again they differ from the ones already checked only by what other events did, and
 * those events' own lines get theirs. So a point costs the units of the lines its event touched,
 * and a run the units its stores wrote — linear, where every pending line at every point would be
 * quadratic in the stores pending at once. Each candidate is the durable (or executed) image with
 * one line swapped: its digest is one line's work, and no map of every line is built.
 */
const extremes: Strategy = (tracker, point) => {
  const composer = CrashImageComposer.of(tracker);
  const changed = tracker.changedLines;
  const out: CandidateImage[] = [];
  // Only when few lines are pending can two choices below name the same image (see `sameImage`).
  const pendingCount = composer.pendingCount();
  const seen = pendingCount <= 2 ? new Set<string>() : undefined;
  const add = (rest: Rest, line: number, k: number): void => {
    if (seen) {
      const key = sameImage(composer, rest, line, k);
      if (seen.has(key)) return;
      seen.add(key);
    }
    const digest = line < 0 ? composer.digest(NO_LINES, rest) : composer.digestWith(rest, line, k);
    out.push(new OneLineCandidate(composer, point, line, k, rest, digest, pendingCount));
  };
  add('none', -1, 0);
  if (pendingCount > 0) add('all', -1, 0);
  const sortedChanged = [...changed].sort((a, b) => a - b);
  for (const line of sortedChanged) {
    const units = composer.unitsOf(line);
    for (let k = 0; k <= units; k++) {
      if (k > 0) add('none', line, k);
      if (k < units) add('all', line, k);
    }
  }
  // After a store to a line that is not itself being written back (a flag, a pointer: what
  // publishes), each line flushed and still waiting for its fence lost whole while everything else
  // persisted: the smallest image of a missing fence (the flag evicted before the fence that orders
  // its data), which the changed lines alone would not give. Not after stores that are themselves
  // awaiting a fence (a non-temporal copy): that would make a wide copy quadratic.
  const awaiting = tracker.linesAwaitingFence;
  if (changed.some((line) => !awaiting.has(line))) {
    for (const line of [...awaiting].sort((a, b) => a - b)) {
      if (composer.unitsOf(line) > 0 && !changed.includes(line)) add('all', line, 0);
    }
  }
  return { candidates: out, stateSpace: composer.stateSpace(), partial: false, sameForSameState: true };
};

/**
 * The per-line choice an extremes candidate stands for, as a string (only with one or two pending
 * lines: with three or more, the none-form and all-form choices never coincide, and within a form
 * only k = rest does, which `add` never asks for).
 */
function sameImage(composer: CrashImageComposer, rest: Rest, line: number, k: number): string {
  return composer
    .pendingLines()
    .map((l) => (l.line === line ? k : rest === 'all' ? l.units : 0))
    .join(',');
}

/** Every combination of per-line prefixes, up to maxStates; above it, maxStates sampled ones. */
const exhaustive: Strategy = (tracker, point, settings) => {
  const composer = CrashImageComposer.of(tracker);
  const lines = composer.pendingLines();
  const space = stateSpace(lines);
  if (space > settings.maxStates) {
    return {
      candidates: candidatesFor(composer, point, sampleChoices(lines, settings.maxStates, settings.seed, point)),
      stateSpace: space,
      partial: true,
      sameForSameState: false,
    };
  }
  const choices: Kept[] = [];
  const digits = lines.map(() => 0);
  for (let n = 0; n < space; n++) {
    choices.push(new Map(lines.map((l, i) => [l.line, digits[i]!])));
    for (let i = 0; i < digits.length && ++digits[i]! > lines[i]!.units; i++) digits[i] = 0;
  }
  return {
    candidates: candidatesFor(composer, point, choices),
    stateSpace: space,
    partial: false,
    sameForSameState: true,
  };
};

/** `samples` combinations per point, drawn from (seed, point) so any one can be rebuilt alone. */
const random: Strategy = (tracker, point, settings) => {
  const composer = CrashImageComposer.of(tracker);
  const lines = composer.pendingLines();
  return {
    candidates: candidatesFor(composer, point, sampleChoices(lines, settings.samples, settings.seed, point)),
    stateSpace: stateSpace(lines),
    partial: false,
    sameForSameState: false,
  };
};

function sampleChoices(lines: readonly PendingLine[], count: number, seed: string, point: number): Kept[] {
  const rng = seedrandom(`${seed}:${point}`);
  return Array.from({ length: count }, () => new Map(lines.map((l) => [l.line, Math.floor(rng() * (l.units + 1))])));
}

/** Caches are persistent: every executed store survives. One image per point. */
const eadr: Strategy = (tracker, point) => {
  const choice: ImageChoice = { model: 'eadr', point, kept: new Map() };
  const candidate: CandidateImage = {
    choice,
    replayId: formatReplayId(choice),
    digest: Uint32Array.from(tracker.executedDigest),
    build: () => Buffer.from(tracker.executed),
    image: (size) => {
      const journal = tracker.journals.executed;
      if (!journal) throw new Error('the tracker keeps no executed journal: images can only be built whole');
      return lineImage(journal, size);
    },
  };
  return { candidates: [candidate], stateSpace: 1, partial: false, sameForSameState: true };
};

/** Strategies each model supports, its default first. */
export const STRATEGIES: Record<ModelName, Partial<Record<StrategyName, Strategy>>> = {
  eadr: { eadr },
  adr: { extremes, strict, exhaustive, random },
};

export const ADR_STRATEGIES = Object.keys(STRATEGIES.adr) as StrategyName[];

export function defaultStrategy(model: ModelName): StrategyName {
  return Object.keys(STRATEGIES[model])[0] as StrategyName;
}

export function strategyFor(model: ModelName, name: StrategyName | undefined): Strategy | undefined {
  return STRATEGIES[model][name ?? defaultStrategy(model)];
}
