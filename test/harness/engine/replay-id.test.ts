// Replay ids: formatting, strict parsing (every malformed shape refused with its reason), the
// trace digest they carry, and the one place replay commands are quoted.
import { EventTable } from '../../../core/trace/event-table.js';
import test from 'ava';
import type { Trace, TraceEvent } from '../../../core/api.js';
import { UsageError } from '../../../core/support/errors.js';
import {
  fillReplayCommand,
  formatReplayId,
  parseReplayId,
  REPLAY_ID_SLOT,
  replayCommandFor,
  traceDigest,
  withTraceDigest,
} from '../../../harness/engine/replay-id.js';

test('replay ids round-trip', (t) => {
  const id = formatReplayId({
    model: 'adr',
    point: 37,
    kept: new Map([
      [9, 0],
      [5, 2],
      [12, 1],
    ]),
  });
  t.is(id, 'adr@37/5:2,12:1');
  const parsed = parseReplayId(withTraceDigest(id, 'ab12cd'));
  t.is(parsed.point, 37);
  t.is(parsed.digest, 'ab12cd');
  t.deepEqual(
    [...parsed.kept],
    [
      [5, 2],
      [12, 1],
    ],
  );
  t.is(parseReplayId('eadr@4').model, 'eadr');
  t.is(parseReplayId('adr@0').point, 0);
  t.is(parseReplayId('adr@3').digest, undefined);
});

test('ids of images that keep most lines whole use the * form and parse back', (t) => {
  const units = new Map([
    [1, 2],
    [2, 3],
    [3, 1],
  ]);
  const keep = (entries: Array<[number, number]>) => ({ model: 'adr' as const, point: 9, kept: new Map(entries) });
  const id = formatReplayId(
    keep([
      [1, 2],
      [2, 1],
      [3, 1],
    ]),
    units,
  );
  t.is(id, 'adr@9/*,2:1');
  const parsed = parseReplayId(id);
  t.is(parsed.rest, 'all');
  t.deepEqual([...parsed.kept], [[2, 1]]);
  t.is(
    formatReplayId(
      keep([
        [1, 2],
        [2, 3],
        [3, 1],
      ]),
      units,
    ),
    'adr@9/*',
  );
  t.is(parseReplayId('adr@9/*~00ff00').rest, 'all');
});

for (const [bad, reason] of [
  ['adr@3/,5:1', /empty part/],
  ['adr@3/*,', /empty part/],
  ['adr@3/', /empty part/],
  ['eadr@3/5:1', /an eadr id names no cache lines/],
  ['adr@3/0:1,0:2', /line 0 is listed twice/],
  ['adr@03', /leading zeros/],
  ['adr@3/05:1', /leading zeros/],
  ['adr@3/5:01', /leading zeros/],
  ['adr', /no '@'/],
  ['adr@', /not a number/],
  ['xyz@3', /unknown model 'xyz'/],
  ['adr@3/5', /'5' is not LINE:KEPT/],
  ['adr@-1', /not a number/],
  ['adr@3~AB12CD', /lowercase hex/],
  ['adr@3~ab1', /6 to 64/],
  ['adr@3~ab12cd~ab12cd', /more than one '~'/],
  [' adr@3', /unknown model/],
] as const) {
  test(`a malformed replay id is refused with its reason: ${bad}`, (t) => {
    const err = t.throws(() => parseReplayId(bad), { instanceOf: UsageError });
    t.regex(err!.message, reason);
    t.true(err!.message.startsWith(`'${bad}' is not a replay id: `), err!.message);
  });
}

const base = { icount: 0, pc: 0, pool: 0 };
function trace(events: TraceEvent[]): Trace {
  return {
    header: { formatVersion: 1, source: 'ts', program: [], pools: [] },
    mappings: [],
    events: EventTable.from(events),
  };
}
const store = (seq: number, offset: number, value: number): TraceEvent => ({
  ...base,
  seq,
  kind: 'store',
  offset,
  data: Uint8Array.of(value),
  nonTemporal: false,
});

test('the trace digest follows the shape of the trace, not the bytes stored or where the code sits', (t) => {
  const a = traceDigest(trace([store(0, 0, 1), { ...base, seq: 1, kind: 'fence', fenceKind: 'sfence' }]));
  t.regex(a, /^[0-9a-f]{6}$/);
  const sameShape = traceDigest(
    trace([
      { ...store(0, 0, 9), pc: 0x401000, icount: 77, site: 'elsewhere.c:3' },
      { ...base, seq: 1, kind: 'fence', fenceKind: 'sfence' },
    ]),
  );
  t.is(sameShape, a, 'other bytes (a fresh UUID), instruction counts and sites: the same ids apply');
  t.not(traceDigest(trace([store(0, 8, 1), { ...base, seq: 1, kind: 'fence', fenceKind: 'sfence' }])), a);
  t.not(traceDigest(trace([store(0, 0, 1), { ...base, seq: 1, kind: 'fence', fenceKind: 'mfence' }])), a);
  t.not(traceDigest(trace([store(0, 0, 1)])), a, 'an event less');
});

test('a replay command is quoted in one way: every word, the id included', (t) => {
  const command = replayCommandFor(['pmfit', 'replay', REPLAY_ID_SLOT, '--scenario', './my dir/s.ts']);
  t.is(command('adr@3'), "pmfit replay adr@3 --scenario './my dir/s.ts'");
  t.is(command('adr@3/*~ab12cd'), "pmfit replay 'adr@3/*~ab12cd' --scenario './my dir/s.ts'");
  const template = command(REPLAY_ID_SLOT);
  t.is(fillReplayCommand(template, 'adr@3/*,5:1~ab12cd'), command('adr@3/*,5:1~ab12cd'));
  t.is(fillReplayCommand(template, 'eadr@2'), command('eadr@2'));
});
