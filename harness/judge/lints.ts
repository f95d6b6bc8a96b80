// Which lints (performance findings) a result shows: by default those of the user's code only, so a
// whole-program run is not buried under the loader's and libc's idle fences; `--lint all` shows
// every one. The RunLog keeps them all (a merge of shards chooses again); only the result filters.
import type { PerfFinding, ScenarioResult } from '../../core/api.js';

export const LINT_MODES = ['user', 'all'] as const;
export type LintMode = (typeof LINT_MODES)[number];
export const DEFAULT_LINT_MODE: LintMode = 'user';

/**
 * The lints a result shows under `mode`, and how many entries from outside the user's code were
 * left out (`libraryPerfFindings`, absent when none was). Idempotent: entries already left out
 * (`leftOut`, a result's earlier count) are added to the new count.
 */
export function selectLints(
  perfFindings: readonly PerfFinding[],
  mode: LintMode,
  leftOut = 0,
): Pick<ScenarioResult, 'perfFindings' | 'libraryPerfFindings'> {
  const shown = mode === 'all' ? [...perfFindings] : perfFindings.filter((p) => !p.library);
  const libraryPerfFindings = leftOut + perfFindings.length - shown.length;
  return { perfFindings: shown, ...(libraryPerfFindings > 0 ? { libraryPerfFindings } : {}) };
}

/** `result` showing the lints of `mode`: where a ScenarioResult is assembled for the report. */
export function withLints(result: ScenarioResult, mode: LintMode): ScenarioResult {
  const selected = selectLints(result.perfFindings, mode, result.libraryPerfFindings);
  const shown: ScenarioResult = { ...result, perfFindings: selected.perfFindings };
  if (selected.libraryPerfFindings !== undefined) shown.libraryPerfFindings = selected.libraryPerfFindings;
  return shown;
}
