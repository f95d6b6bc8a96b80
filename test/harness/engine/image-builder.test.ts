// The image builder replay and saved failures use: every image a strategy had checked is rebuilt
// byte for byte from its replay id alone, and ids that do not fit the trace are refused.
import test from 'ava';
import { ChoiceMismatch, rebuildImage, rebuildImages } from '../../../harness/engine/model/image-builder.js';
import { hashImage, paddedImage } from '../../../harness/engine/model/image-hash.js';
import { PersistencyTracker } from '../../../harness/engine/model/persistency-tracker.js';
import { parseReplayId } from '../../../harness/engine/replay-id.js';
import { strategyFor } from '../../../harness/engine/strategies.js';
import { flagDataTrace, traceKit, traceOf } from './trace-kit.js';

/** A trace with a torn candidate (a 16-byte store over two units) and two lines pending at once. */
function richTrace() {
  const k = traceKit();
  return traceOf([
    k.store(
      0,
      Array.from({ length: 16 }, (_, i) => i + 1),
    ),
    k.store(64, [7, 7, 7, 7, 7, 7, 7, 7]),
    k.store(72, [8, 8, 8, 8, 8, 8, 8, 8]),
    k.clwb(0),
    k.store(128, [9]),
    k.sfence(),
    k.store(8, [5, 5, 5, 5, 5, 5, 5, 5]),
  ]);
}

test('every image the exhaustive strategy checked is rebuilt byte for byte from its id', (t) => {
  const trace = richTrace();
  const initial = Buffer.alloc(200, 0xee);
  const padded = paddedImage(initial);
  const tracker = new PersistencyTracker(padded, hashImage(padded));
  const exhaustive = strategyFor('adr', 'exhaustive')!;
  let compared = 0;
  for (let point = 0; point <= trace.events.length; point++) {
    if (point > 0) tracker.applyAt(trace.events, point - 1);
    const { candidates } = exhaustive(tracker, point, { seed: '0', samples: 4, maxStates: 4096 });
    const expected = candidates.map((c) => c.build().subarray(0, initial.length));
    const rebuilt = rebuildImages(
      trace,
      initial,
      candidates.map((c) => parseReplayId(c.replayId)),
    );
    candidates.forEach((c, i) => {
      t.true(rebuilt[i]!.image.equals(expected[i]!), `${c.replayId} rebuilds the checked image`);
      t.is(rebuilt[i]!.image.length, initial.length);
      compared += 1;
    });
  }
  t.true(compared > 20, `${compared} images compared`);
});

test('a rebuilt image says which pending units it kept and lost', (t) => {
  const trace = flagDataTrace();
  const initial = Buffer.alloc(128);
  const durable = rebuildImage(trace, initial, parseReplayId('adr@4'));
  t.deepEqual(
    durable.lost.map((u) => u.seq),
    [0],
  );
  t.deepEqual(durable.kept, []);
  t.is(durable.image[0], 1, 'the flag was fenced');
  t.is(durable.image[64], 0, 'the data line was lost');
  const all = rebuildImage(trace, initial, parseReplayId('adr@4/*'));
  t.is(all.image[64], 42);
  t.deepEqual(
    all.kept.map((u) => u.seq),
    [0],
  );
  const eadr = rebuildImage(trace, initial, parseReplayId('eadr@2'));
  t.is(eadr.image[0], 1);
  t.is(eadr.image[64], 42);
  t.deepEqual(eadr.lost, []);
});

test('rebuilt units are copies: rebuilding more images does not change earlier results', (t) => {
  const trace = flagDataTrace();
  const [early, late] = rebuildImages(trace, Buffer.alloc(128), [parseReplayId('adr@2'), parseReplayId('adr@4')]);
  t.false(
    early!.lost.some((u) => u.flushing),
    'at point 2 nothing was flushed yet',
  );
  t.is(late!.lost.length, 1);
});

for (const [id, reason] of [
  ['adr@9', /crash point 9 is past the end of the trace \(4 events\)/],
  ['adr@2/5:1', /line 5 has no pending units at crash point 2 \(pending lines: 0, 1\)/],
  ['adr@2/1:2', /line 1 has 1 pending units at crash point 2, the id keeps 2/],
] as const) {
  test(`an id that does not fit the trace is refused: ${id}`, (t) => {
    t.throws(() => rebuildImage(flagDataTrace(), Buffer.alloc(128), parseReplayId(id)), {
      instanceOf: ChoiceMismatch,
      message: reason,
    });
  });
}
