// finalize turns a hand-made RunLog into a result: one finding per crash point where an image fails
// first (the one that lost the fewest lines), verdicts, counts, coverage and replay commands.
import test from 'ava';
import type { ImageRecord, PointRecord, RunLog } from '../../../core/api.js';
import { REPLAY_ID_SLOT, replayCommandFor } from '../../../harness/engine/replay-id.js';
import { finalize } from '../../../harness/judge/finalize.js';

const store = (seq: number, offset: number) => ({ seq, offset, size: 8 });

function image(
  replayId: string,
  firstPoint: number,
  passed: boolean,
  lostLines: number,
  more: Partial<ImageRecord> = {},
): ImageRecord {
  return {
    replayId,
    firstPoint,
    outcome: passed ? { kind: 'passed', output: 'ok' } : { kind: 'failed', output: 'bad', detail: 'broken' },
    class: passed ? 'inconsistent' : 'missing-flush',
    lostLines,
    lostUnits: lostLines,
    lostStores: Array.from({ length: lostLines }, (_, i) => store(i, 64 * (i + 1))),
    keptStores: [],
    ...more,
  };
}

const point = (index: number, images: string[], more: Partial<PointRecord> = {}): PointRecord => ({
  index,
  icountFrom: index * 10,
  icountTo: index * 10 + 9,
  images,
  stateSpace: images.length * 2,
  partial: false,
  ...more,
});

function log(): RunLog {
  return {
    scenario: 's',
    model: 'adr',
    strategy: 'extremes',
    oracle: 'exit',
    seed: '0',
    replayTemplate: replayCommandFor(['pmfit', 'replay', REPLAY_ID_SLOT, '--scenario', 's'])(REPLAY_ID_SLOT),
    traceDigest: 'abc123',
    reference: {},
    points: [
      point(0, ['ok']),
      point(1, ['ok', 'big', 'small'], { lastEvent: { kind: 'fence', seq: 0, variant: 'sfence' } }),
      point(2, ['big', 'small']),
      point(3, ['ok', 'other']),
    ],
    images: {
      ok: image('adr@0', 0, true, 0),
      big: image('adr@1', 1, false, 2),
      small: image('adr@1/*,1:0', 1, false, 1),
      other: image('adr@3', 3, false, 3),
    },
    perfFindings: [],
  };
}

test('one finding per crash point where an image fails first: the one that lost the fewest lines', (t) => {
  const result = finalize(log(), 5);
  t.deepEqual(
    result.findings.map((f) => [f.crashPoint, f.replayId]),
    [
      [1, 'adr@1/*,1:0~abc123'],
      [3, 'adr@3~abc123'],
    ],
    'point 2 shows only images already reported at point 1',
  );
  const [first] = result.findings;
  t.is(first!.class, 'missing-flush');
  t.deepEqual(first!.failure, { kind: 'check-failed', detail: 'broken' });
  t.is(first!.actual, 'bad');
  t.deepEqual(first!.lastEvent, { kind: 'fence', seq: 0, variant: 'sfence' });
  t.is(first!.replayCommand, "pmfit replay 'adr@1/*,1:0~abc123' --scenario s");
  t.deepEqual([first!.icountFrom, first!.icountTo], [10, 19]);
});

test('summary and coverage count what was observed', (t) => {
  const result = finalize(log(), 5);
  t.deepEqual(result.summary, {
    verdict: 'inconsistent',
    crashPoints: 4,
    images: 8,
    distinctImages: 4,
    findings: 2,
    wallMs: 5,
  });
  t.is(result.coverage.stateSpace, 16);
  t.is(result.coverage.fraction, 0.5);
  t.deepEqual(result.coverage.partialPoints, []);
  t.deepEqual(
    result.groups.map((g) => [g.output, g.images]),
    [
      ['ok', 3],
      ['bad', 5],
    ],
  );
});

test('a check that could not run makes the verdict unknown, never consistent', (t) => {
  const l = log();
  l.images = {
    ok: image('adr@0', 0, true, 0),
    err: { ...image('adr@1', 1, false, 1), outcome: { kind: 'error', output: '', error: 'threw' } },
  };
  l.points = [point(0, ['ok']), point(1, ['err'])];
  const result = finalize(l, 0);
  t.is(result.summary.verdict, 'unknown');
  t.deepEqual(result.findings[0]!.failure, { kind: 'check-error', error: 'threw' });
});

test('a clean log is consistent, and an interrupted one says so', (t) => {
  const l = log();
  l.points = [point(0, ['ok'])];
  l.images = { ok: image('adr@0', 0, true, 0) };
  l.incomplete = true;
  const result = finalize(l, 0);
  t.is(result.summary.verdict, 'consistent');
  t.deepEqual(result.findings, []);
  t.true(result.incomplete);
});
