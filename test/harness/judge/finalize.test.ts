// finalize turns a hand-made RunLog into a result: one finding per bug (the failing images grouped by
// the sites they lose, as `pmfit merge` does without re-simulation; the smallest image is the
// witness), verdicts, counts, coverage and replay commands.
import test from 'ava';
import { ImageTable } from '../../../harness/engine/image-table.js';
import { PointTable } from '../../../harness/engine/point-table.js';
import type { ImageRecord, PointRecord, RunLog } from '../../../core/api.js';
import { REPLAY_ID_SLOT, replayCommandFor } from '../../../harness/engine/replay-id.js';
import { finalize } from '../../../harness/judge/finalize.js';

const store = (seq: number, offset: number, site: string) => ({ seq, offset, size: 8, site });

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
    lostStores: Array.from({ length: lostLines }, (_, i) => store(i, 64 * (i + 1), `a.c:${i + 1}`)),
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
  const images = ImageTable.from(
    Object.entries({
      ok: image('adr@0', 0, true, 0),
      big: image('adr@1', 1, false, 2),
      small: image('adr@1/*,1:0', 1, false, 1),
      other: image('adr@3', 3, false, 1, { lostStores: [store(7, 640, 'b.c:9')] }),
    }),
  );
  return {
    scenario: 's',
    model: 'adr',
    strategy: 'extremes',
    oracle: 'exit',
    seed: '0',
    replayTemplate: replayCommandFor(['pmfit', 'replay', REPLAY_ID_SLOT, '--scenario', 's'])(REPLAY_ID_SLOT),
    traceDigest: 'abc123',
    reference: {},
    points: PointTable.from(
      [
        point(0, ['ok']),
        point(1, ['ok', 'big', 'small'], { lastEvent: { kind: 'fence', seq: 0, variant: 'sfence' } }),
        point(2, ['big', 'small']),
        point(3, ['ok', 'other']),
      ],
      images,
    ),
    images,
    perfFindings: [],
  };
}

test('one finding per bug: images that lose what a smaller one loses join it; the smallest is the witness', (t) => {
  const result = finalize(log(), 5);
  t.deepEqual(
    result.findings.map((f) => [f.crashPoint, f.replayId, f.sites.lost, f.crashPoints, f.failingImages]),
    [
      [1, 'adr@1/*,1:0~abc123', ['a.c:1'], [[1, 2]], 2],
      [3, 'adr@3~abc123', ['b.c:9'], [[3, 3]], 1],
    ],
    "'big' loses a.c:1 and a.c:2: it is the bug 'small' (a.c:1) shows, at points 1 and 2",
  );
  const [first] = result.findings;
  t.is(first!.class, 'missing-flush');
  t.deepEqual(first!.failure, { kind: 'check-failed', detail: 'broken' });
  t.is(first!.actual, 'bad');
  t.deepEqual(first!.lastEvent, { kind: 'fence', seq: 0, variant: 'sfence' });
  t.is(first!.replayCommand, "pmfit replay 'adr@1/*,1:0~abc123' --scenario s");
  t.deepEqual([first!.icountFrom, first!.icountTo], [10, 19]);
  t.deepEqual(
    first!.occurrences.map((o) => [o.crashPoint, o.images, o.replayId]),
    [
      [1, 2, 'adr@1/*,1:0~abc123'],
      [2, 2, 'adr@1/*,1:0~abc123'],
    ],
  );
  t.is(first!.fix, undefined, 'without re-simulation there is no verified fix');
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
  const images = ImageTable.from(
    Object.entries({
      ok: image('adr@0', 0, true, 0),
      err: { ...image('adr@1', 1, false, 1), outcome: { kind: 'error' as const, output: '', error: 'threw' } },
    }),
  );
  l.images = images;
  l.points = PointTable.from([point(0, ['ok']), point(1, ['err'])], images);
  const result = finalize(l, 0);
  t.is(result.summary.verdict, 'unknown');
  t.deepEqual(result.findings[0]!.failure, { kind: 'check-error', error: 'threw' });
});

test('a clean log is consistent, and an interrupted one says so', (t) => {
  const l = log();
  l.images = ImageTable.from([['ok', image('adr@0', 0, true, 0)]]);
  l.points = PointTable.from([point(0, ['ok'])], l.images as ImageTable);
  l.incomplete = true;
  const result = finalize(l, 0);
  t.is(result.summary.verdict, 'consistent');
  t.deepEqual(result.findings, []);
  t.true(result.incomplete);
});
