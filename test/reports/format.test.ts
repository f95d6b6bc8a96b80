// reports/format.ts words findings; offsets are byte ranges and cache lines are indexes, everywhere.
import test from 'ava';
import type { EventRef, Finding, FixSuggestion, PerfFinding } from '../../core/api.js';
import {
  CLASS_HELP,
  bugBrief,
  bugName,
  bugSitesText,
  crashPointsText,
  eventText,
  extentText,
  failureText,
  findingHeadline,
  findingLabel,
  isUserSite,
  fixText,
  libraryLintsText,
  linesText,
  otherStoresText,
  perfText,
  quietLine,
  rangesText,
  siteText,
  storeLines,
  storeText,
  verificationText,
} from '../../reports/format.js';
import { buildReport } from '../../reports/json-report.js';
import { groupedLints } from '../../reports/lints.js';
import { FINDINGS, sampleReport } from './sample-report.js';

test('events are written one way: byte ranges [offset, +size) and cache lines by index', (t) => {
  const cases: Array<[EventRef, string]> = [
    [
      { kind: 'store', seq: 1, offset: 4160, size: 8, bytes: '2a00000000000000', site: 'a.c:3' },
      '#1 store [4160, +8) line 65 = 2a00000000000000 at a.c:3',
    ],
    [
      { kind: 'store', seq: 2, offset: 60, size: 8, variant: 'non-temporal', bytes: 'ff' },
      '#2 store (non-temporal) [60, +8) lines 0-1 = ff',
    ],
    [{ kind: 'flush', seq: 3, offset: 4160, variant: 'clwb', pc: 0x40 }, '#3 clwb line 65 pc=0x40'],
    [{ kind: 'fence', seq: 4, variant: 'sfence' }, '#4 sfence'],
    [{ kind: 'fence', seq: 5, variant: 'locked' }, '#5 locked instruction (fence)'],
    [{ kind: 'msync', seq: 6, offset: 0, size: 4096 }, '#6 msync [0, +4096) lines 0-63'],
    [{ kind: 'marker', seq: 7, variant: 'user', name: 'op' }, '#7 marker user "op"'],
  ];
  for (const [event, text] of cases) t.is(eventText(event), text);
  t.is(storeText({ seq: 9, offset: 4168, size: 8, site: 'b.c:1' }), '#9 [4168, +8) line 65 at b.c:1');
  t.is(linesText(64, 64), 'line 1');
  t.is(linesText(64, 65), 'lines 1-2');
});

test('every failure has its clause, and a dead check its label', (t) => {
  t.is(failureText({ kind: 'check-failed' }), 'the check reported an inconsistent state');
  t.is(failureText({ kind: 'check-failed', detail: 'x' }), 'x');
  t.is(failureText({ kind: 'check-timed-out' }), 'the check timed out');
  t.is(findingLabel({ class: 'ordering', failure: { kind: 'check-crashed', signal: 'SIGBUS' } }), 'crash:SIGBUS');
  t.is(findingLabel({ class: 'ordering', failure: { kind: 'check-timed-out' } }), 'timeout');
  t.is(findingLabel({ class: 'ordering', failure: { kind: 'check-error', error: 'e' } }), 'unknown');
  t.is(findingLabel({ class: 'ordering', failure: { kind: 'not-at-boundary' } }), 'ordering');
});

test('a store made by a library function is written at the user line that called it; a torn part names its whole store', (t) => {
  t.is(
    storeText({ seq: 4, offset: 4176, size: 16, site: 'data.c:8', via: 'memcpy' }),
    '#4 [4176, +16) line 65 by memcpy called at data.c:8',
  );
  t.is(siteText({ site: 'data.c:8', via: 'memcpy' }), 'memcpy called at data.c:8');
  t.is(siteText({ site: 'data.c:8' }), 'data.c:8');
  t.is(siteText({ pc: 0x401a2b }), 'pc=0x401a2b');
  t.is(
    storeText({ seq: 1, offset: 8, size: 8, store: { offset: 0, size: 16 }, site: 'rec.c:5' }),
    '#1 [8, +8) of the 16-byte store [0, +16) line 0 at rec.c:5',
  );
  // A whole store carries no "of the … store".
  t.is(storeText({ seq: 1, offset: 0, size: 16, store: { offset: 0, size: 16 } }), '#1 [0, +16) line 0');
  const torn = FINDINGS.find((f) => f.class === 'torn-write')!;
  t.is(bugSitesText(torn), 'torn store at rec.c:5');
  t.is(bugSitesText(FINDINGS[0]!), 'lost stores at data.c:7, persisted early at flag.c:9');
  t.is(bugSitesText(FINDINGS[1]!), 'lost stores by memcpy called at data.c:8, persisted early at flag.c:9');
  t.is(
    bugSitesText({
      sites: { lost: ['a.c:1', 'a.c:2', 'b.c:3', 'c.c:4'], kept: [] },
      lostStores: [{ seq: 3, offset: 0, size: 8, site: 'b.c:3', via: 'memcpy' }],
      keptStores: [],
    }),
    'lost stores at a.c:1, a.c:2 and c.c:4 and by memcpy called at b.c:3',
  );
  // A bug with many sites names the first few and counts the rest, in its headline and its name.
  const many = Array.from({ length: 7 }, (_, i) => `m.c:${i + 1}`);
  const wide: Pick<Finding, 'class' | 'failure' | 'sites' | 'lostStores' | 'keptStores'> = {
    class: 'missing-flush',
    failure: { kind: 'check-failed' },
    sites: { lost: many, kept: [] },
    lostStores: [],
    keptStores: [],
  };
  t.is(bugSitesText(wide), 'lost stores at m.c:1, m.c:2, m.c:3 and m.c:4 and 3 more sites');
  t.is(bugName(wide), 'missing-flush at m.c:1, m.c:2, m.c:3, m.c:4, 3 more sites');
});

test('stores a bug does not depend on are counted, with "more" only after listed ones', (t) => {
  t.is(otherStoresText(2, true), 'and 2 more lost stores the bug does not depend on');
  t.is(otherStoresText(1, false), 'and 1 more store persisted early the bug does not depend on');
  t.is(otherStoresText(1, false, false), '1 store persisted early the bug does not depend on');
  t.deepEqual(storeLines({ lostStores: [], keptStores: [], otherLost: 0, otherKept: 3 }), [
    '  persisted early (kept before they were durable):',
    '    3 stores persisted early the bug does not depend on',
  ]);
});

test('crash points are written as ranges, with how many points they hold', (t) => {
  t.is(
    rangesText([
      [4, 5],
      [9, 9],
    ]),
    '4-5, 9',
  );
  t.is(
    crashPointsText({
      crashPoints: [
        [4, 5],
        [9, 9],
      ],
      pointCount: 3,
    }),
    'crash points 4-5, 9 (3 points)',
  );
  t.is(crashPointsText({ crashPoints: [[7, 7]], pointCount: 1 }), 'crash point 7');
  t.is(
    extentText({ crashPoints: [[4, 5]], pointCount: 2, failingImages: 3 }),
    'at 2 crash points (4-5), 3 failing images',
  );
  const many = Array.from({ length: 8 }, (_, i) => [i * 3, i * 3] as [number, number]);
  t.is(
    extentText({ crashPoints: many, pointCount: 8, failingImages: 8 }),
    'at 8 crash points (0, 3, 6, 9, 12, 15, …), 8 failing images',
  );
});

test('the headline of a bug: label, scenario, what failed, its sites, its crash points and images', (t) => {
  t.is(
    `FINDING [${findingLabel(FINDINGS[0]!)}] ${findingHeadline(FINDINGS[0]!)}`,
    'FINDING [missing-flush] flag-data (adr): the check failed: flag set but data is 0 — lost stores at data.c:7, persisted early at flag.c:9; at 2 crash points (4-5), 3 failing images',
  );
  t.is(
    findingHeadline(FINDINGS[2]!),
    'flag-data (adr): the check could not give a verdict: worker exited (the image shows inconsistent); at crash point 0, 1 failing image',
  );
});

test('each kind of fix is one sentence naming the user lines', (t) => {
  const store = { seq: 0, offset: 4168, size: 8, site: 'data.c:7' };
  const verification = { status: 'verified', images: 3 } as const;
  const fix = (more: Partial<FixSuggestion>): FixSuggestion => ({
    kind: 'flush',
    stores: [store],
    lines: [65],
    verification,
    ...more,
  });
  t.is(
    fixText(fix({ anchor: { kind: 'fence', seq: 2, variant: 'sfence', site: 'flag.c:10' } })),
    'fix: flush the line written at data.c:7 (pmem_flush or pmem_persist) before the fence at flag.c:10',
  );
  t.is(
    fixText(
      fix({
        stores: [store, { ...store, seq: 3, offset: 4232, site: 'data.c:9', via: 'memcpy' }],
        lines: [65, 66],
        anchor: { kind: 'fence', seq: 5, pc: 0x40 },
      }),
    ),
    'fix: flush the lines written at data.c:7 and by memcpy called at data.c:9 (pmem_flush or pmem_persist) before the fence pc=0x40',
  );
  t.is(
    fixText(fix({ kind: 'persist' })),
    'fix: persist the store at data.c:7 right after it (pmem_persist, or flush + fence)',
  );
  t.is(
    fixText(fix({ kind: 'fence', anchor: { kind: 'flush', seq: 1, offset: 4160, variant: 'clwb', site: 'data.c:8' } })),
    'fix: add a fence (pmem_drain) after the flush at data.c:8',
  );
  t.is(
    fixText(
      fix({ kind: 'fence', anchor: { kind: 'store', seq: 1, offset: 4160, variant: 'non-temporal', site: 'nt.c:3' } }),
    ),
    'fix: add a fence (pmem_drain) after the non-temporal store at nt.c:3',
  );
  t.is(
    fixText(
      fix({
        kind: 'fence',
        anchor: { kind: 'flush', seq: 1, offset: 4160, variant: 'clwb', site: 'data.c:8' },
        before: { seq: 4, offset: 0, size: 8, site: 'flag.c:9' },
      }),
    ),
    'fix: persist the store at data.c:7 before the store at flag.c:9 (a fence after the flush at data.c:8)',
  );
  t.is(
    fixText(fix({ kind: 'atomic' })),
    'fix: the store at data.c:7 is torn: publish with one aligned 8-byte store, or guard with a checksum/valid flag',
  );
});

test('a fix says whether pmfit verified it by re-simulation', (t) => {
  t.is(verificationText({ status: 'verified', images: 3 }), 'verified: the 3 failing images pass with this change');
  t.is(verificationText({ status: 'verified', images: 1 }), 'verified: the failing image passes with this change');
  t.is(
    verificationText({ status: 'not-sufficient', images: 3, passed: 1 }),
    'not sufficient: 1 of 3 failing images pass with this change',
  );
  t.is(verificationText({ status: 'not-checked', reason: 'no checker' }), 'not verified: no checker');
});

test('rule help names the generic fix of each class', (t) => {
  t.regex(CLASS_HELP['missing-flush'], /Fix: flush/);
  t.regex(CLASS_HELP['missing-fence'], /Fix: add a fence/);
  t.regex(CLASS_HELP['torn-write'], /one aligned 8-byte store/);
  for (const text of Object.values(CLASS_HELP)) t.regex(text, /Fix: /);
});

test('lints are one line per (kind, site) with their count; library entries left out are counted', (t) => {
  t.is(
    perfText({ kind: 'idle-fence', count: 66, event: { kind: 'fence', seq: 2, variant: 'sfence', site: 'f.c:12' } }),
    '[idle-fence] ×66 fence with no flush or non-temporal store to order at f.c:12 (first: #2 sfence)',
  );
  t.is(
    perfText({
      kind: 'clean-flush',
      count: 2,
      library: true,
      event: { kind: 'flush', seq: 7, offset: 64, variant: 'clwb', site: 'a.c:1', via: 'pmem_persist' },
    }),
    '[clean-flush] ×2 flush of a line with no pending store by pmem_persist called at a.c:1 (library code; first: #7 clwb line 1)',
  );
  t.is(libraryLintsText(4), '4 lint entries from library code not shown (--lint all)');
  t.is(libraryLintsText(1), '1 lint entry from library code not shown (--lint all)');
});

test('the --quiet line counts bugs and names the first ones briefly', (t) => {
  const report = sampleReport();
  const one = { ...report, findings: report.findings.slice(0, 1), summary: { ...report.summary, findings: 1 } };
  t.is(
    quietLine(one),
    'pmfit: inconsistent: 1 bug (missing-flush at data.c:7) in 2 scenario runs; 14 crash points, 18 distinct images checked',
  );
  const three = { ...report, findings: report.findings.slice(0, 3), summary: { ...report.summary, findings: 3 } };
  t.regex(
    quietLine(three),
    /^pmfit: inconsistent: 3 bugs \(missing-flush at data\.c:7, crash:SIGSEGV at data\.c:8, unknown\) in /,
  );
  t.regex(
    quietLine(report),
    /^pmfit: inconsistent: 5 bugs \(missing-flush at data\.c:7, crash:SIGSEGV at data\.c:8, …\) in 2 scenario runs; /,
  );
  const clean = buildReport([report.results[1]!], 1);
  t.is(quietLine(clean), 'pmfit: consistent: 0 bugs in 1 scenario run; 7 crash points, 9 distinct images checked');
  // A native site's directory is left out of the quiet line.
  const native = {
    ...one,
    findings: [{ ...one.findings[0]!, sites: { lost: ['/src/pm/binarytree.c:121'], kept: [] } }],
  };
  t.regex(quietLine(native), /\(missing-flush at binarytree\.c:121\)/);
});

test("a bug's user lines come before addresses, and name it in the --quiet line and in testcase names", (t) => {
  const f: Pick<Finding, 'class' | 'failure' | 'sites' | 'lostStores' | 'keptStores'> = {
    class: 'missing-flush',
    failure: { kind: 'check-failed' },
    sites: { lost: ['pc=0x40029f3adb', 'scenarios/native/binarytree.c:121'], kept: [] },
    lostStores: [],
    keptStores: [],
  };
  t.is(bugSitesText(f), 'lost stores at scenarios/native/binarytree.c:121 and pc=0x40029f3adb');
  t.is(bugBrief(f), 'missing-flush at binarytree.c:121');
  t.is(bugName(f), 'missing-flush at scenarios/native/binarytree.c:121');
  t.is(bugName({ ...f, sites: { lost: ['pc=0x40'], kept: [] } }), 'missing-flush at pc=0x40');
  t.true(isUserSite('a.ts:3:4'));
  t.false(isUserSite('pc=0x40'));
  t.false(isUserSite('??'));
});

test('lints listed once per event are grouped per kind and place, counts summed, the first event kept', (t) => {
  const fence = (seq: number, site?: string): PerfFinding => ({
    kind: 'idle-fence',
    count: 1,
    event: { kind: 'fence', seq, variant: 'sfence', ...(site ? { site } : { pc: 0x40 }) },
  });
  const grouped = groupedLints([fence(9, 'f.c:12'), fence(3, 'f.c:12'), fence(5), fence(7), fence(8, 'g.c:1')]);
  t.deepEqual(
    grouped.map((p) => [p.event.site ?? p.event.pc, p.count, p.event.seq]),
    [
      ['f.c:12', 2, 3],
      [0x40, 2, 5],
      ['g.c:1', 1, 8],
    ],
  );
  t.deepEqual(groupedLints(grouped), grouped, 'grouping grouped lints changes nothing');
});
