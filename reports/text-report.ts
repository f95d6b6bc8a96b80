// The text report: per scenario and model, the allcounts-style collation of outputs and then
// each finding — what failed, where, expected vs actual, what was lost, and the replay command.
import type { Finding, Report, Reporter, ScenarioResult } from '../core/api.js';
import { findingText, indent, percentText, perfText } from './format.js';
import { formatRanges } from './ranges.js';

export const textReporter: Reporter = {
  kind: 'text',
  render: (report: Report) => {
    const parts = report.results.map(renderResult);
    const s = report.summary;
    parts.push(
      `pmfit: ${s.verdict}: ${s.findings} finding(s); ${s.crashPoints} crash points, ${s.images} images, ${s.distinctImages} distinct checked, ${s.wallMs} ms`,
    );
    return `${parts.join('\n\n')}\n`;
  },
};

function renderResult(result: ScenarioResult): string {
  const s = result.summary;
  const c = result.coverage;
  const partial =
    (c.skippedPoints !== undefined
      ? `; ${c.skippedPoints} crash point(s) skipped by --points unique (not checked)`
      : '') +
    (c.partialPoints.length > 0
      ? `; ${c.partialPoints.length} crash point(s) only sampled (state space above --max-states)`
      : '');
  const lines = [
    `== ${result.scenario} — model ${result.model}, strategy ${result.strategy}, oracle ${result.oracle}: ${s.verdict}`,
    `   ${s.crashPoints} crash points, ${s.images} images, ${s.distinctImages} distinct checked, ${s.findings} finding(s); coverage ${percentText(c.fraction)} of ${c.stateSpace} allowed images${partial}`,
  ];
  for (const note of result.notes ?? []) lines.push(`   note: ${note}`);
  if (result.incomplete) lines.push('   INCOMPLETE: the run was interrupted before every crash point was checked');
  for (const group of result.groups) {
    lines.push(`Output for iterations: ${formatRanges(group.iterations)}`);
    lines.push(indent(group.output || '(no output)'));
  }
  for (const group of groupFindings(result.findings)) {
    lines.push('', findingText(group[0]!));
    if (group.length > 1)
      lines.push(
        `  the same failure (class, reason, lost stores) at ${group.length - 1} more crash point(s): ${group
          .slice(1)
          .map((f) => f.crashPoint)
          .join(', ')}`,
      );
  }
  if (result.perfFindings.length > 0) {
    lines.push('', `performance (${result.perfFindings.length}, not failures):`);
    for (const p of result.perfFindings) lines.push(`  ${perfText(p)}`);
  }
  return lines.join('\n');
}

/** Findings that are one bug seen at several crash points: same class, failure and lost stores. */
function groupFindings(findings: readonly Finding[]): Finding[][] {
  const groups = new Map<string, Finding[]>();
  for (const f of findings) {
    const key = JSON.stringify([f.class, f.failure, f.lostStores.map((s) => s.seq)]);
    groups.set(key, [...(groups.get(key) ?? []), f]);
  }
  return [...groups.values()];
}
