// The JSON report: the one source every other report renders from. Versioned and deterministic:
// the same run gives the same bytes, except the `wallMs` fields.
import type { Report, Reporter, RunSummary, ScenarioResult } from '../core/api.js';

// 2: findings as data — `class` + `failure` replace `kind`/`message`/`reason`; `lastEvent` and
// perf findings carry an event record; replay ids end in `~DIGEST` (README, Reports).
// 3: one finding per bug — `sites`, `crashPoints` ranges, `pointCount`, `failingImages`, the
// witness's fields, `otherLost`/`otherKept`, `fix` with its `verification`, and `occurrences`
// (per-point detail); lints grouped per (kind, site) with `count` and `library`.
export const REPORT_SCHEMA_VERSION = 3;
export const PMFIT_VERSION = '0.1.0';

export function buildReport(results: ScenarioResult[], wallMs: number): Report {
  const findings = results.flatMap((r) => r.findings);
  return {
    schemaVersion: REPORT_SCHEMA_VERSION,
    tool: { name: 'pmfit', version: PMFIT_VERSION },
    summary: overallSummary(results, findings.length, wallMs),
    ...(results.some((r) => r.incomplete) ? { incomplete: true } : {}),
    results,
    findings,
  };
}

function overallSummary(results: ScenarioResult[], findings: number, wallMs: number): RunSummary {
  const verdicts = results.map((r) => r.summary.verdict);
  const sum = (pick: (s: RunSummary) => number) => results.reduce((n, r) => n + pick(r.summary), 0);
  return {
    verdict: verdicts.includes('inconsistent')
      ? 'inconsistent'
      : verdicts.includes('unknown')
        ? 'unknown'
        : 'consistent',
    crashPoints: sum((s) => s.crashPoints),
    images: sum((s) => s.images),
    distinctImages: sum((s) => s.distinctImages),
    findings,
    wallMs,
  };
}

export const jsonReporter: Reporter = {
  kind: 'json',
  render: (report) => `${JSON.stringify(report, null, 2)}\n`,
};
