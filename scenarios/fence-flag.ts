// Twins: data flushed with clwb, then a flag. The buggy one has no fence between the data's flush
// and the flag store, so the flag's line can reach pmem first (found by extremes, not by strict).
import type { TsScenario } from '../core/api.js';
import { DATA, FLAG, POOL_BYTES, WORDS, checkFlagData, writeData } from './flag-publish.js';

export const correct: TsScenario = {
  name: 'fence-flag',
  description: 'data flushed and fenced before the flag is stored (correct)',
  poolSize: POOL_BYTES,
  oracle: 'exit',
  models: ['adr'],
  run(pool) {
    writeData(pool);
    pool.flush(DATA, 8 * WORDS);
    pool.drain();
    pool.writeU64(FLAG, 1);
    pool.persist(FLAG, 8);
  },
  check: checkFlagData,
};

export const buggy: TsScenario = {
  ...correct,
  name: 'fence-flag-buggy',
  description: 'no fence between flushing the data and storing the flag (buggy: missing-fence)',
  run(pool) {
    writeData(pool);
    pool.flush(DATA, 8 * WORDS);
    pool.writeU64(FLAG, 1);
    pool.persist(FLAG, 8);
  },
};
