// Replay safety: malformed ids, ids that do not fit the trace, ids of another trace or model —
// each refused with exit 2 and one line saying why; --any-trace replays anyway and says so.
import test, { type ExecutionContext } from 'ava';
import { pmfit } from '../helpers.js';

const oneLine = (t: ExecutionContext, r: { stderr: string }) => {
  t.is(r.stderr.trim().split('\n').length, 1, r.stderr);
  t.notRegex(r.stderr, /\n\s+at /, 'no stack trace');
};

for (const [id, reason] of [
  ['adr@3/,5:1', /not a replay id: an empty part/],
  ['adr@3/*,', /not a replay id: an empty part/],
  ['eadr@3/5:1', /not a replay id: an eadr id names no cache lines/],
  ['adr@3/0:1,0:2', /not a replay id: line 0 is listed twice/],
  ['adr@03', /not a replay id: the crash point '03' is not a number without leading zeros/],
  [
    'adr@3/1:999',
    /does not fit list-append-buggy's trace: line 1 has 3 pending units at crash point 3, the id keeps 999/,
  ],
  ['adr@3/999:1', /does not fit list-append-buggy's trace: line 999 has no pending units at crash point 3/],
  ['adr@3/0:999', /does not fit list-append-buggy's trace: line 0 has no pending units at crash point 3/],
  [
    'adr@6~000000',
    /comes from a trace with digest 000000, but list-append-buggy's trace now has [0-9a-f]{6}.*--any-trace/,
  ],
] as const) {
  test(`replay refuses ${id} with its reason`, (t) => {
    const r = pmfit(['replay', id, '--scenario', 'list-append-buggy']);
    t.is(r.status, 2, r.stdout + r.stderr);
    t.regex(r.stderr, reason);
    t.is(r.stdout, '');
    oneLine(t, r);
  });
}

test('an id from another scenario is refused; --any-trace replays it and says the trace differs', (t) => {
  const run = pmfit(['run', 'torn16-buggy', '--quiet', '--report', 'json=-']);
  const id = JSON.parse(run.stdout).findings[0].replayId as string;
  const refused = pmfit(['replay', id, '--scenario', 'fence-flag-buggy']);
  t.is(refused.status, 2, refused.stderr);
  t.regex(refused.stderr, /comes from a trace with digest/);
  oneLine(t, refused);
  const same = pmfit(['replay', id, '--scenario', 'torn16-buggy']);
  t.is(same.status, 1, same.stderr);
  t.regex(same.stdout, /^trace [0-9a-f]{6}: the one the id came from$/m);
  const forced = pmfit(['replay', id.replace(/~.*/, '~000000'), '--scenario', 'torn16-buggy', '--any-trace']);
  t.is(forced.status, 1, forced.stderr);
  t.regex(forced.stdout, /NOT the one the id came from \(000000\); replayed anyway \(--any-trace\)/);
  const bare = pmfit(['replay', id.replace(/~.*/, ''), '--scenario', 'torn16-buggy']);
  t.is(bare.status, 1);
  t.regex(bare.stdout, /not checked \(the id carries no ~DIGEST\)/);
});

test('check --replay refuses an id of a model the command does not run, before tracing', (t) => {
  const r = pmfit([
    'check',
    '--pool',
    '/tmp/p',
    '--size',
    '4096',
    '--check',
    'true {pool}',
    '--replay',
    'eadr@3',
    '--',
    '/bin/true',
  ]);
  t.is(r.status, 2, r.stderr);
  t.regex(r.stderr, /replay id of model eadr, but \/bin\/true runs adr \(add --model eadr if it should\)/);
  oneLine(t, r);
});
