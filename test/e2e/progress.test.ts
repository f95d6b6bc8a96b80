// Progress on a terminal, and nothing of it when stderr is not one. `script` gives the run a pty.
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
});

test('no progress when stderr is not a terminal', (t) => {
  const r = pmfit(['run', 'native/binarytree', '--model', 'adr']);
  t.is(r.status, 0);
  t.notRegex(r.stderr, /crash points/);
  t.notRegex(r.stdout, /ETA/);
});
