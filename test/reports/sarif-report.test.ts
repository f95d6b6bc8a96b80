import test from 'ava';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Report } from '../../core/api.js';
import { findingHeadline, findingLabel } from '../../reports/format.js';
import { type ReportContext, writeReports } from '../../reports/index.js';
import {
  parseSite,
  SARIF_SCHEMA,
  SourceLines,
  sarifReporter,
  sarifReporterFor,
  siteKey,
} from '../../reports/sarif-report.js';
import { hostileReport, realReport } from './real-report.js';
import { FINDINGS, sampleReport } from './sample-report.js';

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
  // A fingerprint is the bug's class and sites: bugs differing in either differ in it.
  const prints = results.map((r) => JSON.stringify(r.partialFingerprints));
  const bugs = report.findings.map((f) => JSON.stringify([f.class, f.sites]));
  t.is(new Set(prints).size, new Set(bugs).size, 'fingerprints tell bugs apart');
  for (const rule of run.tool.driver.rules) t.regex(rule.help.text, /\S/, rule.id);
});

test('each result says what failed, replays it, and sits at its lost-store sites first', async (t) => {
  const report = await realReport();
  const { results } = render(report);
  report.findings.forEach((f, i) => {
    const r = results[i]!;
    t.is(r.ruleId, findingLabel(f));
    t.true(r.message.text.startsWith(findingHeadline(f)));
    t.true(r.message.text.includes(f.replayCommand));
    const site = parseSite(f.sites.lost[0])!;
    t.truthy(site, 'every TS bug here has a located lost-store site');
    const loc = r.locations[0]!.physicalLocation;
    t.is(loc.artifactLocation.uri, site.file);
    t.is(loc.artifactLocation.uriBaseId, '%SRCROOT%');
    t.is(loc.region.startLine, site.line);
    t.is(loc.region.startColumn, site.column);
    t.is(r.locations.length, f.sites.lost.length + f.sites.kept.length);
  });
});

test('sites that do not parse are skipped; absolute paths become file URIs; perf findings are notes', async (t) => {
  const report = hostileReport(await realReport());
  const { results, rules } = render(report);
  const first = results[0]!;
  t.is(first.locations[0]!.physicalLocation.artifactLocation.uri, parseSite(report.findings[0]!.sites.lost[1])!.file);
  t.true(
    first.locations.some(
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

test("one result per bug: the message has the fix and its verification; rule help has the class's fix", (t) => {
  const report = sampleReport();
  const { results, run } = render(report);
  const bugs = results.filter((r) => r.level === 'error');
  t.is(bugs.length, FINDINGS.length);
  t.true(
    bugs[0]!.message.text.includes(
      'fix: flush the line written at data.c:7 (pmem_flush or pmem_persist) before the fence at flag.c:10\nverified: the 3 failing images pass with this change',
    ),
  );
  t.true(bugs[1]!.message.text.includes('not sufficient: 1 of 3 failing images pass with this change'));
  t.true(bugs[3]!.message.text.includes('not verified: a merged shard report has no checker'));
  t.false(bugs[2]!.message.text.includes('fix:'));
  // Lost-store sites first, then those persisted early.
  t.deepEqual(
    bugs[4]!.locations.map((l) => `${l.physicalLocation.artifactLocation.uri}:${l.physicalLocation.region.startLine}`),
    ['log.c:20', 'log.c:24'],
  );
  const rule = run.tool.driver.rules.find((r: { id: string }) => r.id === 'missing-flush');
  t.regex(rule.help.text, /Fix: flush the store's cache line/);
  // Lints: one note per (kind, site), its count in the message.
  const notes = results.filter((r) => r.level === 'note');
  t.is(notes.length, 2);
  t.regex(notes[0]!.message.text, /^\[idle-fence\] ×66 /);
});

/** A report of two bugs like the sample's first, their lost stores at the given sites. */
function twoBugs(a: string, b: string): Report {
  const report = sampleReport();
  const [first] = report.findings;
  const bug = (site: string, point: number) => ({
    ...first!,
    sites: { lost: [site], kept: [] },
    lostStores: [{ ...first!.lostStores[0]!, site }],
    keptStores: [],
    crashPoints: [[point, point + 3]] as Array<[number, number]>,
    crashPoint: point,
    replayId: `adr@${point}~ab12cd`,
  });
  const findings = [bug(a, 4), bug(b, 40)];
  report.results = [{ ...report.results[0]!, findings, perfFindings: [] }];
  report.findings = findings;
  return report;
}

test('a fingerprint follows the text of the source line, not its number, points or replay ids', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pmfit-sarif-'));
  try {
    const one = join(dir, 'one.c');
    const two = join(dir, 'two.c');
    // The same statement at line 3 of one file and line 7 of a copy with lines added above it.
    writeFileSync(one, 'int a;\nvoid f(void) {\n  data[7] = v;\n}\n');
    writeFileSync(two, 'int a;\nint b;\nint c;\nint d;\nint e;\nvoid f(void) {\n    data[7] = v;  \n}\n');
    const prints = (report: Report) => render(report).results.map((r) => r.partialFingerprints['pmfitBug/v1']!);
    const moved = prints(twoBugs(`${one}:3`, `${two}:7`));
    t.is(typeof moved[0], 'string');
    // The same file before and after lines are added above the bug.
    const before = prints(twoBugs(`${one}:3`, `${one}:3`));
    writeFileSync(one, 'int a;\nint b;\nint c;\nint d;\nint e;\nvoid f(void) {\n    data[7] = v;  \n}\n');
    const after = prints(twoBugs(`${one}:7`, `${one}:7`));
    t.is(after[0], before[0], 'lines added above the bug leave its fingerprint alone');
    t.is(before[0], before[1], 'crash points and replay ids are not in it');
    // Another statement on that line is another fingerprint.
    const other = prints(twoBugs(`${one}:3`, `${one}:7`));
    t.not(other[0], other[1], 'different line text, different fingerprint');
    t.not(moved[0], moved[1], 'the file is part of it');
    // A file that cannot be read falls back to the site itself.
    const gone = prints(twoBugs(join(dir, 'gone.c:3'), join(dir, 'gone.c:4')));
    t.not(gone[0], gone[1]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('relative sites are read from the working directory, then from the given source roots', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pmfit-sarif-'));
  try {
    writeFileSync(join(dir, 'rel.c'), 'x = 1;\ny = 2;\n');
    const lines = new SourceLines([dir]);
    t.is(lines.line('rel.c', 2), 'y = 2;');
    t.is(new SourceLines().line('rel.c', 2), undefined);
    t.regex(siteKey('rel.c:2', lines), /^rel\.c#[0-9a-f]{16}$/);
    t.is(siteKey('rel.c:2', new SourceLines()), 'rel.c:2');
    t.is(siteKey('pc=0x40', lines), 'pc=0x40');
    // Two sites on lines with the same text (after trimming) have the same key.
    writeFileSync(join(dir, 'rel.c'), 'x = 1;\n\t\tx = 1;  \n');
    const fresh = new SourceLines([dir]);
    t.is(siteKey('rel.c:1', fresh), siteKey('rel.c:2', fresh));
    const report = twoBugs('rel.c:1', 'rel.c:2');
    const log = JSON.parse(sarifReporterFor([dir]).render(report));
    const [a, b] = log.runs[0].results.map((r: Result) => r.partialFingerprints['pmfitBug/v1']);
    t.is(a, b);
    // Two checkouts: the bug's line at line 3 in one and at line 7 in the other (lines added above).
    const old = mkdtempSync(join(dir, 'old-'));
    const now = mkdtempSync(join(dir, 'new-'));
    writeFileSync(join(old, 'data.c'), 'int a;\nvoid f(void) {\n  data[7] = v;\n}\n');
    writeFileSync(
      join(now, 'data.c'),
      'int a;\nint b;\nint c;\nint d;\nvoid f(void) {\n  if (x)\n    data[7] = v;\n}\n',
    );
    const print = (root: string, site: string) =>
      JSON.parse(sarifReporterFor([root]).render(twoBugs(site, site))).runs[0].results[0].partialFingerprints[
        'pmfitBug/v1'
      ];
    t.is(print(old, 'data.c:3'), print(now, 'data.c:7'), 'same line text, moved down: same fingerprint');
    t.not(print(old, 'data.c:3'), print(now, 'data.c:6'), 'another line text: another fingerprint');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("written reports read relative sites from the run's scenario-file directories too", (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pmfit-sarif-'));
  try {
    writeFileSync(join(dir, 'scen.ts'), 'log.append(1);\n  log.append(1);\n');
    const report = twoBugs('scen.ts:1', 'scen.ts:2');
    const prints = (context: ReportContext) => {
      const path = join(dir, `r${Math.random().toString(36).slice(2)}.sarif`);
      t.deepEqual(writeReports(report, [{ kind: 'sarif', path }], context), []);
      return JSON.parse(readFileSync(path, 'utf8')).runs[0].results.map(
        (r: Result) => r.partialFingerprints['pmfitBug/v1'],
      );
    };
    const [a, b] = prints({ sourceRoots: [dir] });
    t.is(a, b, 'the two lines hold the same statement');
    const [c, d] = prints({});
    t.not(c, d, 'unread, the sites themselves differ');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("addresses in a bug's sites stay out of its fingerprint when it has a user line", (t) => {
  const report = twoBugs('data.c:7', 'data.c:7');
  report.findings[1]!.sites = { lost: ['pc=0x40029f3adb', 'data.c:7'], kept: [] };
  const [a, b] = render(report).results.map((r) => r.partialFingerprints['pmfitBug/v1']);
  t.is(a, b);
  report.findings[1]!.sites = { lost: ['data.c:7', 'data.c:8'], kept: [] };
  const [c, d] = render(report).results.map((r) => r.partialFingerprints['pmfitBug/v1']);
  t.not(c, d);
});
