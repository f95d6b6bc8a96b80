// Twins: data then a flag. The buggy one persists the flag before the data (found by adr strict).
import type { TsScenario } from '../core/api.js';
import { DATA, FLAG, POOL_BYTES, WORDS, checkFlagData, writeData } from './flag-publish.js';

export const correct: TsScenario = {
  name: 'flag-data',
  description: 'data persisted, then its flag (correct)',
  poolSize: POOL_BYTES,
  oracle: 'exit',
  models: ['adr'],
  check: checkFlagData,
  run(pool) {
    writeData(pool);
    pool.persist(DATA, 8 * WORDS);
    pool.writeU64(FLAG, 1);
    pool.persist(FLAG, 8);
  },
};

export const buggy: TsScenario = {
  ...correct,
  name: 'flag-data-buggy',
  description: 'the flag persisted before its data (buggy: missing-flush, found by strict)',
  run(pool) {
    writeData(pool);
    pool.writeU64(FLAG, 1);
    pool.persist(FLAG, 8);
    pool.persist(DATA, 8 * WORDS);
  },
};
