// The compact image log: images are found by digest across many growths of the hash set, records
// and their JSON come back as a log of ImageRecord objects had them, and keys that are not digests
// (hand-made logs) work too.
import test from 'ava';
import type { CheckOutcome, ImageRecord } from '../../../core/api.js';
import { ImageTable } from '../../../harness/engine/image-table.js';
import { digestKey } from '../../../harness/engine/model/image-hash.js';

/** A digest whose first lane (the hash set's slot) collides often: probing must still find each. */
function digestOf(i: number): Uint32Array {
  return Uint32Array.from([(i % 7) * 1024, i, i ^ 0x5bd1e995, (i * 2654435761) >>> 0]);
}

const passed: CheckOutcome = { kind: 'passed', output: 'ok' };

test('every image added is found by its digest, and no other digest is', (t) => {
  const table = new ImageTable();
  for (let i = 0; i < 5000; i++) {
    t.is(table.find(digestOf(i)), -1);
    t.is(table.add(digestOf(i), `eadr@${i}`, i), i);
  }
  t.is(table.size, 5000);
  for (let i = 0; i < 5000; i++) t.is(table.find(digestOf(i)), i);
  t.is(table.find(digestOf(5000)), -1);
  t.is(table.idOf(digestKey(digestOf(1234))), 1234);
  t.true(table.byteSize / table.size < 64, `${table.byteSize / table.size} bytes per image`);
});

test('records and JSON are those of plain ImageRecord objects: bare ids, other ids, outcomes, descriptions', (t) => {
  const table = new ImageTable();
  const failed: CheckOutcome = { kind: 'failed', output: 'bad', detail: 'flag without data' };
  const expected: Record<string, ImageRecord> = {};
  const ids = ['adr@0', 'eadr@1', 'adr@2/*,5:1', 'adr@4/3:2', 'eadr@3'];
  ids.forEach((replayId, i) => {
    const id = table.add(digestOf(i), replayId, i === 4 ? 9 : i);
    table.setOutcome(id, i % 2 === 0 ? passed : failed);
    expected[digestKey(digestOf(i))] = {
      replayId,
      firstPoint: i === 4 ? 9 : i,
      outcome: i % 2 === 0 ? passed : failed,
    };
  });
  const description = { class: 'missing-flush' as const, lostLines: 1, lostUnits: 2, lostStores: [], keptStores: [] };
  const key = digestKey(digestOf(3));
  table.describe(key, description);
  expected[key] = { ...expected[key]!, ...description };
  t.deepEqual([...table], Object.entries(expected));
  t.is(JSON.stringify({ images: table }), JSON.stringify({ images: expected }), 'byte for byte, key order included');
  t.deepEqual(table.get(key), expected[key]);
  t.is(table.outcomeOf(0), table.outcomeOf(2), 'one outcome object for equal outcomes');
  t.is(table.get('0'.repeat(32)), undefined);
});

test('a table read back from its JSON is the same table; keys that are not digests are kept as text', (t) => {
  const table = new ImageTable();
  for (let i = 0; i < 100; i++) table.setOutcome(table.add(digestOf(i), `adr@${i}/${i}:1`, i), passed);
  const json = JSON.stringify(table);
  const back = ImageTable.from(Object.entries(JSON.parse(json) as Record<string, ImageRecord>));
  t.is(JSON.stringify(back), json);
  const hand = ImageTable.from([
    ['ok', { replayId: 'adr@0', firstPoint: 0, outcome: passed }],
    ['ABCDEF', { replayId: 'adr@1', firstPoint: 1, outcome: passed }],
  ]);
  t.deepEqual([...hand.keys()], ['ok', 'ABCDEF']);
  t.is(hand.get('ok')!.replayId, 'adr@0');
  t.throws(() => ImageTable.from([...hand, ...hand]), { instanceOf: RangeError, message: /listed twice/ });
});
