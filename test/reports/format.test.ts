// reports/format.ts words findings; offsets are byte ranges and cache lines are indexes, everywhere.
import test from 'ava';
import type { EventRef } from '../../core/api.js';
import { eventText, failureText, findingLabel, linesText, storeText } from '../../reports/format.js';

test('events are written one way: byte ranges [offset, +size) and cache lines by index', (t) => {
  const cases: Array<[EventRef, string]> = [
    [
      { kind: 'store', seq: 1, offset: 4160, size: 8, bytes: '2a00000000000000', site: 'a.c:3' },
      '#1 store [4160, +8) line 65 = 2a00000000000000 at a.c:3',
    ],
    [
      { kind: 'store', seq: 2, offset: 60, size: 8, variant: 'non-temporal', bytes: 'ff' },
      '#2 store (non-temporal) [60, +8) lines 0-1 = ff',
    ],
    [{ kind: 'flush', seq: 3, offset: 4160, variant: 'clwb', pc: 0x40 }, '#3 clwb line 65 pc=0x40'],
    [{ kind: 'fence', seq: 4, variant: 'sfence' }, '#4 sfence'],
    [{ kind: 'fence', seq: 5, variant: 'locked' }, '#5 locked instruction (fence)'],
    [{ kind: 'msync', seq: 6, offset: 0, size: 4096 }, '#6 msync [0, +4096) lines 0-63'],
    [{ kind: 'marker', seq: 7, variant: 'user', name: 'op' }, '#7 marker user "op"'],
  ];
  for (const [event, text] of cases) t.is(eventText(event), text);
  t.is(storeText({ seq: 9, offset: 4168, size: 8, site: 'b.c:1' }), '#9 [4168, +8) line 65 at b.c:1');
  t.is(linesText(64, 64), 'line 1');
  t.is(linesText(64, 65), 'lines 1-2');
});

test('every failure has its clause, and a dead check its label', (t) => {
  t.is(failureText({ kind: 'check-failed' }), 'the check reported an inconsistent state');
  t.is(failureText({ kind: 'check-failed', detail: 'x' }), 'x');
  t.is(failureText({ kind: 'check-timed-out' }), 'the check timed out');
  t.is(findingLabel({ class: 'ordering', failure: { kind: 'check-crashed', signal: 'SIGBUS' } }), 'crash:SIGBUS');
  t.is(findingLabel({ class: 'ordering', failure: { kind: 'check-timed-out' } }), 'timeout');
  t.is(findingLabel({ class: 'ordering', failure: { kind: 'check-error', error: 'e' } }), 'unknown');
  t.is(findingLabel({ class: 'ordering', failure: { kind: 'not-at-boundary' } }), 'ordering');
});
