// allowedBoundaries answers by binary search; here it must agree with the rule written plainly
// (README, the ops oracle) on random traces and boundaries: from the last boundary not after the
// crash whose every earlier store is durable, to the first boundary at or after the crash.
import test from 'ava';
import seedrandom from 'seedrandom';
import type { TraceEvent } from '../../../core/api.js';
import { hashImage } from '../../../harness/engine/model/image-hash.js';
import { PersistencyTracker } from '../../../harness/engine/model/persistency-tracker.js';
import { allowedBoundaries } from '../../../harness/engine/ops-boundaries.js';

function plain(boundaries: number[], point: number, tracker: PersistencyTracker): [number, number] {
  const seqs = [...tracker.pendingLines.values()].flat().map((u) => u.seq);
  const oldest = seqs.length > 0 ? Math.min(...seqs) : Infinity;
  let from = 0;
  boundaries.forEach((b, i) => {
    if (b <= point && b <= oldest) from = i;
  });
  const at = boundaries.findIndex((b) => b >= point);
  return [from, at < 0 ? boundaries.length - 1 : at];
}

test('allowed boundaries agree with the plain rule at every crash point', (t) => {
  const rng = seedrandom('ops-boundaries');
  let checked = 0;
  for (let round = 0; round < 30; round++) {
    const events: TraceEvent[] = [];
    for (let seq = 0; seq < 60; seq++) {
      const base = { seq, icount: seq + 1, pc: 0, pool: 0 };
      const r = rng();
      if (r < 0.5)
        events.push({
          ...base,
          kind: 'store',
          offset: 8 * Math.floor(rng() * 64),
          data: new Uint8Array(8).fill(seq),
          nonTemporal: false,
        });
      else if (r < 0.75) events.push({ ...base, kind: 'flush', offset: 8 * Math.floor(rng() * 64), flushKind: 'clwb' });
      else events.push({ ...base, kind: 'fence', fenceKind: 'sfence' });
    }
    const boundaries = [
      ...new Set([0, events.length, ...Array.from({ length: 5 }, () => Math.floor(rng() * events.length))]),
    ].sort((a, b) => a - b);
    const initial = Buffer.alloc(512);
    const tracker = new PersistencyTracker(initial, hashImage(initial));
    for (let point = 0; point <= events.length; point++) {
      if (point > 0) tracker.apply(events[point - 1]!);
      t.deepEqual(
        allowedBoundaries(boundaries, point, tracker),
        plain(boundaries, point, tracker),
        `round ${round}, point ${point}`,
      );
      checked++;
    }
  }
  t.true(checked > 1000);
});
