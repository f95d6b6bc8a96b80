import test from 'ava';
import { collateOutputs, mergeRanges } from '../../../harness/judge/collate.js';
import { formatRanges } from '../../../reports/ranges.js';
import { formatReplayId, parseReplayId } from '../../../harness/engine/replay-id.js';

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

test('replay ids round-trip and reject malformed text', (t) => {
  const id = formatReplayId({
    model: 'adr',
    point: 37,
    kept: new Map([
      [9, 0],
      [5, 2],
      [12, 1],
    ]),
  });
  t.is(id, 'adr@37/5:2,12:1');
  const parsed = parseReplayId(id)!;
  t.is(parsed.point, 37);
  t.deepEqual(
    [...parsed.kept],
    [
      [5, 2],
      [12, 1],
    ],
  );
  t.is(parseReplayId('eadr@4')!.model, 'eadr');
  for (const bad of ['adr', 'adr@', 'xyz@3', 'adr@3/5', 'adr@-1']) t.is(parseReplayId(bad), null, bad);
});

test('ids of images that keep most lines whole use the * form and parse back', (t) => {
  const units = new Map([
    [1, 2],
    [2, 3],
    [3, 1],
  ]);
  const id = formatReplayId(
    {
      model: 'adr',
      point: 9,
      kept: new Map([
        [1, 2],
        [2, 1],
        [3, 1],
      ]),
    },
    units,
  );
  t.is(id, 'adr@9/*,2:1');
  const parsed = parseReplayId(id)!;
  t.is(parsed.rest, 'all');
  t.deepEqual([...parsed.kept], [[2, 1]]);
  t.is(
    formatReplayId(
      {
        model: 'adr',
        point: 9,
        kept: new Map([
          [1, 2],
          [2, 3],
          [3, 1],
        ]),
      },
      units,
    ),
    'adr@9/*',
  );
  t.is(parseReplayId('adr@9/*')!.rest, 'all');
});
