// Speed must not change a single image: the engine hands checkers images as the lines that differ
// from a journal, and extremes builds one line per candidate — so on random traces (1) every image
// a checker receives has exactly the digest it was deduplicated under, (2) extremes names exactly
// the choices of its plain definition (every line at durable / all persisted, one line at each
// prefix), in the same order, and (3) `points: unique` checks a subset of points with the same images.
import test from 'ava';
import seedrandom from 'seedrandom';
import type { Checker, FlushKind, LineImage, Trace, TraceEvent } from '../../../core/api.js';
import { TsCheckPool } from '../../../harness/check/ts-pool.js';
import { observe } from '../../../harness/engine/engine.js';
import { digestKey, hashImage, paddedImage } from '../../../harness/engine/model/image-hash.js';
import { wholeImage } from '../../../harness/engine/model/line-journal.js';
import { PersistencyTracker } from '../../../harness/engine/model/persistency-tracker.js';
import { formatReplayId } from '../../../harness/engine/replay-id.js';
import { STRATEGIES } from '../../../harness/engine/strategies.js';
import { EventTable } from '../../../core/trace/event-table.js';

const POOL = 1000; // not a whole number of lines: the last one is cut
const FLUSHES: FlushKind[] = ['clflush', 'clwb', 'clflushopt'];

function randomTrace(rng: () => number, length: number, sites = 1000): Trace {
  const events: TraceEvent[] = [];
  for (let seq = 0; seq < length; seq++) {
    const base = { seq, icount: seq + 1, pc: 0, pool: 0, site: `s.c:${Math.floor(rng() * sites)}` };
    const r = rng();
    if (r < 0.6) {
      const size = [1, 8, 16, 64][Math.floor(rng() * 4)]!;
      const offset = Math.floor(rng() * (POOL - size));
      const data = Uint8Array.from({ length: size }, () => Math.floor(rng() * 256));
      events.push({ ...base, kind: 'store', offset, data, nonTemporal: rng() < 0.2 });
    } else if (r < 0.8) {
      events.push({
        ...base,
        kind: 'flush',
        offset: Math.floor(rng() * POOL),
        flushKind: FLUSHES[Math.floor(rng() * 3)]!,
      });
    } else {
      events.push({ ...base, kind: 'fence', fenceKind: 'sfence' });
    }
  }
  return {
    header: { formatVersion: 1, source: 'ts', program: [], pools: [{ id: 0, path: 'p', size: POOL }] },
    mappings: [],
    events: EventTable.from(events),
  };
}

/** A checker whose output is the digest of the bytes it was given. */
const digestChecker: Checker = {
  async check(image: Buffer | LineImage) {
    const bytes = wholeImage(image);
    return { kind: 'passed' as const, output: `${bytes.length}:${digestKey(hashImage(paddedImage(bytes)))}` };
  },
  async close() {},
};

test('every image a checker receives is the image its digest names', async (t) => {
  const rng = seedrandom('line-images');
  let checked = 0;
  for (let round = 0; round < 8; round++) {
    const trace = randomTrace(rng, 80);
    for (const [model, strategy] of [
      ['adr', 'extremes'],
      ['adr', 'exhaustive'],
      ['adr', 'random'],
      ['eadr', 'eadr'],
    ] as const) {
      const log = await observe({
        scenario: 't',
        trace,
        initial: Buffer.alloc(POOL, 7),
        model,
        strategy,
        oracle: 'exit',
        seed: 's',
        maxStates: 64,
        checker: digestChecker,
        inFlight: 4,
        replayCommand: (id) => id,
      });
      for (const [key, record] of log.images) {
        t.is(record.outcome.output, `${POOL}:${key}`, `${model}/${strategy} ${record.replayId}`);
        checked++;
      }
    }
  }
  t.true(checked > 1000, `${checked} images`);
});

test('extremes names exactly the choices of its plain definition, in order', (t) => {
  // The plain definition: strict, everything persisted, and for each line whose pending units the
  // last event that changed the state changed (found here by comparing the pending units and the
  // durable image before and after each event), each prefix with every other line durable-only and
  // with every other line whole; and, when a changed line is not waiting for a fence, each line
  // waiting for one lost whole, the rest whole.
  const rng = seedrandom('extremes-plain');
  let points = 0;
  let deviations = 0;
  for (let round = 0; round < 20; round++) {
    const { events } = randomTrace(rng, 40);
    const initial = Buffer.alloc(1024);
    const tracker = new PersistencyTracker(initial, hashImage(initial));
    let changed: Array<{ line: number; units: number }> = [];
    for (let point = 0; point <= events.length; point++) {
      // copies: the tracker marks its own units as flushed in place
      const before = new Map([...tracker.pendingLines].map(([line, u]) => [line, u.map((x) => ({ ...x }))]));
      const durableBefore = Buffer.from(tracker.durable);
      if (point > 0) tracker.applyAt(events, point - 1);
      const lines = [...tracker.pendingLines].map(([line, u]) => ({ line, units: u.length }));
      lines.sort((a, b) => a.line - b.line);
      const units = new Map(lines.map((l) => [l.line, l.units]));
      const differs = (line: number) => {
        const was = before.get(line) ?? [];
        const now = tracker.pendingLines.get(line) ?? [];
        return was.length !== now.length || was.some((u, i) => u.seq !== now[i]!.seq || u.offset !== now[i]!.offset);
      };
      const marked = (line: number) =>
        (before.get(line) ?? []).some((u, i) => u.flushing !== tracker.pendingLines.get(line)?.[i]?.flushing);
      const touched = [...new Set([...before.keys(), ...units.keys()])];
      const anyChange = !durableBefore.equals(tracker.durable) || touched.some(differs) || touched.some(marked);
      if (anyChange) changed = lines.filter(({ line }) => differs(line));
      else changed = lines.filter(({ line }) => changed.some((c) => c.line === line));
      // lines flushed (or written non-temporally) and waiting for a fence, not changed here, when a
      // changed line is not one of them
      const waits = (line: number) => tracker.pendingLines.get(line)!.some((u) => u.flushing || u.nonTemporal);
      const publishing = changed.some(({ line }) => !waits(line));
      const awaiting = publishing
        ? lines.filter(({ line }) => !changed.some((c) => c.line === line) && waits(line))
        : [];
      const all = new Map(units);
      const choices = [new Map<number, number>(), all];
      for (const { line, units: n } of changed) {
        for (let k = 0; k <= n; k++) choices.push(new Map([[line, k]]), new Map([...all, [line, k]]));
      }
      for (const { line } of awaiting) choices.push(new Map([...all, [line, 0]]));
      const plain = [...new Set(choices.map((kept) => formatReplayId({ model: 'adr', point, kept }, units)))];
      const produced = STRATEGIES.adr.extremes!(tracker, point, { seed: 's', samples: 1, maxStates: 1 });
      t.deepEqual(
        produced.candidates.map((c) => c.replayId),
        plain,
        `round ${round}, point ${point}`,
      );
      for (const c of produced.candidates) t.is(digestKey(c.digest), digestKey(hashImage(c.build())));
      points++;
      deviations += changed.length;
    }
  }
  t.true(points > 500);
  t.true(deviations > 200, `${deviations} changed lines`);
});

test('points unique checks only points whose place was seen at most K times, with the same images', async (t) => {
  const trace = randomTrace(seedrandom('unique'), 300, 12);
  const run = (points?: { mode: 'unique'; limit: number }) =>
    observe({
      scenario: 't',
      trace,
      initial: Buffer.alloc(POOL),
      model: 'adr',
      strategy: 'extremes',
      oracle: 'exit',
      seed: 's',
      checker: digestChecker,
      inFlight: 4,
      replayCommand: (id) => id,
      ...(points ? { points } : {}),
    });
  const full = await run();
  const unique = await run({ mode: 'unique', limit: 2 });
  const seen = new Map<string, number>();
  const expected = [0];
  [...trace.events].forEach((e, i) => {
    const n = seen.get(e.site!) ?? 0;
    seen.set(e.site!, n + 1);
    if (n <= 2) expected.push(i + 1);
  });
  t.deepEqual(
    [...unique.points].map((p) => p.index),
    expected,
  );
  t.is(unique.skippedPoints, trace.events.length + 1 - expected.length);
  t.true(unique.skippedPoints! > 200);
  for (const p of unique.points) t.deepEqual(p.images, full.points.atPoint(p.index)!.images);
  t.is(full.skippedPoints, undefined);
});

test('a TS worker composes each image from line deltas exactly, though its check writes to it', async (t) => {
  const rng = seedrandom('ts-deltas');
  const pool = new TsCheckPool({
    scenarioModule: new URL('./fixtures/digest-check.js', import.meta.url).href,
    exportName: 'digestCheck',
    jobs: 2,
    timeoutMs: 60_000,
  });
  let checked = 0;
  try {
    for (let round = 0; round < 4; round++) {
      const trace = randomTrace(rng, 80);
      for (const [model, strategy] of [
        ['adr', 'extremes'],
        ['eadr', 'eadr'],
      ] as const) {
        const log = await observe({
          scenario: 't',
          trace,
          initial: Buffer.alloc(POOL, 5),
          model,
          strategy,
          oracle: 'exit',
          seed: 's',
          checker: pool,
          inFlight: 8,
          replayCommand: (id) => id,
        });
        for (const [key, record] of log.images) {
          t.is(record.outcome.output, `${POOL}:${key}`, `${model}/${strategy} ${record.replayId}`);
          checked++;
        }
      }
    }
  } finally {
    await pool.close();
  }
  t.true(checked > 300, `${checked} images`);
});
