// Issue 10: failing images grouped into bugs on real runs — two independent bugs are two findings
// (TS scenario file and native program), a record/flag bug is one finding whatever the record
// count, two bugs failing at the same crash points are both reported with their own verified fix,
// a witness is minimised to the one line that matters, a missing flush of a memcpy'd record is
// not a torn write, and an atomicity bug is `inconsistent` under eadr and adr alike.
import test from 'ava';
import { join } from 'node:path';
import type { Finding, Report } from '../../core/api.js';
import { brief, buildNative, checkNative, runJson, unsimulated } from '../bug-helpers.js';
import { REPO, tempDir } from '../helpers.js';

const FIXTURES = join(REPO, 'test', 'fixtures');
const nativeSource = (name: string) => `test/fixtures/native/${name}.c`;
const scenarioFile = (name: string) => join(FIXTURES, 'scenario-files', `${name}.mjs`);

function findingsOf(report: Report, model = 'adr'): Finding[] {
  const result = report.results.find((r) => r.model === model);
  if (!result) throw new Error(`no ${model} result`);
  return result.findings;
}

const describe = (findings: readonly Finding[]) => findings.map(brief).join('\n');

/** The two findings of the two-bugs programs: a missing flush in publish A, a missing fence in publish B. */
function assertTwoBugs(
  t: import('ava').ExecutionContext,
  findings: readonly Finding[],
  site: (what: 'a' | 'b' | 'bFlag') => RegExp,
): void {
  t.is(findings.length, 2, describe(findings));
  const flush = findings.find((f) => f.class === 'missing-flush');
  const fence = findings.find((f) => f.class === 'missing-fence');
  t.truthy(flush, describe(findings));
  t.truthy(fence, describe(findings));
  if (!flush || !fence) return;
  t.true(flush.sites.lost.length > 0 && flush.sites.lost.every((s) => site('a').test(s)), brief(flush));
  t.true(fence.sites.lost.length > 0 && fence.sites.lost.every((s) => site('b').test(s)), brief(fence));
  // The early persist the missing fence depends on is B's flag, even where A's lost data fails too.
  t.true(fence.sites.kept.length === 1 && site('bFlag').test(fence.sites.kept[0]!), brief(fence));
  t.is(flush.fix?.verification.status, 'verified', brief(flush));
  t.is(fence.fix?.verification.status, 'verified', brief(fence));
}

// Data stores of each publish function, and B's flag store.
const TS_SITES = { a: /two-bugs\.mjs:14:\d+$/, b: /two-bugs\.mjs:21:\d+$/, bFlag: /two-bugs\.mjs:23:\d+$/ };
const C_SITES = {
  a: /^test\/fixtures\/native\/two-bugs\.c:41$/,
  b: /^test\/fixtures\/native\/two-bugs\.c:56$/,
  bFlag: /^test\/fixtures\/native\/two-bugs\.c:58$/,
};

test('two independent bugs in a TS scenario file (missing flush, missing fence) are two findings', (t) => {
  t.timeout(120_000);
  const dir = tempDir(t);
  const { status, report } = runJson(dir, [scenarioFile('two-bugs')]);
  t.is(status, 1);
  assertTwoBugs(t, findingsOf(report), (w) => TS_SITES[w]);
});

test('two independent bugs in a native program (missing flush, missing fence) are two findings', (t) => {
  t.timeout(120_000);
  const dir = tempDir(t);
  const prog = buildNative(nativeSource('two-bugs'), join(dir, 'two-bugs'));
  const { status, report } = checkNative(dir, prog, 4096);
  t.is(status, 1);
  assertTwoBugs(t, findingsOf(report), (w) => C_SITES[w]);
});

test('two bugs whose lost stores come from one shared helper are still two findings (class, early persist)', (t) => {
  t.timeout(120_000);
  const dir = tempDir(t);
  const { status, report } = runJson(dir, [scenarioFile('two-bugs-helper')]);
  t.is(status, 1);
  const findings = findingsOf(report);
  t.is(findings.length, 2, describe(findings));
  const flush = findings.find((f) => f.class === 'missing-flush');
  const fence = findings.find((f) => f.class === 'missing-fence');
  t.truthy(flush && fence, describe(findings));
  if (!flush || !fence) return;
  // Both lose writeData's store; each depends on its own flag persisting early.
  for (const f of [flush, fence]) {
    t.is(f.sites.lost.length, 1, brief(f));
    t.regex(f.sites.lost[0]!, /two-bugs-helper\.mjs:14:\d+$/, brief(f));
    t.deepEqual(f.fix?.verification, { status: 'verified', images: f.failingImages }, brief(f));
  }
  t.regex(flush.sites.kept.join(), /two-bugs-helper\.mjs:19:\d+$/, brief(flush));
  t.regex(fence.sites.kept.join(), /two-bugs-helper\.mjs:27:\d+$/, brief(fence));
  t.is(fence.fix?.kind, 'fence');
  t.regex(fence.fix?.anchor?.site ?? '', /two-bugs-helper\.mjs:26:\d+$/, "a fence after publishB's flush");
});

/** Some crash point where both findings fail. */
function sharedPoint(a: Finding, b: Finding): number | undefined {
  const points = new Set(a.occurrences.map((o) => o.crashPoint));
  return b.occurrences.find((o) => points.has(o.crashPoint))?.crashPoint;
}

test('two bugs failing at the same crash points are both reported, each with its verified fix (TS)', (t) => {
  t.timeout(120_000);
  const dir = tempDir(t);
  const r = runJson(dir, [scenarioFile('two-bugs')], { env: { PMFIT_TEST_OVERLAP: '1' } });
  const findings = findingsOf(r.report);
  assertTwoBugs(t, findings, (w) => TS_SITES[w]);
  t.not(sharedPoint(findings[0]!, findings[1]!), undefined, 'the two bugs fail at a common crash point');
});

test('two bugs failing at the same crash points are both reported, each with its verified fix (native)', (t) => {
  t.timeout(120_000);
  const dir = tempDir(t);
  const prog = buildNative(nativeSource('two-bugs'), join(dir, 'two-bugs'));
  const { report } = checkNative(dir, prog, 4096, { args: ['overlap'] });
  const findings = findingsOf(report);
  assertTwoBugs(t, findings, (w) => C_SITES[w]);
  t.not(sharedPoint(findings[0]!, findings[1]!), undefined, 'the two bugs fail at a common crash point');
});

test('N records then a flag persisted first: one finding at N = 1, 10 and 100', (t) => {
  t.timeout(240_000);
  const dir = tempDir(t);
  const prog = buildNative(nativeSource('record-flag'), join(dir, 'record-flag'));
  // strict at every N, and extremes (the default) at the largest: both grow linearly with N
  // (bench/pipeline.ts measures this workload under both up to N = 1000).
  const runs: Array<[number, string]> = [
    [1, 'strict'],
    [10, 'strict'],
    [100, 'strict'],
    [100, 'extremes'],
  ];
  for (const [n, strategy] of runs) {
    const { status, report } = checkNative(dir, prog, 8192, { args: [String(n)], strategy });
    t.is(status, 1, `N=${n} ${strategy}`);
    const findings = findingsOf(report);
    t.is(findings.length, 1, `N=${n} ${strategy}: ${describe(findings)}`);
    const f = findings[0]!;
    t.is(f.class, 'missing-flush', `N=${n} ${strategy}`);
    t.deepEqual(f.sites.lost, ['test/fixtures/native/record-flag.c:49'], `N=${n} ${strategy}`);
    t.is(f.lostLines, 1, `N=${n} ${strategy}: the witness loses one record`);
    t.deepEqual(
      f.fix?.verification,
      { status: 'verified', images: f.failingImages },
      `N=${n} ${strategy}: ${brief(f)}`,
    );
    if (strategy === 'strict') t.true(f.pointCount >= n, `N=${n}: the bug shows at every point until the last flush`);
  }
});

test('N records then a flag persisted first, as a TS scenario file: one finding at N = 1, 10 and 100', (t) => {
  t.timeout(240_000);
  const dir = tempDir(t);
  // As above.
  const runs: Array<[number, string]> = [
    [1, 'strict'],
    [10, 'strict'],
    [100, 'strict'],
    [100, 'extremes'],
  ];
  for (const [n, strategy] of runs) {
    const { status, report } = runJson(dir, [scenarioFile('record-flag'), '--strategy', strategy], {
      env: { PMFIT_TEST_RECORDS: String(n) },
    });
    t.is(status, 1, `N=${n} ${strategy}`);
    const findings = findingsOf(report);
    t.is(findings.length, 1, `N=${n} ${strategy}: ${describe(findings)}`);
    const f = findings[0]!;
    t.is(f.class, 'missing-flush', `N=${n} ${strategy}`);
    t.is(f.sites.lost.length, 1, `N=${n} ${strategy}`);
    t.regex(f.sites.lost[0]!, /record-flag\.mjs:20:\d+$/, `N=${n} ${strategy}`);
    t.is(f.lostLines, 1, `N=${n} ${strategy}`);
    t.deepEqual(
      f.fix?.verification,
      { status: 'verified', images: f.failingImages },
      `N=${n} ${strategy}: ${brief(f)}`,
    );
    if (strategy === 'strict') t.true(f.pointCount >= n, `N=${n}`);
  }
});

test('a witness among sixteen unrelated pending lines is minimised to the one line that matters (TS)', (t) => {
  t.timeout(120_000);
  const dir = tempDir(t);
  // strict: the only failing image is the durable state, which loses the scratch lines as well
  const { report } = runJson(dir, [scenarioFile('many-lines'), '--strategy', 'strict']);
  const findings = findingsOf(report);
  t.is(findings.length, 1, describe(findings));
  const f = findings[0]!;
  t.is(f.class, 'missing-flush');
  t.is(f.lostLines, 1);
  t.deepEqual(
    f.lostStores.map((s) => [s.offset, s.size]),
    [[64, 8]],
    'only the data word is listed',
  );
  t.deepEqual(f.sites.lost.length, 1);
  t.regex(f.sites.lost[0]!, /many-lines\.mjs:17:\d+$/);
  t.is(f.otherLost + f.otherKept, 16, 'the sixteen scratch stores are counted, not listed');
  t.is(f.fix?.verification.status, 'verified', brief(f));
  // The premise: the run's own failing image loses all seventeen lines.
  const shard = runJson(dir, [scenarioFile('many-lines'), '--strategy', 'strict', '--shard', '1/1']);
  const old = findingsOf(unsimulated(dir, shard.path));
  t.is(old.length, 1, describe(old));
  t.is(old[0]!.lostLines, 17, describe(old));
});

test('a witness among sixteen unrelated pending lines is minimised to the one line that matters (native)', (t) => {
  t.timeout(120_000);
  const dir = tempDir(t);
  const prog = buildNative(nativeSource('many-lines'), join(dir, 'many-lines'));
  const { report } = checkNative(dir, prog, 4096, { strategy: 'strict' });
  const findings = findingsOf(report);
  t.is(findings.length, 1, describe(findings));
  const f = findings[0]!;
  t.is(f.class, 'missing-flush');
  t.is(f.lostLines, 1);
  t.deepEqual(
    f.lostStores.map((s) => [s.offset, s.size, s.site]),
    [[64, 8, 'test/fixtures/native/many-lines.c:40']],
  );
  t.is(f.otherLost + f.otherKept, 16, 'the sixteen scratch stores are counted, not listed');
  t.is(f.fix?.verification.status, 'verified', brief(f));
  // (the premise — 17 lines lost without re-simulation — is shown once, by the TS variant)
});

test('a missing flush of a 24-byte record written with memcpy is missing-flush, not torn-write', (t) => {
  t.timeout(120_000);
  const dir = tempDir(t);
  const prog = buildNative(nativeSource('memcpy-record'), join(dir, 'memcpy-record'));
  // exhaustive: its images include those keeping one of the record's two lines (the premise below)
  const { status, report } = checkNative(dir, prog, 4096, { extra: ['--strategy', 'exhaustive'] });
  t.is(status, 1);
  const findings = findingsOf(report);
  t.is(findings.length, 1, describe(findings));
  const f = findings[0]!;
  t.is(f.class, 'missing-flush', brief(f));
  const stores = JSON.stringify(f.lostStores);
  t.true(
    f.lostStores.some((s) => s.size > 8),
    `libc's memcpy wrote the record with stores wider than 8 bytes: ${stores}`,
  );
  // The premise: a wide store straddles the record's two lines, so an image keeping one of them
  // keeps part of that store (the smallest failing image the run saw is such a "torn" one).
  t.true(
    f.lostStores.some((s) => Math.floor(s.offset / 64) !== Math.floor((s.offset + s.size - 1) / 64)),
    stores,
  );
  t.true(
    f.lostStores.every((s) => s.offset >= 56 && s.offset + s.size <= 80),
    `only the record (bytes 56-79) is lost: ${stores}`,
  );
  t.is(f.lostLines, 2, 'both of its lines are lost whole');
  t.false(
    f.keptStores.some((s) => s.offset < 80),
    'nothing of the record is kept',
  );
  t.is(f.fix?.kind, 'persist', brief(f));
  t.deepEqual(f.fix?.verification, { status: 'verified', images: f.failingImages }, brief(f));
  // The premise: from the log alone, the smallest failing image is a torn one.
  const shard = checkNative(dir, prog, 4096, { extra: ['--strategy', 'exhaustive', '--shard', '1/1'] });
  const raw = findingsOf(unsimulated(dir, shard.path));
  t.true(
    raw.some((u) => u.class === 'torn-write'),
    describe(raw),
  );
  // The lost stores are made inside libc's memcpy: they are named by the line that called it.
  t.deepEqual(f.sites.lost, ['test/fixtures/native/memcpy-record.c:50'], brief(f));
  t.true(
    f.lostStores.every((s) => s.via === 'memcpy'),
    brief(f),
  );
});

/** The atomicity bug's findings under eadr and adr: one each, inconsistent, nothing lost blamed. */
function assertAtomicity(t: import('ava').ExecutionContext, report: Report): void {
  for (const model of ['eadr', 'adr']) {
    const findings = findingsOf(report, model);
    t.is(findings.length, 1, `${model}: ${describe(findings)}`);
    t.is(findings[0]!.class, 'inconsistent', model);
    t.deepEqual(findings[0]!.sites.lost, [], `${model}: no lost store is blamed`);
    t.is(findings[0]!.lostStores.length, 0, model);
    t.is(findings[0]!.fix, undefined, `${model}: no persistency change fixes it`);
  }
}

test('an atomicity bug (two fields updated in place) is one inconsistent finding under eadr and under adr (native)', (t) => {
  t.timeout(120_000);
  const dir = tempDir(t);
  const prog = buildNative(nativeSource('pair-eq'), join(dir, 'pair-eq'));
  const { status, report } = checkNative(dir, prog, 4096, { models: ['eadr', 'adr'] });
  t.is(status, 1);
  assertAtomicity(t, report);
  // (the premise — a missing flush blaming the log's store without re-simulation — is shown once,
  // by the TS variant)
});

test('an atomicity bug (two fields updated in place) is one inconsistent finding under eadr and under adr (TS)', (t) => {
  t.timeout(120_000);
  const dir = tempDir(t);
  const { status, report } = runJson(dir, [scenarioFile('pair-eq')]);
  t.is(status, 1);
  assertAtomicity(t, report);
  const shard = runJson(dir, [scenarioFile('pair-eq'), '--model', 'adr', '--shard', '1/1']);
  const unminimised = findingsOf(unsimulated(dir, shard.path));
  t.true(
    unminimised.some((f) => f.class === 'missing-flush' && f.sites.lost.some((s) => /pair-eq\.mjs:22:\d+$/.test(s))),
    describe(unminimised),
  );
});

test('two atomicity bugs in two functions are two findings; the first one again later is the same bug', (t) => {
  t.timeout(120_000);
  const dir = tempDir(t);
  const { status, report } = runJson(dir, [scenarioFile('two-pairs')]);
  t.is(status, 1);
  const findings = findingsOf(report, 'eadr');
  t.is(findings.length, 2, describe(findings));
  // each begins after the first store of its pair, in the function that updates it
  t.deepEqual(
    findings.map((f) => [f.class, f.lastEvent?.site?.replace(/^.*two-pairs\.mjs:(\d+):\d+$/, '$1')]),
    [
      ['inconsistent', '11'],
      ['inconsistent', '17'],
    ],
  );
  t.is(findings[0]!.crashPoints.length, 2, 'updateAB runs twice: two stretches, one bug');
});
