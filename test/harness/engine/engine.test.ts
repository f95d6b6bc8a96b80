// The engine on a hand-written trace with a fake checker (in-process, real logic: it reads the
// flag and the data word of each crash image): which crash points, which images, which failures.
import test from 'ava';
import { describeImages } from '../../../harness/engine/describe-images.js';
import { type EngineInput, observe } from '../../../harness/engine/engine.js';
import { runEngine } from '../../../harness/judge/judge-run.js';
import { REPLAY_ID_SLOT, replayCommandFor } from '../../../harness/engine/replay-id.js';
import { FlagDataChecker, flagDataTrace } from './trace-kit.js';

function input(model: 'adr' | 'eadr', checker = new FlagDataChecker()): EngineInput {
  return {
    scenario: 'flag-data',
    trace: flagDataTrace(),
    initial: Buffer.alloc(128),
    model,
    oracle: 'exit',
    seed: '0',
    checker,
    inFlight: 4,
    replayCommand: replayCommandFor(['pmfit', 'replay', REPLAY_ID_SLOT, '--scenario', 'flag-data']),
  };
}

test('observe visits every crash point and checks each distinct image once', async (t) => {
  const checker = new FlagDataChecker();
  const engineInput: EngineInput = { ...input('adr', checker), strategy: 'exhaustive' };
  const log = await observe(engineInput);
  t.deepEqual(
    [...log.points].map((p) => p.index),
    [0, 1, 2, 3, 4],
  );
  t.is(checker.checked, log.images.size, 'one check per distinct image');
  // After the two stores both lines are pending with one unit each: four images.
  t.is(log.points.atPoint(2)!.stateSpace, 4);
  t.is(log.points.atPoint(2)!.images.length, 4);
  // After the fence the flag is durable and only the data line is pending: two images.
  t.is(log.points.atPoint(4)!.stateSpace, 2);
  // The engine describes no image; the judge asks for the failing ones to be described.
  t.true([...log.images].every(([, i]) => i.class === undefined && i.lostStores === undefined));
  const failingKeys = [...log.images.keys()].filter((key) => log.images.get(key)!.outcome.kind !== 'passed');
  describeImages(log, engineInput.trace, engineInput.initial, failingKeys);
  const failing = failingKeys.map((key) => log.images.get(key)!);
  t.true(failing.length > 0);
  for (const image of failing) {
    t.is(image.class, 'missing-flush', 'the lost data line was never flushed');
    t.deepEqual(
      image.lostStores!.map((s) => [s.seq, s.offset, s.size, s.site]),
      [[0, 64, 8, 'data.ts:1:1']],
    );
    t.is(image.outcome.kind === 'failed' ? image.outcome.detail : undefined, 'flag set but data is 0');
  }
});

test('under eadr every executed store survives: the same trace is consistent', async (t) => {
  const result = await runEngine(input('eadr'));
  t.is(result.summary.verdict, 'consistent');
  t.is(result.summary.crashPoints, 5);
  t.is(result.summary.images, 5, 'one image per crash point');
  t.deepEqual(result.findings, []);
});

test('the judged run names the first failing crash point, the event before it and a replay command', async (t) => {
  const result = await runEngine({ ...input('adr'), strategy: 'strict' });
  t.is(result.summary.verdict, 'inconsistent');
  const [first] = result.findings;
  t.truthy(first);
  t.is(first!.crashPoint, 4, 'strict adr: the flag is durable only after the fence');
  t.deepEqual(first!.lastEvent, { kind: 'fence', seq: 3, variant: 'sfence' });
  t.deepEqual(first!.failure, { kind: 'check-failed', detail: 'flag set but data is 0' });
  t.regex(first!.replayId, /^adr@4~[0-9a-f]{6}$/);
  t.is(first!.replayCommand, `pmfit replay '${first!.replayId}' --scenario flag-data`);
});

test('an aborted run is marked incomplete and checks no more points', async (t) => {
  const controller = new AbortController();
  controller.abort();
  const log = await observe({ ...input('adr'), signal: controller.signal });
  t.true(log.incomplete);
  t.is(log.points.length, 0);
});
