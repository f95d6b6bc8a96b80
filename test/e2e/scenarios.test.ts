// The built-in TS scenarios through the whole pipeline: record, crash images, checks, verdicts.
import test from 'ava';
import { runScenarios } from '../../harness/cli/run-scenarios.js';
import { findBuiltIn } from '../../scenarios/index.js';

const options = { jobs: 2, seed: '0', timeoutMs: 10_000 };

async function run(name: string, models: ('eadr' | 'adr')[], strategy?: 'strict' | 'extremes') {
  return runScenarios([findBuiltIn(name)!], { ...options, models, ...(strategy ? { strategy } : {}) });
}

test('basic shows partial strings, collated, and is no failure under collate', async (t) => {
  const report = await run('basic', ['eadr']);
  const [result] = report.results;
  t.is(report.summary.findings, 0);
  t.is(result!.oracle, 'collate');
  const outputs = result!.groups.map((g) => g.output);
  t.true(
    outputs.some((o) => o.includes('slot 0: "Hel"')),
    'a crash mid-copy leaves a partial string',
  );
  t.true(outputs.at(-1)!.includes('slot 2: "world"'));
  t.deepEqual(result!.groups[0]!.iterations[0], [0, 0]);
});

test('list-append is clean under both models', async (t) => {
  const report = await run('list-append', ['eadr', 'adr']);
  t.deepEqual(
    report.results.map((r) => [r.model, r.summary.verdict, r.summary.findings]),
    [
      ['eadr', 'consistent', 0],
      ['adr', 'consistent', 0],
    ],
  );
  t.true(report.results.every((r) => r.summary.distinctImages > 1));
  t.is(report.results[0]!.summary.images, report.results[0]!.summary.crashPoints, 'eadr: one image per crash point');
  t.true(
    report.results[1]!.summary.images > report.results[1]!.summary.crashPoints,
    'adr extremes: several images per point',
  );
});

test('list-append-buggy is inconsistent under strict adr with the first failing crash point and its replay id', async (t) => {
  const report = await run('list-append-buggy', ['eadr', 'adr'], 'strict');
  const [eadr, adr] = report.results;
  t.is(eadr!.summary.verdict, 'consistent', 'every executed store survives under eadr: the order bug is invisible');
  t.is(adr!.summary.verdict, 'inconsistent');
  const first = adr!.findings[0]!;
  t.is(first.crashPoint, 6);
  t.regex(first.replayId, /^adr@6~[0-9a-f]{6}$/);
  t.is(first.replayCommand, `pmfit replay '${first.replayId}' --scenario list-append-buggy`);
  t.is(first.failure.kind, 'check-failed');
  t.regex(first.failure.kind === 'check-failed' ? (first.failure.detail ?? '') : '', /linked but not initialized/);
  t.deepEqual(
    first.lostStores.map((s) => s.offset),
    [64, 72, 80],
  );
  t.regex(first.lostStores[0]!.site ?? '', /scenarios\/linked-list\.ts:\d+:\d+/);
  t.is(first.class, 'missing-flush', 'the node was never flushed when the link became durable');
});

test('extremes finds the buggy append earlier: the link evicted to pmem before the node was flushed', async (t) => {
  const [result] = (await run('list-append-buggy', ['adr'], 'extremes')).results;
  const first = result!.findings[0]!;
  t.is(first.crashPoint, 4);
  t.is(first.class, 'missing-flush');
  t.true(
    first.keptStores.some((s) => s.offset === 8),
    'the link store persisted early',
  );
  t.true(
    first.lostStores.some((s) => s.offset >= 64 && s.offset < 128),
    'while part of the node was lost',
  );
});

test('a deduplicated image is checked once: distinct images never exceed images', async (t) => {
  const report = await run('list-append', ['adr']);
  const s = report.results[0]!.summary;
  t.true(s.distinctImages < s.images);
});
