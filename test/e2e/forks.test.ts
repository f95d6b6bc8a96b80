// Issue 11, forks: a forked child's pool events are traced into a trace of its own and checked as
// its own result (or ignored with a note, --forks ignore), never mixed into the parent's; a child's
// finding replays in the one command its report prints. Real QEMU tracing of
// test/fixtures/native/fork-records.c (libpmem; the child's missing flush under -DBUGGY).
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Report, ScenarioResult } from '../../core/api.js';
import { brief, buildNative, checkNative } from '../bug-helpers.js';
import { PMFIT_BIN, REPO, pmfit, tempDir } from '../helpers.js';

const SOURCE = 'test/fixtures/native/fork-records.c';

function build(dir: string, buggy: boolean): string {
  return buildNative(SOURCE, join(dir, buggy ? 'fork-records-buggy' : 'fork-records'), buggy ? ['-DBUGGY'] : [], [
    '-lpmem',
  ]);
}

/** The line of the fixture that holds `text` (1-based). */
function lineOf(text: string): number {
  return readFileSync(join(REPO, SOURCE), 'utf8').split('\n').indexOf(text) + 1;
}

function named(report: Report, suffix: string): ScenarioResult[] {
  return report.results.filter((r) => r.scenario.endsWith(suffix));
}

test("--forks trace: the child's missing flush is found in the child's own result, at its line; the parent is clean", async (t) => {
  t.timeout(300_000);
  const dir = tempDir(t);
  const program = build(dir, true);
  const { status, report } = checkNative(dir, program, 4096, { models: ['adr'] });
  t.is(status, 1);
  t.is(report.results.length, 2, report.results.map((r) => r.scenario).join(', '));
  const [parent, child] = [report.results[0]!, named(report, ' [child process 1]')[0]!];
  t.is(parent.scenario, program);
  t.is(parent.summary.verdict, 'consistent', parent.findings.map(brief).join('\n'));
  t.true(
    parent.notes?.some((n) =>
      /forked a child process; it stored into the pool and was checked as its own trace/.test(n),
    ),
    JSON.stringify(parent.notes),
  );
  t.truthy(child, 'a result of its own');
  t.is(child.summary.verdict, 'inconsistent');
  t.true(child.notes?.some((n) => /^child process 1: the 1st process .* forked, traced on its own/.test(n)));
  t.is(child.findings.length, 1, child.findings.map(brief).join('\n'));
  const finding = child.findings[0]!;
  t.is(finding.class, 'missing-flush', brief(finding));
  // the child's records' stores (write_records), at the fixture's line
  const store = lineOf('\t\t\t*at(base, off + 64 * r + 8 * i) = word(owner, r, i);');
  t.true(store > 0);
  for (const lost of finding.lostStores) t.is(lost.site, `${SOURCE}:${store}`, JSON.stringify(lost));

  // the printed replay command reproduces it, in one command
  const command = finding.replayCommand.replace(/^pmfit /, `'${process.execPath}' '${PMFIT_BIN}' `);
  const replay = spawnSync('sh', ['-c', command], { cwd: REPO, encoding: 'utf8', timeout: 120_000 });
  t.is(replay.status, 1, replay.stderr);
  t.regex(replay.stdout, /of \S+ \[child process 1\]/);
  t.regex(replay.stdout, /trace [0-9a-f]+: the one the id came from/);
  t.regex(replay.stdout, /verdict: inconsistent — the child's count covers a torn record/);

  // --out writes the child's image: the check fails on it as it did in the run
  const out = join(dir, 'image.out');
  const withOut = spawnSync('sh', ['-c', command.replace(/ -- /, ` --out '${out}' -- `)], {
    cwd: REPO,
    encoding: 'utf8',
    timeout: 120_000,
  });
  t.is(withOut.status, 1, withOut.stderr);
  t.true(existsSync(out));
  const checked = spawnSync(program, ['check', out], { encoding: 'utf8' });
  t.is(checked.status, 1);
  t.regex(checked.stdout, /^child=2 parent=0$/m, 'the pool as the child left it, with the magic from before the fork');
});

test('--forks ignore: one result, the note says the children were not traced', async (t) => {
  t.timeout(300_000);
  const dir = tempDir(t);
  const program = build(dir, true);
  const { status, report } = checkNative(dir, program, 4096, { models: ['adr'], extra: ['--forks', 'ignore'] });
  t.is(status, 0);
  t.is(report.results.length, 1);
  t.true(report.results[0]!.notes?.some((n) => /forked a child process: pmfit traced the parent only/.test(n)));
});

test('the twin, whose child flushes its records before their count, is clean in both processes', async (t) => {
  t.timeout(300_000);
  const dir = tempDir(t);
  const program = build(dir, false);
  const { status, report } = checkNative(dir, program, 4096, { models: ['adr'] });
  t.is(report.results.length, 2);
  for (const result of report.results)
    t.is(result.summary.verdict, 'consistent', `${result.scenario}: ${result.findings.map(brief).join('\n')}`);
  t.is(status, 0);
});

test("a child that execs /bin/true: its trace ends at the exec, the parent's is whole and checked", async (t) => {
  t.timeout(300_000);
  const dir = tempDir(t);
  const program = build(dir, false);
  const { status, report } = checkNative(dir, program, 4096, { models: ['adr'], args: ['exec'] });
  t.is(status, 0);
  const [parent, child] = [report.results[0]!, named(report, ' [child process 1]')[0]!];
  t.is(parent.summary.verdict, 'consistent');
  t.true(parent.summary.crashPoints > 0);
  t.truthy(child);
  t.is(child.summary.verdict, 'consistent');
  t.true(
    child.notes?.some((n) => /until it called exec$/.test(n)),
    JSON.stringify(child.notes),
  );
});

test('--forks takes trace or ignore only', (t) => {
  const r = pmfit(['check', '--pool', '/tmp/x', '--check', 'true {pool}', '--forks', 'both', '--', '/bin/true']);
  t.is(r.status, 2);
  t.regex(r.stderr, /forks.*Choices: "trace", "ignore"/);
});
