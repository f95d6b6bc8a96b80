// Issue 11, several pools: `--pool NAME=FILE` (repeatable) and poolsets. Real QEMU tracing of
// test/fixtures/native/two-pools.c (a redo log in one pool, its data in another) and
// poolset-counter.c (a libpmemobj pool made of a poolset's two parts), checked end to end through
// the CLI: findings, replay, --out per pool, the trace's pool ids, and the bad inputs.
import test from 'ava';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Report } from '../../core/api.js';
import { readTrace } from '../../core/trace/reader.js';
import { brief } from '../bug-helpers.js';
import { REPO, pmfit, tempDir } from '../helpers.js';

const VALUE = 0x600dda7an; // two-pools.c
const SLOT = 3; // its data line

function build(dir: string, source: string, name: string, flags: string[], libs: string[]): string {
  const out = join(dir, name);
  execFileSync('cc', ['-std=gnu11', '-O1', '-g', ...flags, '-o', out, source, ...libs], {
    cwd: REPO,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  return out;
}

/** `pmfit check` of two-pools.c on a log and a data pool, with `options` before the program. */
function twoPools(dir: string, program: string, options: string[]) {
  return pmfit([
    'check',
    '--pool',
    `log=${join(dir, 'log.pool')}`,
    '--pool',
    `data=${join(dir, 'data.pool')}`,
    '--size',
    '4096',
    '--check',
    `${program} check {log} {data}`,
    ...options,
    '--',
    program,
    'run',
    '{log}',
    '{data}',
  ]);
}

function checkTwoPools(dir: string, program: string, extra: string[] = []) {
  const report = join(dir, `r-${Math.random().toString(36).slice(2)}.json`);
  const r = twoPools(dir, program, ['--quiet', '--report', `json=${report}`, ...extra]);
  return { ...r, report: existsSync(report) ? (JSON.parse(readFileSync(report, 'utf8')) as Report) : undefined };
}

test('two pools: a commit record in the log that persists before its data in the other pool is found, named by pool, and replays with one file per pool', async (t) => {
  t.timeout(300_000);
  const dir = tempDir(t);
  const program = build(dir, 'test/fixtures/native/two-pools.c', 'two-pools-buggy', ['-DBUGGY'], ['-lpmem']);
  const saved = join(dir, 'two.pmtrace');
  const failures = join(dir, 'failures');
  const { status, report, stderr } = checkTwoPools(dir, program, ['--save-trace', saved, '--save-failures', failures]);
  t.is(status, 1, stderr);
  const result = report!.results[0]!;
  t.is(result.findings.length, 1, result.findings.map(brief).join('\n'));
  const finding = result.findings[0]!;
  t.is(finding.class, 'missing-flush', brief(finding));
  // the data store is lost, in the data pool's own offsets; the commit in the log persisted early
  const lost = finding.lostStores.find((s) => s.pool === 'data');
  t.truthy(lost, JSON.stringify(finding.lostStores));
  t.is(lost!.offset, 64 * SLOT);
  t.regex(lost!.site ?? '', /two-pools\.c:\d+/);
  t.true(finding.keptStores.some((s) => s.pool === 'log' && s.offset === 0));
  t.regex(finding.replayId, /^adr@\d+\/log\.0:1~[0-9a-f]{6}$/);
  t.true(finding.replayCommand.includes('--pool log='), finding.replayCommand);

  // the trace: two pools in the header, each event with its pool id and its offset in that file
  const trace = readTrace(saved);
  t.deepEqual(
    trace.header.pools.map((p) => p.name),
    ['log', 'data'],
  );
  const stores = [...trace.events].flatMap((e) => (e.kind === 'store' && e.data.length === 8 ? [e] : []));
  t.true(stores.some((e) => e.pool === 1 && e.offset === 64 * SLOT));
  t.true(stores.some((e) => e.pool === 0 && e.offset === 0));

  // the printed replay command reproduces it, and --out writes one file per pool
  const out = join(dir, 'crash');
  // `pmfit` on the PATH is this checkout's
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  writeFileSync(join(bin, 'pmfit'), `#!/bin/sh\nexec node ${join(REPO, 'bin', 'pmfit.js')} "$@"\n`, { mode: 0o755 });
  const command = finding.replayCommand.replace(' -- ', ` --out ${out} -- `);
  const replay = spawnSync('sh', ['-c', command], {
    encoding: 'utf8',
    env: { ...process.env, PATH: `${bin}:${process.env.PATH}` },
  });
  t.is(replay.status, 1, replay.stderr);
  t.regex(replay.stdout, /verdict: inconsistent/);
  t.regex(replay.stdout, /#\d+ data \[192, \+8\) line 3/);
  const logImage = readFileSync(`${out}.log`);
  const dataImage = readFileSync(`${out}.data`);
  t.is(logImage.length, 4096);
  t.is(dataImage.length, 4096);
  t.is(logImage.readBigUInt64LE(0), VALUE, 'the commit record persisted');
  t.is(dataImage.readBigUInt64LE(64 * SLOT), 0n, 'the value it commits did not');

  // the saved failure re-runs its check on both pools' images
  const [file] = readdirSync(failures).filter((f) => f.endsWith('.pmfit-failure.json'));
  t.truthy(file);
  const again = pmfit(['replay', join(failures, file!)]);
  t.is(again.status, 1, again.stderr);
  t.regex(again.stdout, /log=600dda7a data=0/);
});

test('two pools: the twin that persists its data first is consistent (pool paths with a comma are fine: the tracer only sees the copies)', async (t) => {
  t.timeout(300_000);
  const dir = join(tempDir(t), 'a,b');
  mkdirSync(dir);
  const program = build(dir, 'test/fixtures/native/two-pools.c', 'two-pools', [], ['-lpmem']);
  const { status, report, stderr } = checkTwoPools(dir, program, ['--model', 'adr', '--model', 'eadr']);
  t.is(status, 0, stderr);
  for (const result of report!.results) t.is(result.summary.verdict, 'consistent', result.model);
});

test('two pools: bad inputs are one line and exit 2', async (t) => {
  t.timeout(300_000);
  const dir = tempDir(t);
  const program = build(dir, 'test/fixtures/native/two-pools.c', 'two-pools', [], ['-lpmem']);
  const a = join(dir, 'a');
  const b = join(dir, 'b');
  /** `pmfit check` with these --pool values, this check's arguments and the program's. */
  const run = (pools: string[], checkArgs: string, runArgs: string[]) => [
    'check',
    '--size',
    '4096',
    '--quiet',
    ...pools.flatMap((p) => ['--pool', p]),
    '--check',
    `${program} check ${checkArgs}`,
    '--',
    program,
    'run',
    ...runArgs,
  ];
  const cases: Array<[string[], RegExp]> = [
    // two unnamed pools
    [run([a, b], '{pool} {pool}', ['{pool}']), /name each pool, --pool NAME=FILE/],
    // a check that never sees the data pool
    [run([`log=${a}`, `data=${b}`], '{log}', ['{log}', '{data}']), /does not mention \{data\}/],
    // one file for two pools
    [run([`log=${a}`, `data=${a}`], '{log} {data}', ['{log}', '{data}']), /pool log is that file too/],
    // the program never maps the data pool it is given: refused, naming that pool
    [run([`log=${a}`, `data=${b}`], '{log} {data}', ['{log}', '{log}']), /never mapped the copy of pool data/],
  ];
  for (const [args, message] of cases) {
    const r = pmfit(args);
    t.is(r.status, 2, `${args.join(' ')}\n${r.stderr}`);
    t.regex(r.stderr.trim(), message);
    t.is(r.stderr.trim().split('\n').length, 1, r.stderr);
  }
});

test('two pools in a forked child: its own trace holds both pools, its bug is found there and replays with one file per pool', async (t) => {
  t.timeout(300_000);
  const dir = tempDir(t);
  const program = build(dir, 'test/fixtures/native/two-pools.c', 'two-pools-fork', ['-DBUGGY', '-DFORK'], ['-lpmem']);
  const { status, report, stderr } = checkTwoPools(dir, program);
  t.is(status, 1, stderr);
  const [parent, child] = report!.results;
  t.is(parent!.summary.verdict, 'consistent', 'the parent stores nothing');
  t.regex(child!.scenario, /\[child process 1\]$/);
  const finding = child!.findings[0]!;
  t.true(
    finding.lostStores.some((s) => s.pool === 'data' && s.offset === 64 * SLOT),
    brief(finding),
  );
  t.regex(finding.replayId, /^adr@\d+\/log\.0:1~[0-9a-f]{6}$/);
  const out = join(dir, 'crash');
  const replay = twoPools(dir, program, ['--replay', finding.replayId, '--out', out]);
  t.is(replay.status, 1, replay.stderr);
  t.is(readFileSync(`${out}.log`).readBigUInt64LE(0), VALUE);
  t.is(readFileSync(`${out}.data`).readBigUInt64LE(64 * SLOT), 0n);
});

/** A poolset of two 8 MiB parts that do not exist yet: `--init` creates them in pmfit's copy. */
function poolSet(dir: string): string {
  const set = join(dir, 'counter.set');
  writeFileSync(set, `PMEMPOOLSET\n8M ${join(dir, 'part0')}\n8M ${join(dir, 'part1')}\n`);
  return set;
}

function checkPoolSet(dir: string, program: string, models: string[]) {
  const report = join(dir, `r-${Math.random().toString(36).slice(2)}.json`);
  const saved = join(dir, `t-${Math.random().toString(36).slice(2)}.pmtrace`);
  const r = pmfit([
    'check',
    '--pool',
    `obj=${poolSet(dir)}`,
    '--init',
    `${program} init {obj}`,
    '--check',
    `${program} check {obj}`,
    ...models.flatMap((m) => ['--model', m]),
    // the transaction alone: opening and closing the pool are libpmemobj's own business
    '--from',
    'increment',
    '--save-trace',
    saved,
    '--quiet',
    '--report',
    `json=${report}`,
    '--',
    program,
    'run',
    '{obj}',
  ]);
  return {
    ...r,
    saved,
    report: existsSync(report) ? (JSON.parse(readFileSync(report, 'utf8')) as Report) : undefined,
  };
}

test('a libpmemobj poolset is followed part by part: stores on both parts, the transaction is consistent, the broken twin is found on the second part', async (t) => {
  t.timeout(600_000);
  const dir = tempDir(t);
  const program = build(dir, 'test/fixtures/native/poolset-counter.c', 'poolset-counter', [], ['-lpmemobj']);
  const good = checkPoolSet(dir, program, ['eadr', 'adr']);
  t.is(good.status, 0, good.stderr);
  for (const result of good.report!.results)
    t.is(result.summary.verdict, 'consistent', result.findings.map(brief).join('\n'));
  const trace = readTrace(good.saved);
  t.deepEqual(
    trace.header.pools.map((p) => [p.name, p.part]),
    [
      ['obj', 0],
      ['obj', 1],
    ],
  );
  const pools = new Set([...trace.events].filter((e) => e.kind === 'store').map((e) => e.pool));
  t.deepEqual([...pools].sort(), [0, 1], 'the transaction stores on both parts');
  t.false(existsSync(join(dir, 'part0')), "the user's parts are never created");

  const buggy = build(
    dir,
    'test/fixtures/native/poolset-counter.c',
    'poolset-counter-buggy',
    ['-DBUGGY'],
    ['-lpmemobj'],
  );
  const bad = checkPoolSet(dir, buggy, ['adr']);
  t.is(bad.status, 1, bad.stderr);
  const findings = bad.report!.results[0]!.findings;
  t.true(findings.length >= 1);
  t.true(
    findings.some((f) =>
      [...f.lostStores, ...f.keptStores].some((s) => s.pool === 'obj.1' && /poolset-counter\.c:\d+/.test(s.site ?? '')),
    ),
    findings.map(brief).join('\n'),
  );
});
