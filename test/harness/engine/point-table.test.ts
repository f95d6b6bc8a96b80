// The compact point log: records come back as they went in, its JSON is that of the records, and
// consecutive points with the same images share one list.
import test from 'ava';
import type { PointRecord } from '../../../core/api.js';
import { ImageTable } from '../../../harness/engine/image-table.js';
import { PointTable } from '../../../harness/engine/point-table.js';

/** The run's images the points refer to, by these keys. */
function imagesOf(keys: readonly string[]): ImageTable {
  return ImageTable.from(
    keys.map((key) => [key, { replayId: 'adr@0', firstPoint: 0, outcome: { kind: 'passed', output: '' } }]),
  );
}
const IMAGES = imagesOf(['k0', 'k1', 'k2']);

function records(): PointRecord[] {
  const shared = ['k1', 'k2'];
  return [
    { index: 0, icountFrom: 0, icountTo: 4, images: ['k0'], stateSpace: 1, partial: false, allowed: [0, 0] },
    { index: 3, icountFrom: 5, icountTo: 9, images: shared, stateSpace: 4, partial: true, allowed: [0, 1] },
    { index: 6, icountFrom: 10, icountTo: 2 ** 40, images: shared, stateSpace: 4, partial: true, allowed: [1, 1] },
    { index: 9, icountFrom: 2 ** 40, icountTo: 2 ** 40, images: [], stateSpace: 0, partial: false, allowed: [1, 2] },
  ];
}

test('records, their JSON and the sums come back as they went in, the described event last', (t) => {
  const table = PointTable.from(records(), IMAGES);
  const described = { kind: 'fence' as const, seq: 5, variant: 'sfence' as const };
  table.describe(6, described);
  const expected = records();
  expected[2] = { ...expected[2]!, lastEvent: described };
  t.deepEqual([...table], expected);
  t.is(JSON.stringify({ points: table }), JSON.stringify({ points: expected }), 'byte for byte, key order included');
  t.is(table.length, 4);
  t.is(table.imageCount, 5);
  t.is(table.stateSpace, 9);
  t.deepEqual(table.partialPoints(), [3, 6]);
});

test('points are found by their number, also in a shard that holds every third one', (t) => {
  const table = PointTable.from(records(), IMAGES);
  t.is(table.atPoint(6)!.icountTo, 2 ** 40);
  t.is(table.atPoint(9)!.images.length, 0);
  for (const missing of [1, 2, 4, 10]) t.is(table.atPoint(missing), undefined);
  t.throws(() => table.describe(4, { kind: 'fence', seq: 3 }), { instanceOf: RangeError });
});

test('points must ascend', (t) => {
  const [a, b] = records();
  t.throws(() => PointTable.from([b!, a!], IMAGES), {
    instanceOf: RangeError,
    message: /crash point 0 comes after point 3/,
  });
});

test('consecutive points with the same images share one list: a point costs a few tens of bytes', (t) => {
  const images = ['a', 'b', 'c', 'd'];
  const keys = Array.from({ length: 10_000 }, (_, i) => images.map((k) => `${k}${i}`));
  const same = PointTable.from([], imagesOf(images));
  const distinct = PointTable.from([], imagesOf(keys.flat()));
  for (let i = 0; i < 10_000; i++) {
    const point = { index: i, icountFrom: i, icountTo: i, stateSpace: 4, partial: false };
    same.push({ ...point, images });
    distinct.push({ ...point, images: keys[i]! });
  }
  t.is(same.imageCount, 40_000);
  t.deepEqual(same.atPoint(9_999)!.images, images);
  t.true(same.byteSize / same.length <= 40, `${same.byteSize / same.length} bytes per point sharing one list`);
  t.true(distinct.byteSize > 2 * same.byteSize, 'a list per point costs its keys');
});
