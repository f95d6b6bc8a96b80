// Each persistency bug class has a buggy TS scenario and a correct twin: the buggy one is found with
// the right class by the strategies that can see it, and the twin is clean under every strategy.
import test from 'ava';
import type { FindingClass, StrategyName } from '../../core/api.js';
import { runScenarios } from '../../harness/cli/run-scenarios.js';
import { findBuiltIn } from '../../scenarios/index.js';

const STRATEGIES: StrategyName[] = ['strict', 'extremes', 'exhaustive', 'random'];

async function verdict(name: string, strategy: StrategyName) {
  const report = await runScenarios([findBuiltIn(name)!], {
    models: ['adr'],
    strategy,
    jobs: 2,
    seed: '7',
    timeoutMs: 10_000,
    samples: 32,
  });
  return report.results[0]!;
}

const twins: Array<[string, FindingClass, StrategyName[]]> = [
  ['flag-data', 'missing-flush', ['strict', 'extremes', 'exhaustive']],
  ['fence-flag', 'missing-fence', ['extremes', 'exhaustive']],
  ['torn16', 'torn-write', ['extremes', 'exhaustive']],
  ['nt-publish', 'missing-fence', ['extremes', 'exhaustive']],
];

for (const [name, bugClass, finders] of twins) {
  test(`${name}-buggy is found as ${bugClass} by ${finders.join(', ')}`, async (t) => {
    for (const strategy of finders) {
      const result = await verdict(`${name}-buggy`, strategy);
      t.is(result.summary.verdict, 'inconsistent', strategy);
      t.is(result.findings[0]!.failure.kind, 'check-failed', strategy);
      t.is(result.findings[0]!.class, bugClass, strategy);
    }
  });

  test(`${name} (the correct twin) is clean under every strategy`, async (t) => {
    for (const strategy of STRATEGIES) t.is((await verdict(name, strategy)).summary.verdict, 'consistent', strategy);
  });
}

test('strict cannot see a missing fence, a torn store or undrained non-temporal data', async (t) => {
  for (const name of ['fence-flag-buggy', 'torn16-buggy', 'nt-publish-buggy'])
    t.is((await verdict(name, 'strict')).summary.verdict, 'consistent', name);
});

test('a finding is minimized: the reported image loses as few lines as any failing image of its point', async (t) => {
  const result = await verdict('fence-flag-buggy', 'exhaustive');
  const finding = result.findings[0]!;
  const lines = new Set(finding.lostStores.map((s) => Math.floor(s.offset / 64)));
  t.is(lines.size, 1);
  t.true(
    finding.keptStores.some((s) => s.offset === 0),
    'the flag persisted early',
  );
  t.true(
    finding.lostStores.every((s) => s.offset >= 64 && s.offset < 128),
    'only data stores were lost',
  );
});

test('random draws the same images for the same seed, and reports coverage', async (t) => {
  const a = await verdict('fence-flag-buggy', 'random');
  const b = await verdict('fence-flag-buggy', 'random');
  t.deepEqual(
    a.findings.map((f) => f.replayId),
    b.findings.map((f) => f.replayId),
  );
  t.true(a.coverage.stateSpace >= a.summary.crashPoints);
  t.true(a.coverage.fraction > 0 && a.coverage.fraction <= 1);
});

test('exhaustive above --max-states samples and reports the partly covered points', async (t) => {
  const report = await runScenarios([findBuiltIn('fence-flag-buggy')!], {
    models: ['adr'],
    strategy: 'exhaustive',
    maxStates: 3,
    jobs: 2,
    seed: '1',
    timeoutMs: 10_000,
  });
  const result = report.results[0]!;
  t.true(result.coverage.partialPoints.length > 0);
  t.true(result.coverage.fraction < 1);
});
