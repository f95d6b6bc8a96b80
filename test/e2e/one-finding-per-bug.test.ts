// Issue 10: every buggy twin gives exactly one finding per model that fails, at a line of the
// scenario's own source, with a fix pmfit verified by re-simulation; the correct twins stay clean.
import test from 'ava';
import type { Finding, FindingClass, ScenarioResult } from '../../core/api.js';
import { runScenarios } from '../../harness/cli/run-scenarios.js';
import { findScenario } from '../../scenarios/index.js';
import { brief } from '../bug-helpers.js';

async function run(name: string): Promise<ScenarioResult[]> {
  const entry = findScenario(name);
  if (!entry) throw new Error(`no scenario ${name}`);
  // The scenario's own models, the default strategy (extremes).
  const report = await runScenarios([entry], { jobs: 2, seed: '0', timeoutMs: 20_000 });
  return report.results;
}

/** A site in the scenario's own source: a file under scenarios/, a line, not a library pc. */
const OWN_TS = /^scenarios\/[\w-]+\.ts:\d+:\d+$/;
const OWN_C = /^scenarios\/native\/[\w-]+\.c:\d+$/;

// buggy twin, the class of its one finding, the models that must fail
const twins: Array<[string, FindingClass, string[]]> = [
  ['flag-data-buggy', 'missing-flush', ['adr']],
  ['fence-flag-buggy', 'missing-fence', ['adr']],
  ['torn16-buggy', 'torn-write', ['adr']],
  ['nt-publish-buggy', 'missing-fence', ['adr']],
  ['list-append-buggy', 'missing-flush', ['adr']],
  ['native/flag-data-buggy', 'missing-flush', ['adr']],
  ['native/fence-flag-buggy', 'missing-fence', ['adr']],
  ['native/torn16-buggy', 'torn-write', ['adr']],
  ['native/nt-publish-buggy', 'missing-fence', ['adr']],
  ['native/binarytree-buggy', 'missing-flush', ['adr']],
];

for (const [name, bugClass, failing] of twins) {
  test(`${name}: one ${bugClass} finding per failing model, at its own line, with a verified fix`, async (t) => {
    t.timeout(120_000);
    const results = await run(name);
    t.deepEqual(
      results.filter((r) => r.summary.verdict !== 'consistent').map((r) => r.model),
      failing,
      'the models that fail',
    );
    for (const result of results.filter((r) => r.summary.verdict !== 'consistent')) {
      t.is(result.findings.length, 1, result.findings.map(brief).join('\n'));
      const f: Finding = result.findings[0]!;
      t.is(f.class, bugClass, brief(f));
      t.is(f.fix?.verification.status, 'verified', brief(f));
      // verified on every failing image of the bug (at most diagnose.ts's MAX_VERIFIED_IMAGES)
      t.deepEqual(f.fix?.verification, { status: 'verified', images: Math.min(f.failingImages, 1024) }, brief(f));
      t.true(f.sites.lost.length > 0, brief(f));
      // Every lost site is the program's own line: the node's word copied by libc's strcpy is named
      // by the line that called strcpy (the tracer's user frames), never by a libc address.
      for (const site of f.sites.lost) t.regex(site, name.startsWith('native/') ? OWN_C : OWN_TS, brief(f));
    }
  });
}

for (const name of [
  'flag-data',
  'fence-flag',
  'torn16',
  'nt-publish',
  'list-append',
  'native/flag-data',
  'native/fence-flag',
  'native/torn16',
  'native/nt-publish',
  'native/binarytree',
]) {
  test(`${name} (the correct twin) stays clean`, async (t) => {
    t.timeout(120_000);
    for (const result of await run(name)) {
      t.is(result.summary.verdict, 'consistent', `${result.model}: ${result.findings.map(brief).join('\n')}`);
      t.is(result.findings.length, 0);
    }
  });
}

test('native/pmemobj-tx-buggy (b changed without TX_ADD) is one atomicity bug: inconsistent, nothing lost, no fix', async (t) => {
  t.timeout(180_000);
  const results = await run('native/pmemobj-tx-buggy');
  t.deepEqual(
    results.map((r) => r.model),
    ['adr'],
  );
  const findings = results[0]!.findings;
  t.is(findings.length, 1, findings.map(brief).join('\n'));
  t.is(findings[0]!.class, 'inconsistent');
  t.deepEqual(findings[0]!.sites.lost, []);
  t.is(findings[0]!.lostStores.length, 0);
  t.is(findings[0]!.fix, undefined, 'no persistency change fixes a missing undo-log entry');
});
