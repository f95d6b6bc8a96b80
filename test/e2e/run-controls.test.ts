// Shards and merge, Ctrl-C, and the ops oracle, through the real CLI.
import test from 'ava';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { PMFIT_BIN, REPO, pmfit, tempDir } from '../helpers.js';

const normalize = (path: string) => readFileSync(path, 'utf8').replace(/"wallMs": \d+/g, '"wallMs": 0');

test('merge of --shard K/N reports is the unsharded report (apart from timings and re-simulation)', (t) => {
  const dir = tempDir(t);
  const scenarios = ['list-append-buggy', 'fence-flag-buggy', 'basic', 'torn16-buggy'];
  t.is(pmfit(['run', ...scenarios, '--quiet', '--report', `json=${join(dir, 'full.json')}`]).status, 1);
  for (const k of [1, 2, 3])
    t.true(
      [0, 1].includes(
        pmfit(['run', ...scenarios, '--quiet', '--shard', `${k}/3`, '--report', `json=${join(dir, `s${k}.json`)}`])
          .status ?? -1,
      ),
    );
  const shard1 = JSON.parse(readFileSync(join(dir, 's1.json'), 'utf8'));
  t.true(
    shard1.results[0].summary.crashPoints <
      JSON.parse(readFileSync(join(dir, 'full.json'), 'utf8')).results[0].summary.crashPoints,
    'a shard checks only its share',
  );
  const merged = pmfit([
    'merge',
    join(dir, 's3.json'),
    join(dir, 's1.json'),
    join(dir, 's2.json'),
    '--quiet',
    '--report',
    `json=${join(dir, 'merged.json')}`,
  ]);
  t.is(merged.status, 1, merged.stderr);
  // Everything the engine observed merges byte for byte; the bugs are grouped by the same rule, but
  // a merge cannot re-simulate (no trace, no check): no minimised witness, no verified fix.
  const withoutBugs = (path: string) => {
    const report = JSON.parse(normalize(path));
    const bugs = report.results.map((r: { findings: Array<{ class: string; fix?: unknown }> }) =>
      r.findings.map((f) => [f.class, f.fix !== undefined]),
    );
    for (const r of report.results) {
      delete r.findings;
      delete r.notes;
    }
    delete report.findings;
    return { report, bugs };
  };
  const full = withoutBugs(join(dir, 'full.json'));
  const mergedReport = withoutBugs(join(dir, 'merged.json'));
  t.deepEqual(mergedReport.report, full.report);
  t.deepEqual(
    mergedReport.bugs,
    full.bugs.map((bugs: Array<[string, boolean]>) => bugs.map(([cls]) => [cls, false])),
    'the same bugs, one finding each, none with a fix',
  );
  const notes = JSON.parse(readFileSync(join(dir, 'merged.json'), 'utf8')).results[0].notes;
  t.true(notes.some((n: string) => n.includes('without re-simulation')));
});

test('merge refuses a missing shard and reports that are not from sharded runs', (t) => {
  const dir = tempDir(t);
  pmfit(['run', 'basic', '--quiet', '--shard', '1/2', '--report', `json=${join(dir, 's1.json')}`]);
  pmfit(['run', 'basic', '--quiet', '--report', `json=${join(dir, 'full.json')}`]);
  const missing = pmfit(['merge', join(dir, 's1.json')]);
  t.is(missing.status, 2);
  t.regex(missing.stderr, /shard 2\/2 of basic \(eadr\) is missing/);
  const unsharded = pmfit(['merge', join(dir, 'full.json')]);
  t.is(unsharded.status, 2);
  t.regex(unsharded.stderr, /not from a sharded run/);
  t.regex(pmfit(['run', 'basic', '--shard', '3/2']).stderr, /--shard expects K\/N/);
});

test.serial(
  'Ctrl-C stops the checks, writes the partial report marked incomplete, removes temporary files',
  async (t) => {
    const dir = tempDir(t);
    const tmp = tempDir(t);
    const prog = join(REPO, 'build', 'scenarios', 'binarytree');
    const report = join(dir, 'partial.json');
    const marker = join(dir, 'a-check-ran');
    const args = [
      'check',
      '--pool',
      join(dir, 'p'),
      '--size',
      '65536',
      '--init',
      `${prog} init {pool}`,
      '--check',
      `touch ${marker}; sleep 0.2; test -s {pool}`,
      '--jobs',
      '2',
      '--quiet',
      '--report',
      `json=${report}`,
      '--',
      prog,
      'run',
      '{pool}',
    ];
    const child = spawn(process.execPath, [PMFIT_BIN, ...args], {
      env: { ...process.env, PMFIT_TMPDIR: tmp },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    // Interrupt once a check has run (each check touches the marker), not after a fixed delay: on a
    // loaded machine start-up alone can take longer than any delay chosen. Serial: the other tests
    // of this file block the event loop in spawnSync, which would hold this wait past the run's end.
    while (!existsSync(marker) && child.exitCode === null) await new Promise((r) => setTimeout(r, 50));
    child.kill('SIGINT');
    const status = await new Promise<number | null>((r) => child.on('close', (code) => r(code)));
    t.is(status, 130, stderr);
    const json = JSON.parse(readFileSync(report, 'utf8'));
    t.true(json.incomplete);
    t.true(json.results[0].incomplete);
    t.true(json.results[0].summary.crashPoints > 0, 'what was checked before the interrupt is reported');
    t.deepEqual(readdirSync(tmp), [], 'temporary files removed');
  },
);

test('ops oracle: intermediate operation boundaries are legal states, a torn append is not', (t) => {
  t.is(
    pmfit(['run', 'list-append', '--oracle', 'atomic', '--model', 'adr', '--quiet']).status,
    1,
    'atomic rejects "list: 1" after a crash in the middle',
  );
  t.is(
    pmfit(['run', 'list-append', '--oracle', 'ops', '--model', 'adr', '--quiet']).status,
    0,
    'ops accepts every operation boundary',
  );
  const buggy = pmfit(['run', 'list-append-buggy', '--oracle', 'ops', '--model', 'adr']);
  t.is(buggy.status, 1);
  t.regex(buggy.stdout, /FINDING \[missing-flush\]/);
});

test('a run whose images depend on the seed logs it first; others do not', (t) => {
  const random = pmfit(['run', 'torn16-buggy', '--strategy', 'random', '--seed', '42', '--quiet']);
  t.is(random.status, 1);
  const first = JSON.parse(random.stderr.trim().split('\n')[0]!);
  t.deepEqual([first.seed, first.strategy, first.msg], ['42', 'random', 'seed 42']);
  // --quiet leaves only the verdict line on stderr: no seed logged.
  t.regex(pmfit(['run', 'torn16-buggy', '--strategy', 'strict', '--quiet']).stderr, /^pmfit: [a-z]+: [^\n]*\n$/);
});

test('--points unique checks fewer crash points, says how many it skipped, and still finds the buggy append', (t) => {
  const dir = tempDir(t);
  const all = join(dir, 'all.json');
  const unique = join(dir, 'unique.json');
  t.is(pmfit(['run', 'list-append-buggy', '--model', 'adr', '--quiet', '--report', `json=${all}`]).status, 1);
  const run = pmfit([
    'run',
    'list-append-buggy',
    '--model',
    'adr',
    '--points',
    'unique:1',
    '--report',
    `json=${unique}`,
  ]);
  t.is(run.status, 1, run.stderr);
  const full = JSON.parse(readFileSync(all, 'utf8')).results[0];
  const reduced = JSON.parse(readFileSync(unique, 'utf8')).results[0];
  t.is(full.coverage.skippedPoints, undefined, 'a default run checks every point');
  t.true(reduced.coverage.skippedPoints > 0);
  t.is(reduced.summary.crashPoints + reduced.coverage.skippedPoints, full.summary.crashPoints);
  t.true(reduced.findings.length > 0);
  t.regex(run.stdout, new RegExp(`${reduced.coverage.skippedPoints} crash point\\(s\\) skipped by --points unique`));
  for (const [args, reason] of [
    [['--points', 'unique:0'], /--points 'unique:0' is not all, unique or unique:K/],
    [['--points', 'unique', '--shard', '1/2'], /use it without --shard/],
  ] as const) {
    const bad = pmfit(['run', 'list-append-buggy', ...args]);
    t.is(bad.status, 2);
    t.regex(bad.stderr, reason);
    t.is(bad.stderr.trim().split('\n').length, 1);
  }
});
