// Offsets named in their pool file (harness/judge/pool-files.ts): with several pool files each store
// and event gets its file's name and its offset in that file; with one pool file nothing changes,
// so a one-pool run's reports and replays read exactly as before.
import test from 'ava';
import type { EventRef, LostStore } from '../../../core/api.js';
import { layOut } from '../../../core/pool-layout.js';
import { eventInFile, storesInFiles } from '../../../harness/judge/pool-files.js';

const two = layOut([
  { pool: 'log', size: 4096 },
  { pool: 'data', size: 8192 },
]);
const one = layOut([{ pool: 'pool', size: 4096 }]);

const store: LostStore = { seq: 7, offset: 4096 + 192, size: 8, store: { offset: 4096 + 184, size: 16 } };
const event: EventRef = { kind: 'store', seq: 7, offset: 4096 + 192, size: 8 };

test('with two pool files, a store and an event name their file and are offsets in it', (t) => {
  t.deepEqual(storesInFiles([store], two), [
    { seq: 7, offset: 192, size: 8, pool: 'data', store: { offset: 184, size: 16 } },
  ]);
  t.deepEqual(eventInFile(event, two), { kind: 'store', seq: 7, offset: 192, size: 8, pool: 'data' });
  t.deepEqual(eventInFile({ kind: 'store', seq: 1, offset: 64, size: 8 }, two).pool, 'log');
});

test('with one pool file, stores and events are left as they are (no pool name)', (t) => {
  const single: EventRef = { kind: 'store', seq: 2, offset: 72, size: 8 };
  t.deepEqual(eventInFile(single, one), single);
  t.deepEqual(eventInFile(single, undefined), single);
  const s: LostStore = { seq: 2, offset: 72, size: 8 };
  t.deepEqual(storesInFiles([s], one), [s]);
});

test('a fence names no offset and no file, with any layout', (t) => {
  const fence: EventRef = { kind: 'fence', seq: 3, variant: 'sfence' };
  t.deepEqual(eventInFile(fence, two), fence);
});
