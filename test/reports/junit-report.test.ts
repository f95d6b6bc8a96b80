import test from 'ava';
import type { Report } from '../../core/api.js';
import { findingHeadline, findingLabel, findingText, storeText } from '../../reports/format.js';
import { junitReporter, suiteName } from '../../reports/junit-report.js';
import { sampleReport } from './sample-report.js';
import { HOSTILE, SCENARIOS, hostileReport, realReport } from './real-report.js';
import { parseXml, type XmlElement } from './xml-check.js';

const kids = (el: XmlElement, name: string) => el.children.filter((c) => c.name === name);

test('the JUnit report of a real run is well-formed XML with the right counts', async (t) => {
  const report = await realReport();
  const root = parseXml(junitReporter.render(report));
  t.is(root.name, 'testsuites');
  const expectedTests = report.results.reduce((n, r) => n + Math.max(1, r.findings.length), 0);
  for (const name of SCENARIOS.filter((n) => n.endsWith('-buggy')))
    t.true(
      report.findings.some((f) => f.scenario === name),
      `${name} gives a bug`,
    );
  t.is(Number(root.attrs.tests), expectedTests);
  t.is(Number(root.attrs.failures), report.findings.length);
  const suites = kids(root, 'testsuite');
  t.deepEqual(
    suites.map((s) => s.attrs.name),
    report.results.map(suiteName),
  );
  t.true(suites.map((s) => s.attrs.name).includes('list-append-buggy [adr/extremes]'));
  let cases = 0;
  suites.forEach((suite, i) => {
    const result = report.results[i]!;
    const testcases = kids(suite, 'testcase');
    cases += testcases.length;
    t.is(Number(suite.attrs.tests), testcases.length);
    t.is(Number(suite.attrs.failures), result.findings.length);
    t.is(Number(suite.attrs.time), result.summary.wallMs / 1000);
    if (result.findings.length === 0) {
      t.is(testcases.length, 1);
      t.is(kids(testcases[0]!, 'failure').length, 0);
      t.is(testcases[0]!.attrs.name, `${result.scenario} (${result.model}): consistent`);
    }
  });
  t.is(cases, expectedTests);
});

test('each bug is a failing testcase whose message is the bug and whose body replays it', async (t) => {
  const report = await realReport();
  const root = parseXml(junitReporter.render(report));
  const failures = kids(root, 'testsuite')
    .flatMap((s) => kids(s, 'testcase'))
    .flatMap((c) => kids(c, 'failure'));
  t.is(failures.length, report.findings.length);
  failures.forEach((failure, i) => {
    const f = report.findings[i]!;
    t.is(failure.attrs.message, findingHeadline(f));
    t.true(failure.text.includes(findingText(f)));
    t.is(failure.attrs.type, findingLabel(f));
    t.true(failure.text.includes(`replay: ${f.replayCommand}`));
    for (const s of f.lostStores) t.true(failure.text.includes(storeText(s)));
  });
});

test('hostile text (markup, quotes, controls XML forbids, lone surrogates) stays well-formed and readable', async (t) => {
  const report = hostileReport(await realReport());
  const xml = junitReporter.render(report);
  const root = parseXml(xml);
  const failure = kids(root, 'testsuite')
    .flatMap((s) => kids(s, 'testcase'))
    .flatMap((c) => kids(c, 'failure'))[0]!;
  t.true(
    failure.attrs.message!.includes(
      'a</script><!-- & "q" \'s\' ]]> \\u0001\\u0008\\u000b\\u001f \\ud800 \u{1F600} <b>x</b>',
    ),
  );
  t.true(failure.text.includes('<b>x</b>'));
  t.false(xml.includes('\u0001'));
  t.true(HOSTILE.includes('\u0001'));
});

test('the checker itself rejects what it should', (t) => {
  t.throws(() => parseXml('<a><b></a></b>'));
  t.throws(() => parseXml('<a x="1" x="2"/>'));
  t.throws(() => parseXml('<a>&nbsp;</a>'));
  t.throws(() => parseXml('<a>\u0001</a>'));
  t.throws(() => parseXml('<a x="<"/>'));
  t.throws(() => parseXml('<a/><b/>'));
  t.is(parseXml('<a x="&#10;&amp;">1 &lt; 2</a>').text, '1 < 2');
});

const testcases = (report: Report) =>
  kids(parseXml(junitReporter.render(report)), 'testsuite').flatMap((s) => kids(s, 'testcase'));

test('testcases are named by scenario, model, class and sites: no counts, crash points or replay ids', (t) => {
  const report = sampleReport();
  t.deepEqual(
    testcases(report).map((c) => c.attrs.name),
    [
      'flag-data (adr): missing-flush at data.c:7, flag.c:9',
      'flag-data (adr): crash:SIGSEGV at data.c:8, flag.c:9',
      'flag-data (adr): unknown',
      'flag-data (adr): torn-write at rec.c:5',
      'flag-data (adr): ordering at log.c:20, log.c:24',
      'basic (adr): consistent',
    ],
  );
  // With the sites taken out, no digit is left: nothing from counts, points or ids.
  for (const c of testcases(report)) t.notRegex(c.attrs.name!.replace(/ at .*$/, ''), /\d/);
});

test('the same bugs in a run with a longer trace keep their testcase names', (t) => {
  const report = sampleReport();
  const longer = structuredClone(report) as Report;
  for (const r of longer.results) {
    r.summary = { ...r.summary, crashPoints: r.summary.crashPoints * 3, images: 99, distinctImages: 50, wallMs: 900 };
    for (const f of r.findings) {
      f.crashPoints = f.crashPoints.map(([a, b]) => [a + 20, b + 25]);
      f.pointCount += 5;
      f.failingImages += 7;
      f.crashPoint += 20;
      f.replayId = f.replayId.replace(/@\d+/, '@77');
    }
  }
  longer.findings = longer.results.flatMap((r) => r.findings);
  t.deepEqual(
    testcases(longer).map((c) => [c.attrs.classname, c.attrs.name]),
    testcases(report).map((c) => [c.attrs.classname, c.attrs.name]),
  );
  // The failure body does change: it says where this run found the bug.
  t.notDeepEqual(
    testcases(longer).map((c) => kids(c, 'failure')[0]?.text),
    testcases(report).map((c) => kids(c, 'failure')[0]?.text),
  );
});

test("a bug's failure body carries its fix and whether pmfit verified it", (t) => {
  const failures = testcases(sampleReport()).flatMap((c) => kids(c, 'failure'));
  t.true(failures[0]!.text.includes('fix: flush the line written at data.c:7'));
  t.true(failures[0]!.text.includes('verified: the 3 failing images pass with this change'));
  t.true(failures[1]!.text.includes('not sufficient: 1 of 3 failing images pass with this change'));
  t.false(failures[2]!.text.includes('fix:'));
});
