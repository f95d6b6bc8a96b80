// Strategies pick, for one crash point, which of the images the model allows get checked.
import type { ModelName, StrategyName } from '../core/api.js';
import type { PendingUnit, PersistencyTracker } from './model/persistency-tracker.js';
import { formatReplayId, type ImageChoice } from './replay-id.js';

export interface CandidateImage {
  choice: ImageChoice;
  replayId: string;
  digest: Uint32Array;
  /** A fresh copy of the image; call before the tracker moves on. */
  build(): Buffer;
  /** Store units executed before the crash that this image does not hold. */
  lost: PendingUnit[];
}

export type Strategy = (tracker: PersistencyTracker, point: number) => CandidateImage[];

/** Only durable stores survive (the seed's "fit" mode): the pessimistic corner of adr. */
function strictImages(tracker: PersistencyTracker, point: number): CandidateImage[] {
  const choice: ImageChoice = { model: 'adr', point, kept: new Map() };
  return [{
    choice,
    replayId: formatReplayId(choice),
    digest: Uint32Array.from(tracker.durableDigest),
    build: () => Buffer.from(tracker.durable),
    lost: [...tracker.pendingLines.values()].flat(),
  }];
}

/** Caches are persistent: every executed store survives. */
function eadrImages(tracker: PersistencyTracker, point: number): CandidateImage[] {
  const choice: ImageChoice = { model: 'eadr', point, kept: new Map() };
  return [{ choice, replayId: formatReplayId(choice), digest: Uint32Array.from(tracker.executedDigest), build: () => Buffer.from(tracker.executed), lost: [] }];
}

/** Strategies each model supports, its default first. */
export const STRATEGIES: Record<ModelName, Partial<Record<StrategyName, Strategy>>> = {
  eadr: { eadr: eadrImages },
  adr: { strict: strictImages },
};

export function defaultStrategy(model: ModelName): StrategyName {
  return Object.keys(STRATEGIES[model])[0] as StrategyName;
}

export function strategyFor(model: ModelName, name: StrategyName | undefined): Strategy | undefined {
  return STRATEGIES[model][name ?? defaultStrategy(model)];
}
