// Strategies pick, for one crash point, which of the images the model allows get checked.
// An adr image is a choice of how many pending 8-byte units each pending line keeps (a prefix in
// program order); the state space of a point is the product over pending lines of (units + 1).
import seedrandom from 'seedrandom';
import type { ModelName, StrategyName } from '../../core/api.js';
import { CrashImageComposer } from './model/crash-image.js';
import type { PendingUnit, PersistencyTracker } from './model/persistency-tracker.js';
import { formatReplayId, type ImageChoice } from './replay-id.js';

export interface CandidateImage {
  choice: ImageChoice;
  replayId: string;
  digest: Uint32Array;
  /** A fresh copy of the image; call before the tracker moves on. */
  build(): Buffer;
  /** The pending units this image keeps and loses; call before the tracker moves on. */
  split(): { kept: PendingUnit[]; lost: PendingUnit[] };
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
}

export type Strategy = (tracker: PersistencyTracker, point: number, settings: StrategySettings) => PointImages;

type Kept = Map<number, number>;

/** Builds the candidates for a list of choices, dropping repeated choices. */
function candidatesFor(
  composer: CrashImageComposer,
  model: ModelName,
  point: number,
  choices: Kept[],
): CandidateImage[] {
  const units = new Map(composer.pendingLines().map((l) => [l.line, l.units]));
  const seen = new Set<string>();
  const out: CandidateImage[] = [];
  for (const kept of choices) {
    const choice: ImageChoice = { model, point, kept };
    const replayId = formatReplayId(choice, units);
    if (seen.has(replayId)) continue;
    seen.add(replayId);
    out.push({
      choice,
      replayId,
      digest: composer.digest(kept),
      build: () => composer.build(kept),
      split: () => composer.split(kept),
    });
  }
  return out;
}

function stateSpace(lines: Array<{ units: number }>): number {
  return lines.reduce((n, l) => n * (l.units + 1), 1);
}

/** Only durable stores survive (the seed's "fit" mode): the pessimistic corner of adr. */
const strict: Strategy = (tracker, point) => {
  const composer = new CrashImageComposer(tracker);
  const lines = composer.pendingLines();
  return {
    candidates: candidatesFor(composer, 'adr', point, [new Map()]),
    stateSpace: stateSpace(lines),
    partial: false,
  };
};

/**
 * Strict, everything persisted, and for each pending line each prefix of its units with every
 * other line at its durable state and with every other line fully persisted. Linear in pending units.
 */
const extremes: Strategy = (tracker, point) => {
  const composer = new CrashImageComposer(tracker);
  const lines = composer.pendingLines();
  const all: Kept = new Map(lines.map((l) => [l.line, l.units]));
  const choices: Kept[] = [new Map(), all];
  for (const { line, units } of lines) {
    for (let k = 0; k <= units; k++) {
      choices.push(new Map([[line, k]]));
      choices.push(new Map([...all, [line, k]]));
    }
  }
  return { candidates: candidatesFor(composer, 'adr', point, choices), stateSpace: stateSpace(lines), partial: false };
};

/** Every combination of per-line prefixes, up to maxStates; above it, maxStates sampled ones. */
const exhaustive: Strategy = (tracker, point, settings) => {
  const composer = new CrashImageComposer(tracker);
  const lines = composer.pendingLines();
  const space = stateSpace(lines);
  if (space > settings.maxStates) {
    return {
      candidates: candidatesFor(composer, 'adr', point, sampleChoices(lines, settings.maxStates, settings.seed, point)),
      stateSpace: space,
      partial: true,
    };
  }
  const choices: Kept[] = [];
  const digits = lines.map(() => 0);
  for (let n = 0; n < space; n++) {
    choices.push(new Map(lines.map((l, i) => [l.line, digits[i]!])));
    for (let i = 0; i < digits.length && ++digits[i]! > lines[i]!.units; i++) digits[i] = 0;
  }
  return { candidates: candidatesFor(composer, 'adr', point, choices), stateSpace: space, partial: false };
};

/** `samples` combinations per point, drawn from (seed, point) so any one can be rebuilt alone. */
const random: Strategy = (tracker, point, settings) => {
  const composer = new CrashImageComposer(tracker);
  const lines = composer.pendingLines();
  return {
    candidates: candidatesFor(composer, 'adr', point, sampleChoices(lines, settings.samples, settings.seed, point)),
    stateSpace: stateSpace(lines),
    partial: false,
  };
};

function sampleChoices(
  lines: Array<{ line: number; units: number }>,
  count: number,
  seed: string,
  point: number,
): Kept[] {
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
    split: () => ({ kept: [], lost: [] }),
  };
  return { candidates: [candidate], stateSpace: 1, partial: false };
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
