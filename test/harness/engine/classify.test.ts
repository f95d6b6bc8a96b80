// classify decides a failing image's class from the pending units it kept and lost, by the rules
// at the top of harness/engine/classify.ts, in their order.
import test from 'ava';
import { classify } from '../../../harness/engine/classify.js';
import type { PendingUnit } from '../../../harness/engine/model/persistency-tracker.js';

const unit = (seq: number, offset: number, more: Partial<PendingUnit> = {}): PendingUnit => ({
  seq,
  part: 0,
  parts: 1,
  offset,
  data: new Uint8Array(8),
  nonTemporal: false,
  flushing: false,
  ...more,
});

test('an image that lost nothing but fails is a logic bug: inconsistent', (t) => {
  t.is(classify([unit(0, 0)], []), 'inconsistent');
});

test('keeping one unit of a store and losing another is a torn write, whatever else holds', (t) => {
  const a = unit(3, 0, { part: 0, parts: 2 });
  const b = unit(3, 8, { part: 1, parts: 2, flushing: true, flushedBy: 4 });
  t.is(classify([a], [b]), 'torn-write');
});

test('a lost store whose line was never flushed is a missing flush', (t) => {
  t.is(classify([unit(1, 0)], [unit(0, 64)]), 'missing-flush');
});

test('a flushed store lost while a store issued after the flush persisted is a missing fence', (t) => {
  const lost = unit(0, 64, { flushing: true, flushedBy: 1 });
  t.is(classify([unit(2, 0)], [lost]), 'missing-fence');
  const nt = unit(0, 64, { nonTemporal: true });
  t.is(classify([unit(1, 0)], [nt]), 'missing-fence', 'a non-temporal store needs only a fence');
});

test('a flushed store lost while a later flushed store (before its flush) persisted is an ordering bug', (t) => {
  // The kept store came after the lost one but before its flush: no fence could have ordered them.
  const lost = unit(0, 64, { flushing: true, flushedBy: 5 });
  const kept = unit(2, 0, { flushing: true, flushedBy: 6 });
  t.is(classify([kept], [lost]), 'ordering');
});

test('a flushed store lost with nothing later persisted fits no rule: unclassified', (t) => {
  t.is(classify([], [unit(0, 64, { flushing: true, flushedBy: 1 })]), 'unclassified');
});
