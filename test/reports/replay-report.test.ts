// What `pmfit replay` prints for one image: the words come from reports/format.ts.
import test from 'ava';
import type { ReplayRecord } from '../../harness/judge/replay.js';
import { renderReplay } from '../../reports/replay-report.js';

const record = (more: Partial<ReplayRecord>): ReplayRecord => ({
  id: 'adr@1/0:1~0b59a4',
  subject: 'torn16-buggy',
  model: 'adr',
  oracle: 'exit',
  crashPoint: 1,
  icountFrom: 1,
  icountTo: 1,
  kept: [],
  lost: [],
  trace: { kind: 'same', digest: '0b59a4' },
  output: 'value=torn',
  verdict: { status: 'inconsistent', failure: { kind: 'check-failed', detail: 'record torn' } },
  ...more,
});

test('a replayed image lists its stores; one both kept and lost is said to be torn', (t) => {
  const whole = { seq: 0, offset: 0, size: 16, site: 'scenarios/torn16.ts:55:10' };
  const text = renderReplay(record({ kept: [whole], lost: [whole] }));
  t.is(
    text.split('#0 [0, +16) line 0 at scenarios/torn16.ts:55:10 (torn: part of it lost, part persisted)').length - 1,
    2,
    text,
  );
  t.true(text.includes('verdict: inconsistent — record torn'));
  const parts = renderReplay(
    record({
      kept: [{ ...whole, size: 8, store: { offset: 0, size: 16 } }],
      lost: [{ ...whole, offset: 8, size: 8, store: { offset: 0, size: 16 } }],
    }),
  );
  t.true(parts.includes('  #0 [8, +8) of the 16-byte store [0, +16) line 0 at scenarios/torn16.ts:55:10\n'), parts);
  const plain = renderReplay(record({ lost: [{ ...whole, seq: 3 }] }));
  t.false(plain.includes('(torn:'));
});
