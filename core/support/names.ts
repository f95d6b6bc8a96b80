// The names a user may type for a persistency model, an adr strategy and an oracle: one tuple each,
// from which the types (core/api.ts), the CLI's choices and the scenario-file validation derive.

export const MODEL_NAMES = ['eadr', 'adr'] as const;
/** Every strategy name; `eadr` is the eadr model's only strategy, the others choose among adr's images. */
export const STRATEGY_NAMES = ['strict', 'eadr', 'extremes', 'exhaustive', 'random'] as const;
/** The strategies `--strategy` accepts (they apply to the adr model), its default first. */
export const ADR_STRATEGY_NAMES = ['extremes', 'strict', 'exhaustive', 'random'] as const;
export const ORACLE_NAMES = ['exit', 'atomic', 'ops', 'collate'] as const;

export type ModelName = (typeof MODEL_NAMES)[number];
export type StrategyName = (typeof STRATEGY_NAMES)[number];
export type OracleName = (typeof ORACLE_NAMES)[number];
