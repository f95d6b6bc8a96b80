// The exhaustive strategy against a brute-force reference of the x86 rules: for small random
// traces, every subset of store units the rules allow at a crash point is enumerated directly —
// durability decided from the events after each store, not by the tracker — and the set of images
// must equal the set the exhaustive strategy produces. With two and three threads, each event
// belongs to a random thread and a fence orders only its own thread's flushes and non-temporal
// stores.
import test, { type ExecutionContext } from 'ava';
import seedrandom from 'seedrandom';
import type { FlushKind, TraceEvent } from '../../../core/api.js';
import { hashImage } from '../../../harness/engine/model/image-hash.js';
import { PersistencyTracker } from '../../../harness/engine/model/persistency-tracker.js';
import { lineOf, splitStore, type StoreUnit } from '../../../harness/engine/model/units.js';
import { STRATEGIES } from '../../../harness/engine/strategies.js';

const POOL = 192; // three cache lines
const FLUSHES: FlushKind[] = ['clflush', 'clflushopt', 'clwb'];

function randomTrace(rng: () => number, length: number, threads: number): TraceEvent[] {
  const events: TraceEvent[] = [];
  for (let seq = 0; seq < length; seq++) {
    const thread = Math.floor(rng() * threads);
    // as the reader gives them: thread 0 has no field
    const base = { seq, icount: seq + 1, pc: 0, pool: 0, ...(thread ? { thread } : {}) };
    const r = rng();
    if (r < 0.55) {
      const size = [1, 4, 8, 16][Math.floor(rng() * 4)]!;
      const offset = Math.floor(rng() * (POOL - size));
      const data = Uint8Array.from({ length: size }, () => 1 + Math.floor(rng() * 255));
      events.push({ ...base, kind: 'store', offset, data, nonTemporal: rng() < 0.15 });
    } else if (r < 0.8) {
      events.push({
        ...base,
        kind: 'flush',
        offset: Math.floor(rng() * POOL),
        flushKind: FLUSHES[Math.floor(rng() * 3)]!,
      });
    } else if (r < 0.95) {
      events.push({ ...base, kind: 'fence', fenceKind: 'sfence' });
    } else {
      events.push({ ...base, kind: 'msync', offset: 64 * Math.floor(rng() * 3), length: 64 });
    }
  }
  return events;
}

/** Is the unit of store `s` durable at crash point `point`, by the rules read straight off the events? */
function durableByRules(events: TraceEvent[], unit: StoreUnit, point: number): boolean {
  const line = lineOf(unit.offset);
  const threadOf = (e: TraceEvent) => e.thread ?? 0;
  // a fence of thread `thread` after event `from`, before the crash
  const fenced = (from: number, thread: number) =>
    events.slice(from + 1, point).some((f) => f.kind === 'fence' && threadOf(f) === thread);
  for (let i = unit.seq + 1; i < point; i++) {
    const e = events[i]!;
    if (e.kind === 'msync' && lineOf(e.offset) <= line && line <= lineOf(e.offset + e.length - 1)) return true;
    if (e.kind === 'flush' && lineOf(e.offset) === line && e.flushKind === 'clflush') return true;
    // clwb/clflushopt: durable once the thread that flushed fences
    if (e.kind === 'flush' && lineOf(e.offset) === line && fenced(i, threadOf(e))) return true;
    // A non-temporal store to the line writes the line back first.
    if (e.kind === 'store' && e.nonTemporal && splitStore(e).some((v) => lineOf(v.offset) === line)) return true;
  }
  // a non-temporal store: durable at the next fence of the thread that made it
  if (unit.nonTemporal) return fenced(unit.seq, threadOf(events[unit.seq]!));
  return false;
}

/** Every image the rules allow at `point`: durable units always, pending ones as per-line prefixes. */
function referenceImages(events: TraceEvent[], point: number): Set<string> {
  const units = events.slice(0, point).flatMap((e) => (e.kind === 'store' ? splitStore(e) : []));
  const images = new Set<string>();
  for (let mask = 0; mask < 1 << units.length; mask++) {
    const keep = (i: number) => ((mask >> i) & 1) === 1;
    if (!units.every((u, i) => keep(i) || !durableByRules(events, u, point))) continue;
    // Per line, the surviving pending units must be a prefix in program order.
    const prefixOk = units.every((u, i) => {
      if (keep(i) || durableByRules(events, u, point)) return true;
      return !units.some(
        (v, j) => j > i && keep(j) && !durableByRules(events, v, point) && lineOf(v.offset) === lineOf(u.offset),
      );
    });
    if (!prefixOk) continue;
    const image = Buffer.alloc(POOL);
    units.forEach((u, i) => keep(i) && image.set(u.data, u.offset));
    images.add(image.toString('hex'));
  }
  return images;
}

for (const threads of [1, 2, 3]) {
  const name = threads === 1 ? '' : ` with ${threads} threads`;
  test(`exhaustive produces exactly the images the x86 rules allow, on 60 random traces${name}`, (t) => {
    // one thread keeps the seed's original traces
    const rng = seedrandom(threads === 1 ? 'pmfit-reference' : `pmfit-reference-${threads}`);
    const compared = compareRounds(t, rng, threads);
    t.true(compared > 300, `compared ${compared} crash points`);
  });
}

function compareRounds(t: ExecutionContext, rng: () => number, threads: number): number {
  let compared = 0;
  for (let round = 0; round < 60; round++) {
    const events = randomTrace(rng, threads === 1 ? 10 : 12, threads);
    const units = events.flatMap((e) => (e.kind === 'store' ? splitStore(e) : []));
    if (units.length > 12) continue;
    const initial = Buffer.alloc(POOL);
    const tracker = new PersistencyTracker(initial, hashImage(initial));
    for (let point = 0; point <= events.length; point++) {
      if (point > 0) tracker.apply(events[point - 1]!);
      const produced = STRATEGIES.adr.exhaustive!(tracker, point, { seed: 's', samples: 1, maxStates: 1 << 16 });
      const images = new Set(produced.candidates.map((c) => c.build().toString('hex')));
      t.deepEqual([...images].sort(), [...referenceImages(events, point)].sort(), `round ${round}, point ${point}`);
      compared++;
    }
  }
  return compared;
}
