// Output a CI system can track across builds (issue 10): a bug's SARIF fingerprint stays the same
// when unrelated lines above it move, and its JUnit testcase name stays the same when the program
// runs longer (more records, more crash points) — on real builds and runs, not hand-made findings.
import test from 'ava';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO, tempDir } from '../helpers.js';
import { buildNative, checkNative } from '../bug-helpers.js';

const SOURCE = join(REPO, 'test', 'fixtures', 'native', 'record-flag.c');

interface SarifResult {
  ruleId: string;
  partialFingerprints: Record<string, string>;
  locations: Array<{ physicalLocation: { region: { startLine: number } } }>;
}

function sarifRun(dir: string, program: string, tag: string): SarifResult[] {
  const path = join(dir, `${tag}.sarif`);
  const { status } = checkNative(dir, program, 8192, { args: ['1'], extra: ['--report', `sarif=${path}`] });
  if (status !== 1) throw new Error(`expected the bug to be found (exit ${status})`);
  return JSON.parse(readFileSync(path, 'utf8')).runs[0].results as SarifResult[];
}

test('a SARIF fingerprint is the same in two builds where unrelated lines above the bug moved', (t) => {
  const dir = tempDir(t);
  // one checkout path, two builds: as a CI system sees a branch before and after an edit
  const src = join(dir, 'repo', 'record-flag.c');
  mkdirSync(join(dir, 'repo'));
  const original = readFileSync(SOURCE, 'utf8');
  writeFileSync(src, original);
  const before = sarifRun(dir, buildNative(src, join(dir, 'before')), 'before');
  const moved = original.replace(
    '#include "npool.h"',
    '/* an unrelated edit:\n * three lines more\n */\n#include "npool.h"',
  );
  writeFileSync(src, moved);
  const after = sarifRun(dir, buildNative(src, join(dir, 'after')), 'after');
  t.is(before.length, 1);
  t.is(after.length, 1);
  const line = (r: SarifResult) => r.locations[0]!.physicalLocation.region.startLine;
  t.is(line(after[0]!), line(before[0]!) + 3, 'the bug moved three lines down');
  t.deepEqual(after[0]!.partialFingerprints, before[0]!.partialFingerprints);
  t.is(after[0]!.ruleId, before[0]!.ruleId);
});

test('JUnit testcase names are the same across runs with different trace lengths', (t) => {
  const dir = tempDir(t);
  const program = buildNative(SOURCE, join(dir, 'record-flag'));
  const names = (records: string) => {
    const path = join(dir, `n${records}.xml`);
    const { report } = checkNative(dir, program, 8192, {
      args: [records],
      strategy: 'strict',
      extra: ['--report', `junit=${path}`],
    });
    const xml = readFileSync(path, 'utf8');
    return { names: [...xml.matchAll(/<testcase [^>]*name="([^"]*)"/g)].map((m) => m[1]), report };
  };
  const one = names('1');
  const ten = names('10');
  t.true(
    ten.report.results[0]!.summary.crashPoints > one.report.results[0]!.summary.crashPoints,
    'the longer run has more crash points',
  );
  t.true(one.names.length > 0);
  t.deepEqual(ten.names, one.names);
});
