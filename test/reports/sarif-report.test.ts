import test from 'ava';
import type { Report } from '../../core/api.js';
import { findingHeadline, findingLabel } from '../../reports/format.js';
import { parseSite, SARIF_SCHEMA, sarifReporter } from '../../reports/sarif-report.js';
import { hostileReport, realReport } from './real-report.js';

interface Loc {
  physicalLocation: {
    artifactLocation: { uri: string; uriBaseId?: string };
    region: { startLine: number; startColumn?: number };
  };
}
interface Result {
  ruleId: string;
  ruleIndex: number;
  level: string;
  message: { text: string };
  locations: Loc[];
  relatedLocations?: Loc[];
  partialFingerprints: Record<string, string>;
}

function render(report: Report) {
  const log = JSON.parse(sarifReporter.render(report));
  const run = log.runs[0];
  return {
    log,
    run,
    rules: run.tool.driver.rules as { id: string; defaultConfiguration: { level: string } }[],
    results: run.results as Result[],
  };
}

const REQUIRED = [
  'missing-flush',
  'missing-fence',
  'ordering',
  'torn-write',
  'inconsistent',
  'crash',
  'timeout',
  'unknown',
];
const PERF = ['redundant-flush', 'clean-flush', 'idle-fence', 'never-durable'];

test('the SARIF log of a real run is structurally valid 2.1.0', async (t) => {
  const report = await realReport();
  const { log, run, rules, results } = render(report);
  t.is(log.version, '2.1.0');
  t.is(log.$schema, SARIF_SCHEMA);
  t.is(log.runs.length, 1);
  t.is(run.tool.driver.name, 'pmfit');
  const ids = rules.map((r) => r.id);
  t.deepEqual(new Set(ids).size, ids.length, 'rule ids are unique');
  for (const id of REQUIRED) t.is(rules.find((r) => r.id === id)?.defaultConfiguration.level, 'error', id);
  for (const id of PERF) t.is(rules.find((r) => r.id === id)?.defaultConfiguration.level, 'note', id);
  t.is(results.length, report.findings.length);
  for (const r of results) {
    t.true(ids.includes(r.ruleId), r.ruleId);
    t.is(rules[r.ruleIndex]!.id, r.ruleId);
    t.is(r.level, 'error');
  }
  const prints = results.map((r) => JSON.stringify(r.partialFingerprints));
  t.is(new Set(prints).size, prints.length, 'fingerprints tell findings apart');
});

test('each result says what failed, replays it, and sits at the first lost store', async (t) => {
  const report = await realReport();
  const { results } = render(report);
  report.findings.forEach((f, i) => {
    const r = results[i]!;
    t.is(r.ruleId, findingLabel(f));
    t.true(r.message.text.startsWith(findingHeadline(f)));
    t.true(r.message.text.includes(f.replayCommand));
    const site = parseSite(f.lostStores.find((s) => parseSite(s.site))?.site)!;
    t.truthy(site, 'every TS finding here has a located lost store');
    const loc = r.locations[0]!.physicalLocation;
    t.is(loc.artifactLocation.uri, site.file);
    t.is(loc.artifactLocation.uriBaseId, '%SRCROOT%');
    t.is(loc.region.startLine, site.line);
    t.is(loc.region.startColumn, site.column);
    t.is(r.relatedLocations!.length, f.lostStores.length + f.keptStores.length - 1);
  });
});

test('sites that do not parse are skipped; absolute paths become file URIs; perf findings are notes', async (t) => {
  const report = hostileReport(await realReport());
  const { results, rules } = render(report);
  const first = results[0]!;
  t.is(
    first.locations[0]!.physicalLocation.artifactLocation.uri,
    parseSite(report.findings[0]!.lostStores[1]!.site)!.file,
  );
  t.true(
    first.relatedLocations!.some(
      (l) =>
        l.physicalLocation.artifactLocation.uri === 'file:///abs/dir%20with%20space/n.c' &&
        l.physicalLocation.region.startLine === 42,
    ),
  );
  const perf = results.find((r) => r.level === 'note')!;
  t.is(perf.ruleId, 'idle-fence');
  t.is(rules[perf.ruleIndex]!.id, 'idle-fence');
  t.is(perf.locations[0]!.physicalLocation.artifactLocation.uri, 'scenarios/native/x.c');
  t.is(perf.locations[0]!.physicalLocation.region.startLine, 7);
});

test('parseSite reads TS and native sites and nothing else', (t) => {
  t.deepEqual(parseSite('scenarios/a.ts:18:12'), { file: 'scenarios/a.ts', line: 18, column: 12 });
  t.deepEqual(parseSite('/src/x.c:42'), { file: '/src/x.c', line: 42 });
  t.is(parseSite('??:0'), undefined);
  t.is(parseSite('x.c:0'), undefined);
  t.is(parseSite('pc=0x4002868ec5'), undefined);
  t.is(parseSite(undefined), undefined);
});
