// The built-in TS scenarios through the whole pipeline: record, crash images, checks, verdicts.
import test from 'ava';
import { runScenarios } from '../../harness/run-scenarios.js';
import { findBuiltIn } from '../../scenarios/index.js';

const options = { jobs: 2, seed: '0', timeoutMs: 10_000 };

async function run(name: string, models: ('eadr' | 'adr')[]) {
  return runScenarios([findBuiltIn(name)!], { ...options, models });
}

test('basic shows partial strings, collated, and is no failure under collate', async (t) => {
  const report = await run('basic', ['eadr']);
  const [result] = report.results;
  t.is(report.summary.findings, 0);
  t.is(result!.oracle, 'collate');
  const outputs = result!.groups.map((g) => g.output);
  t.true(outputs.some((o) => o.includes('slot 0: "Hel"')), 'a crash mid-copy leaves a partial string');
  t.true(outputs.at(-1)!.includes('slot 2: "world"'));
  t.deepEqual(result!.groups[0]!.iterations[0], [0, 0]);
});

test('list-append is clean under both models', async (t) => {
  const report = await run('list-append', ['eadr', 'adr']);
  t.deepEqual(report.results.map((r) => [r.model, r.summary.verdict, r.summary.findings]), [
    ['eadr', 'consistent', 0],
    ['adr', 'consistent', 0],
  ]);
  t.true(report.results.every((r) => r.summary.distinctImages > 1 && r.summary.crashPoints === r.summary.images));
});

test('list-append-buggy is inconsistent under adr with the first failing crash point and its replay id', async (t) => {
  const report = await run('list-append-buggy', ['eadr', 'adr']);
  const [eadr, adr] = report.results;
  t.is(eadr!.summary.verdict, 'consistent', 'every executed store survives under eadr: the order bug is invisible');
  t.is(adr!.summary.verdict, 'inconsistent');
  const first = adr!.findings[0]!;
  t.is(first.crashPoint, 6);
  t.is(first.replayId, 'adr@6');
  t.is(first.replayCommand, 'pmfit replay adr@6 --scenario list-append-buggy');
  t.regex(first.message, /linked but not initialized/);
  t.deepEqual(first.lostStores.map((s) => s.offset), [64, 72, 80]);
  t.regex(first.lostStores[0]!.site ?? '', /scenarios\/linked-list\.ts:\d+:\d+/);
});

test('a deduplicated image is checked once: distinct images never exceed images', async (t) => {
  const report = await run('list-append', ['adr']);
  const s = report.results[0]!.summary;
  t.true(s.distinctImages < s.images);
});
