// The JSON report: the versioned source of truth every other report renders from.
import test from 'ava';
import type { Report } from '../../core/api.js';
import { REPORT_SCHEMA_VERSION, buildReport, jsonReporter } from '../../reports/json-report.js';
import { sampleReport } from './sample-report.js';

test('the JSON report round-trips, versioned (schema 3), with one finding per bug as data and no prose', (t) => {
  const report = sampleReport();
  const text = jsonReporter.render(report);
  const parsed = JSON.parse(text) as Report;
  t.deepEqual(parsed, report);
  t.is(parsed.schemaVersion, 3);
  t.is(REPORT_SCHEMA_VERSION, 3);
  t.deepEqual(Object.keys(parsed.findings[0]!).sort(), [
    'actual',
    'class',
    'crashPoint',
    'crashPoints',
    'failingImages',
    'failure',
    'fix',
    'icountFrom',
    'icountTo',
    'keptStores',
    'lastEvent',
    'lostLines',
    'lostStores',
    'lostUnits',
    'model',
    'occurrences',
    'otherKept',
    'otherLost',
    'pointCount',
    'replayCommand',
    'replayId',
    'scenario',
    'sites',
    'strategy',
  ]);
  // Per-point detail lives in the bug's occurrences, one per crash point its ranges hold.
  for (const f of parsed.findings) {
    t.is(f.occurrences.length, f.pointCount);
    t.deepEqual(
      f.occurrences.map((o) => o.crashPoint),
      f.crashPoints.flatMap(([from, to]) => Array.from({ length: to - from + 1 }, (_, k) => from + k)),
    );
  }
  t.deepEqual(parsed.findings[1]!.fix!.verification, { status: 'not-sufficient', images: 3, passed: 1 });
  t.false('fix' in parsed.findings[2]!);
  t.deepEqual(
    parsed.results[0]!.perfFindings.map((p) => p.count),
    [66, 1],
  );
  t.is(parsed.results[0]!.libraryPerfFindings, 4);
  t.notRegex(text, /"message"|"kind": "missing-flush"/);
  t.true(text.endsWith('}\n'));
});

test('the overall summary adds up the results and takes the worst verdict', (t) => {
  const report = sampleReport();
  t.deepEqual(report.summary, {
    verdict: 'inconsistent',
    crashPoints: 14,
    images: 24,
    distinctImages: 18,
    findings: 5,
    wallMs: 77,
  });
  t.is(report.findings.length, 5);
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
