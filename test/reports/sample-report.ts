// A small hand-made report for the reporter unit tests: one result with a bug of each way a check
// can fail and each way a fix can be verified (verified, not sufficient, not checked, none), a torn
// store, a store made by a library function (`via`), grouped lints (one with a count above 1, one
// from library code, and some left out), and a clean result.
import type { Finding, Report, ScenarioResult } from '../../core/api.js';
import { buildReport } from '../../reports/json-report.js';

const finding = (more: Partial<Finding>): Finding => ({
  class: 'missing-flush',
  failure: { kind: 'check-failed', detail: 'flag set but data is 0' },
  scenario: 'flag-data',
  model: 'adr',
  strategy: 'extremes',
  crashPoint: 4,
  icountFrom: 40,
  icountTo: 49,
  lastEvent: { kind: 'flush', seq: 3, offset: 4160, variant: 'clwb', site: 'flag.c:12' },
  actual: 'flag=1 data=0',
  lostStores: [{ seq: 0, offset: 4168, size: 8, site: 'data.c:7' }],
  keptStores: [{ seq: 1, offset: 0, size: 8, site: 'flag.c:9' }],
  replayId: 'adr@4/0:1~ab12cd',
  replayCommand: "pmfit replay 'adr@4/0:1~ab12cd' --scenario flag-data",
  sites: { lost: ['data.c:7'], kept: ['flag.c:9'] },
  crashPoints: [[4, 5]],
  pointCount: 2,
  failingImages: 3,
  otherLost: 2,
  otherKept: 0,
  lostLines: 1,
  lostUnits: 1,
  fix: {
    kind: 'flush',
    stores: [{ seq: 0, offset: 4168, size: 8, site: 'data.c:7' }],
    lines: [65],
    anchor: { kind: 'fence', seq: 2, variant: 'sfence', site: 'flag.c:10' },
    verification: { status: 'verified', images: 3 },
  },
  occurrences: [
    { crashPoint: 4, icountFrom: 40, icountTo: 49, images: 2, replayId: 'adr@4/0:1~ab12cd' },
    { crashPoint: 5, icountFrom: 50, icountTo: 59, images: 1, replayId: 'adr@5/0:1~ab12cd' },
  ],
  ...more,
});

const VIA_STORE = { seq: 4, offset: 4176, size: 16, site: 'data.c:8', via: 'memcpy' };

export const FINDINGS: Finding[] = [
  // 0: missing flush, fix verified, two lost stores it does not depend on.
  finding({}),
  // 1: the check died; missing fence on a store memcpy made; the fix is not sufficient.
  finding({
    class: 'missing-fence',
    crashPoint: 6,
    failure: { kind: 'check-crashed', signal: 'SIGSEGV' },
    lastEvent: { kind: 'store', seq: 5, offset: 8, size: 24, bytes: '01'.repeat(16), pc: 0x401a2b },
    lostStores: [VIA_STORE],
    keptStores: [{ seq: 5, offset: 8, size: 24, site: 'flag.c:9' }],
    sites: { lost: ['data.c:8'], kept: ['flag.c:9'] },
    crashPoints: [
      [6, 6],
      [9, 10],
    ],
    pointCount: 3,
    failingImages: 3,
    otherLost: 0,
    fix: {
      kind: 'fence',
      stores: [VIA_STORE],
      lines: [65],
      anchor: { kind: 'flush', seq: 5, offset: 4160, variant: 'clwb', site: 'data.c:9' },
      verification: { status: 'not-sufficient', images: 3, passed: 1 },
    },
    replayId: 'adr@6~ab12cd',
    replayCommand: "pmfit replay 'adr@6~ab12cd' --scenario flag-data",
    occurrences: [
      { crashPoint: 6, icountFrom: 60, icountTo: 69, images: 1, replayId: 'adr@6~ab12cd' },
      { crashPoint: 9, icountFrom: 90, icountTo: 99, images: 1, replayId: 'adr@9~ab12cd' },
      { crashPoint: 10, icountFrom: 100, icountTo: 109, images: 1, replayId: 'adr@10~ab12cd' },
    ],
  }),
  // 2: the check could not run; no store lost, no fix.
  finding({
    crashPoint: 0,
    class: 'inconsistent',
    failure: { kind: 'check-error', error: 'worker exited' },
    lostStores: [],
    keptStores: [],
    sites: { lost: [], kept: [] },
    crashPoints: [[0, 0]],
    pointCount: 1,
    failingImages: 1,
    otherLost: 0,
    fix: undefined,
    replayId: 'adr@0~ab12cd',
    replayCommand: "pmfit replay 'adr@0~ab12cd' --scenario flag-data",
    occurrences: [{ crashPoint: 0, icountFrom: 0, icountTo: 0, images: 1, replayId: 'adr@0~ab12cd' }],
  }),
  // 3: a 16-byte store torn in two; the atomic fix is not checked.
  finding({
    class: 'torn-write',
    crashPoint: 2,
    failure: { kind: 'check-failed', detail: 'record torn' },
    lostStores: [{ seq: 1, offset: 8, size: 8, store: { offset: 0, size: 16 }, site: 'rec.c:5' }],
    keptStores: [{ seq: 1, offset: 0, size: 8, store: { offset: 0, size: 16 }, site: 'rec.c:5' }],
    sites: { lost: ['rec.c:5'], kept: ['rec.c:5'] },
    crashPoints: [[2, 2]],
    pointCount: 1,
    failingImages: 1,
    otherLost: 0,
    fix: {
      kind: 'atomic',
      stores: [{ seq: 1, offset: 0, size: 16, site: 'rec.c:5' }],
      lines: [0],
      verification: { status: 'not-checked', reason: 'a merged shard report has no checker' },
    },
    replayId: 'adr@2/0:1~ab12cd',
    replayCommand: "pmfit replay 'adr@2/0:1~ab12cd' --scenario flag-data",
    occurrences: [{ crashPoint: 2, icountFrom: 20, icountTo: 29, images: 1, replayId: 'adr@2/0:1~ab12cd' }],
  }),
  // 4: ordering, fixed by persisting one store before the other, verified on its one image.
  finding({
    class: 'ordering',
    crashPoint: 12,
    failure: { kind: 'check-failed', detail: 'tail past head' },
    lostStores: [{ seq: 8, offset: 128, size: 8, site: 'log.c:20' }],
    keptStores: [{ seq: 10, offset: 192, size: 8, site: 'log.c:24' }],
    sites: { lost: ['log.c:20'], kept: ['log.c:24'] },
    crashPoints: [[12, 12]],
    pointCount: 1,
    failingImages: 1,
    otherLost: 0,
    otherKept: 1,
    fix: {
      kind: 'fence',
      stores: [{ seq: 8, offset: 128, size: 8, site: 'log.c:20' }],
      lines: [2],
      anchor: { kind: 'flush', seq: 9, offset: 128, variant: 'clwb', site: 'log.c:21' },
      before: { seq: 10, offset: 192, size: 8, site: 'log.c:24' },
      verification: { status: 'verified', images: 1 },
    },
    replayId: 'adr@12/2:0~ab12cd',
    replayCommand: "pmfit replay 'adr@12/2:0~ab12cd' --scenario flag-data",
    occurrences: [{ crashPoint: 12, icountFrom: 120, icountTo: 129, images: 1, replayId: 'adr@12/2:0~ab12cd' }],
  }),
].map((f) => {
  const { fix, ...rest } = f;
  const whole = fix ? f : (rest as Finding);
  return f.crashPoint === 0 ? (({ lastEvent: _, actual: __, ...r }) => r)(whole) : whole;
});

function result(findings: Finding[], verdict: ScenarioResult['summary']['verdict']): ScenarioResult {
  return {
    scenario: findings.length ? 'flag-data' : 'basic',
    model: 'adr',
    strategy: 'extremes',
    oracle: 'exit',
    seed: '0',
    summary: { verdict, crashPoints: 7, images: 12, distinctImages: 9, findings: findings.length, wallMs: 31 },
    coverage: { stateSpace: 24, fraction: 0.5, partialPoints: [] },
    groups: [{ output: 'flag=0 data=0', iterations: [[0, 39]], images: 4 }],
    findings,
    perfFindings: findings.length
      ? [
          { kind: 'idle-fence', count: 66, event: { kind: 'fence', seq: 2, variant: 'sfence', site: 'flag.c:10' } },
          {
            kind: 'redundant-flush',
            count: 1,
            library: true,
            event: { kind: 'flush', seq: 7, offset: 4160, variant: 'clwb', site: 'data.c:8', via: 'pmem_persist' },
          },
        ]
      : [],
    ...(findings.length ? { libraryPerfFindings: 4 } : {}),
  };
}

export function sampleReport(): Report {
  return buildReport([result(FINDINGS, 'inconsistent'), result([], 'consistent')], 77);
}
