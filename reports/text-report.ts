// The text report: per scenario and model, the allcounts-style collation of outputs, then each bug
// once — what failed, its sites and crash points, the fix and whether pmfit verified it, and its
// witness (where, expected vs actual, the stores it depends on, the replay command) — and the lints.
import type { Report, Reporter, ScenarioResult } from '../core/api.js';
import { bugCount, findingText, indent, libraryLintsText, percentText, perfText } from './format.js';
import { groupedLints } from './lints.js';
import { formatRanges } from './ranges.js';

export const textReporter: Reporter = {
  kind: 'text',
  render: (report: Report) => {
    const parts = report.results.map(renderResult);
    const s = report.summary;
    parts.push(
      `pmfit: ${s.verdict}: ${s.findings} bug(s); ${s.crashPoints} crash points, ${s.images} images, ${s.distinctImages} distinct checked, ${s.wallMs} ms`,
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
    `   ${s.crashPoints} crash points, ${s.images} images, ${s.distinctImages} distinct checked, ${bugCount(s.findings)}; coverage ${percentText(c.fraction)} of ${c.stateSpace} allowed images${partial}`,
  ];
  for (const note of result.notes ?? []) lines.push(`   note: ${note}`);
  if (result.incomplete) lines.push('   INCOMPLETE: the run was interrupted before every crash point was checked');
  for (const group of result.groups) {
    lines.push(`Output for iterations: ${formatRanges(group.iterations)}`);
    lines.push(indent(group.output || '(no output)'));
  }
  for (const f of result.findings) lines.push('', findingText(f));
  const library = result.libraryPerfFindings ?? 0;
  const lints = groupedLints(result.perfFindings);
  if (lints.length > 0 || library > 0) {
    lines.push('', `lints (${lints.length}, not failures):`);
    for (const p of lints) lines.push(`  ${perfText(p)}`);
    if (library > 0) lines.push(`  ${libraryLintsText(library)}`);
  }
  return lines.join('\n');
}
