// The data structure the scaling benchmark grows: a circular log of u64 records in a 16 KiB pool.
// Each append persists its record, then the head that publishes it. The check is O(1): the head's
// record must hold the head's value.
import type { Pool, TsScenario } from '../../core/api.js';

const HEAD = 0;
const FIRST = 64;
const POOL = 16 * 1024;
const SLOTS = (POOL - FIRST) / 8;

export function logAppendScenario(appends: number): TsScenario {
  return {
    name: `log-append-${appends}`,
    description: `${appends} appends to a circular pmem log`,
    poolSize: POOL,
    oracle: 'exit',
    run(pool: Pool) {
      for (let i = 1; i <= appends; i++) {
        const slot = FIRST + 8 * (i % SLOTS);
        pool.writeU64(slot, i);
        pool.persist(slot, 8);
        pool.writeU64(HEAD, i);
        pool.persist(HEAD, 8);
      }
    },
    check: checkLog,
  };
}

function checkLog(pool: Pool) {
  const head = Number(pool.readU64(HEAD));
  if (head === 0) return { output: 'empty', passed: true };
  const value = Number(pool.readU64(FIRST + 8 * (head % SLOTS)));
  return value === head
    ? { output: 'ok', passed: true }
    : { output: 'broken', passed: false, detail: `head ${head} but its record holds ${value}` };
}

/** The check alone, for the check workers. */
export const checkOnly: TsScenario = { ...logAppendScenario(0), name: 'log-append' };
