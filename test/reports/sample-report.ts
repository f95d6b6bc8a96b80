// A small hand-made report for the reporter unit tests: one result with a finding of each way a
// check can fail, a perf finding, and a clean result.
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
  otherLost: 0,
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

export const FINDINGS: Finding[] = [
  finding({}),
  finding({
    crashPoint: 6,
    failure: { kind: 'check-crashed', signal: 'SIGSEGV' },
    lastEvent: { kind: 'store', seq: 5, offset: 8, size: 24, bytes: '01'.repeat(16), pc: 0x401a2b },
    replayId: 'adr@6~ab12cd',
    replayCommand: "pmfit replay 'adr@6~ab12cd' --scenario flag-data",
  }),
  finding({
    crashPoint: 0,
    class: 'inconsistent',
    failure: { kind: 'check-error', error: 'worker exited' },
    lostStores: [],
    keptStores: [],
    replayId: 'adr@0~ab12cd',
    replayCommand: "pmfit replay 'adr@0~ab12cd' --scenario flag-data",
  }),
].map((f) => (f.crashPoint === 0 ? (({ lastEvent: _, actual: __, ...rest }) => rest)(f) : f));

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
      ? [{ kind: 'idle-fence', count: 1, event: { kind: 'fence', seq: 2, variant: 'sfence', site: 'flag.c:10' } }]
      : [],
  };
}

export function sampleReport(): Report {
  return buildReport([result(FINDINGS, 'inconsistent'), result([], 'consistent')], 77);
}
