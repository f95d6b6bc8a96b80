import test from 'ava';
import { collateOutputs, mergeRanges } from '../../../harness/judge/collate.js';
import { formatRanges } from '../../../reports/ranges.js';

test('ranges merge when they touch or overlap and print allcounts-style', (t) => {
  t.deepEqual(
    mergeRanges([
      [5, 6],
      [1, 3],
      [4, 4],
      [20, 20],
      [7, 17],
    ]),
    [
      [1, 17],
      [20, 20],
    ],
  );
  t.is(
    formatRanges([
      [1, 17],
      [20, 20],
    ]),
    '1-17,20',
  );
});

test('identical outputs are grouped in order of first appearance', (t) => {
  const groups = collateOutputs([
    { output: 'b', from: 3, to: 4 },
    { output: 'a', from: 0, to: 2 },
    { output: 'b', from: 9, to: 9 },
  ]);
  t.deepEqual(groups, [
    { output: 'a', iterations: [[0, 2]], images: 1 },
    {
      output: 'b',
      iterations: [
        [3, 4],
        [9, 9],
      ],
      images: 2,
    },
  ]);
});
