// The JUnit XML report, for CI test tabs (GitLab, Jenkins, GitHub test-reporter actions):
// one <testsuite> per scenario and model, one failing <testcase> per bug, and one passing
// <testcase> when a result has no bug. Testcase names carry no counts, crash points or replay ids
// (`list-append-buggy (adr): missing-flush at scenarios/list-append.ts:31:5`), so a CI test tab
// tracks the same bug across runs whose traces differ in length. Deterministic: no timestamps or
// host names; `time` comes from the report's wallMs.
import type { Finding, Report, Reporter, ScenarioResult } from '../core/api.js';
import { groupedLints } from './lints.js';
import { formatRanges } from './ranges.js';
import { bugName, findingHeadline, findingLabel, findingText, libraryLintsText, perfText } from './format.js';

export const junitReporter: Reporter = {
  kind: 'junit',
  render: (report: Report) => {
    const suites = report.results.map(renderSuite);
    const tests = report.results.reduce((n, r) => n + testCount(r), 0);
    const head = `<testsuites name="pmfit" tests="${tests}" failures="${report.findings.length}" errors="0" time="${seconds(report.summary.wallMs)}">`;
    return ['<?xml version="1.0" encoding="UTF-8"?>', head, ...suites, '</testsuites>', ''].join('\n');
  },
};

/** The suite's name: `scenario [model/strategy]`. */
export function suiteName(result: ScenarioResult): string {
  return `${result.scenario} [${result.model}/${result.strategy}]`;
}

function testCount(result: ScenarioResult): number {
  return Math.max(1, result.findings.length);
}

function renderSuite(result: ScenarioResult): string {
  const name = suiteName(result);
  const s = result.summary;
  const attrs = `name="${xmlAttr(name)}" tests="${testCount(result)}" failures="${result.findings.length}" errors="0" skipped="0" time="${seconds(s.wallMs)}"`;
  const props = [
    ['model', result.model],
    ['strategy', result.strategy],
    ['oracle', result.oracle],
    ['seed', result.seed],
    ['verdict', s.verdict],
    ['crashPoints', String(s.crashPoints)],
    ['images', String(s.images)],
    ['distinctImages', String(s.distinctImages)],
    ['coverage', String(result.coverage.fraction)],
  ].map(([k, v]) => `      <property name="${k}" value="${xmlAttr(v!)}"/>`);
  const cases =
    result.findings.length > 0
      ? result.findings.map((f) => renderFailure(name, f))
      : [
          `    <testcase classname="${xmlAttr(name)}" name="${xmlAttr(passName(result))}" time="${seconds(s.wallMs)}"/>`,
        ];
  return [
    `  <testsuite ${attrs}>`,
    '    <properties>',
    ...props,
    '    </properties>',
    ...cases,
    `    <system-out>${xmlText(systemOut(result))}</system-out>`,
    '  </testsuite>',
  ].join('\n');
}

/** The passing testcase of a result with no bug: `basic (adr): consistent` (the counts are properties). */
export function passName(result: ScenarioResult): string {
  return `${result.scenario} (${result.model}): ${result.summary.verdict}`;
}

/** A bug's testcase: `scenario (model): class at site[, site]` — the same name in every run that finds it. */
export function bugTestName(f: Finding): string {
  return `${f.scenario} (${f.model}): ${bugName(f)}`;
}

function renderFailure(suite: string, f: Finding): string {
  const name = bugTestName(f);
  return [
    `    <testcase classname="${xmlAttr(suite)}" name="${xmlAttr(name)}" time="0">`,
    `      <failure type="${xmlAttr(findingLabel(f))}" message="${xmlAttr(findingHeadline(f))}">${xmlText(findingText(f))}</failure>`,
    '    </testcase>',
  ].join('\n');
}

/** The allcounts collation and the performance notes, as the suite's captured output. */
function systemOut(result: ScenarioResult): string {
  const lines: string[] = [];
  for (const g of result.groups)
    lines.push(
      `Output for iterations: ${formatRanges(g.iterations)}`,
      ...(g.output || '(no output)').split('\n').map((l) => `  ${l}`),
    );
  for (const p of groupedLints(result.perfFindings)) lines.push(`lint ${perfText(p)}`);
  if ((result.libraryPerfFindings ?? 0) > 0) lines.push(libraryLintsText(result.libraryPerfFindings!));
  return lines.join('\n');
}

function seconds(ms: number): string {
  return (ms / 1000).toFixed(3);
}

// XML 1.0 allows only #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF], not
// even as character references: anything else (control bytes from a torn pool, lone surrogates)
// is written out visibly as \uXXXX.
const FORBIDDEN =
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

function visible(ch: string): string {
  return `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`;
}

/** Text content: `&` and `<` escaped (and `>`, so `]]>` never appears), forbidden characters made visible. */
export function xmlText(text: string): string {
  return text.replace(FORBIDDEN, visible).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** An attribute value in double quotes; tabs and line breaks as references so parsers keep them. */
export function xmlAttr(text: string): string {
  return xmlText(text).replace(/"/g, '&quot;').replace(/\t/g, '&#9;').replace(/\n/g, '&#10;').replace(/\r/g, '&#13;');
}
