// Progress on a terminal; as JSON log lines when stderr is not one (CI); nothing with --quiet.
// `script` gives the run a pty; PMFIT_PROGRESS_INTERVAL_MS makes the log lines come as often as the
// test needs, whatever the machine's speed.
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { PMFIT_BIN, pmfit } from '../helpers.js';

test('a terminal shows crash points done, images per second and ETA', (t) => {
  if (!existsSync('/usr/bin/script')) return t.pass('util-linux script is not installed: no pty to test with');
  const r = spawnSync(
    '/usr/bin/script',
    ['-qec', `${process.execPath} ${PMFIT_BIN} run native/binarytree --model adr`, '/dev/null'],
    { encoding: 'utf8', timeout: 120_000 },
  );
  t.is(r.status, 0, r.stdout);
  t.regex(r.stdout, /native\/binarytree: crash points \d+\/\d+ \(100%\), \d+ images\/s, failing images 0, ETA 0 s/);
  t.notRegex(r.stdout, /"pointsDone"/, 'no log lines on a terminal');
});

/** The JSON progress lines of a run's stderr. */
function progressLines(stderr: string): Array<Record<string, unknown>> {
  return stderr
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((entry) => entry.progress !== undefined);
}

test('when stderr is not a terminal, progress comes as JSON log lines every interval and at the end', (t) => {
  const r = pmfit(['run', 'native/binarytree', '--model', 'adr'], { env: { PMFIT_PROGRESS_INTERVAL_MS: '1' } });
  t.is(r.status, 0, r.stderr);
  t.notRegex(r.stderr, /\r|ETA/, 'no terminal line');
  const lines = progressLines(r.stderr);
  t.true(lines.length >= 2, r.stderr);
  for (const line of lines) {
    t.is(line.level, 30);
    t.is(line.progress, 'native/binarytree');
    for (const field of ['pointsDone', 'pointsTotal', 'images', 'distinct', 'failing', 'rate', 'seconds'])
      t.is(typeof line[field], 'number', `${field} in ${JSON.stringify(line)}`);
    t.regex(
      String(line.msg),
      /^native\/binarytree: crash points \d+\/\d+ \(\d+%\), \d+ distinct images \(\d+\/s\), failing images \d+/,
    );
  }
  const last = lines.at(-1)!;
  t.is(last.done, true);
  t.is(last.pointsDone, last.pointsTotal);
  t.is(lines.filter((l) => l.done).length, 1, 'one end line for the one run');
  t.true(lines.slice(0, -1).every((l) => l.done === undefined));
});

test('with a long interval a short run logs only the end of the run of each model', (t) => {
  const r = pmfit(['run', 'native/binarytree'], { env: { PMFIT_PROGRESS_INTERVAL_MS: '600000' } });
  t.is(r.status, 0, r.stderr);
  const lines = progressLines(r.stderr);
  t.deepEqual(
    lines.map((l) => [l.done, l.pointsDone === l.pointsTotal]),
    [
      [true, true],
      [true, true],
    ],
    'eadr, then adr',
  );
});

test('--quiet: no progress at all when stderr is not a terminal', (t) => {
  const r = pmfit(['run', 'native/binarytree', '--model', 'adr', '--quiet'], {
    env: { PMFIT_PROGRESS_INTERVAL_MS: '1' },
  });
  t.is(r.status, 0);
  t.deepEqual(progressLines(r.stderr), []);
  t.notRegex(r.stderr, /crash points \d/);
  t.regex(r.stderr, /^pmfit: consistent: /);
});

test('a PMFIT_PROGRESS_INTERVAL_MS that is not a whole number of ms is bad usage', (t) => {
  const r = pmfit(['run', 'basic', '--model', 'eadr'], { env: { PMFIT_PROGRESS_INTERVAL_MS: '10s' } });
  t.is(r.status, 2);
  t.regex(r.stderr, /PMFIT_PROGRESS_INTERVAL_MS must be a whole number of ms/);
});
