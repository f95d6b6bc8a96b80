// The JSON report: the versioned source of truth every other report renders from.
import test from 'ava';
import type { Report } from '../../core/api.js';
import { REPORT_SCHEMA_VERSION, buildReport, jsonReporter } from '../../reports/json-report.js';
import { sampleReport } from './sample-report.js';

test('the JSON report round-trips, versioned, with findings as data and no prose', (t) => {
  const report = sampleReport();
  const text = jsonReporter.render(report);
  const parsed = JSON.parse(text) as Report;
  t.deepEqual(parsed, report);
  t.is(parsed.schemaVersion, 2);
  t.is(REPORT_SCHEMA_VERSION, 2);
  t.deepEqual(Object.keys(parsed.findings[0]!).sort(), [
    'actual',
    'class',
    'crashPoint',
    'failure',
    'icountFrom',
    'icountTo',
    'keptStores',
    'lastEvent',
    'lostStores',
    'model',
    'replayCommand',
    'replayId',
    'scenario',
    'strategy',
  ]);
  t.notRegex(text, /"message"|"kind": "missing-flush"|"reason"/);
  t.true(text.endsWith('}\n'));
});

test('the overall summary adds up the results and takes the worst verdict', (t) => {
  const report = sampleReport();
  t.deepEqual(report.summary, {
    verdict: 'inconsistent',
    crashPoints: 14,
    images: 24,
    distinctImages: 18,
    findings: 3,
    wallMs: 77,
  });
  t.is(report.findings.length, 3);
  const clean = buildReport([report.results[1]!], 1);
  t.is(clean.summary.verdict, 'consistent');
  t.false('incomplete' in clean);
  const unknown = buildReport(
    [{ ...report.results[1]!, summary: { ...report.results[1]!.summary, verdict: 'unknown' } }, report.results[1]!],
    1,
  );
  t.is(unknown.summary.verdict, 'unknown');
  t.true(buildReport([{ ...report.results[1]!, incomplete: true }], 1).incomplete);
});
