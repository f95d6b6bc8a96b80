// Twins: data written with non-temporal stores, then a flag. The buggy one publishes the flag
// without a fence after the non-temporal stores, so the flag can persist while the data is still
// in the write-combining buffers (found by extremes, not by strict).
import type { TsScenario } from '../core/api.js';
import { DATA, FLAG, POOL_BYTES, WORDS, checkFlagData, dataWord } from './flag-publish.js';

function streamData(pool: Parameters<TsScenario['run']>[0]): void {
  for (let i = 0; i < WORDS; i++) {
    const word = Buffer.alloc(8);
    word.writeBigUInt64LE(dataWord(i));
    pool.writeNonTemporal(DATA + 8 * i, word);
  }
}

export const correct: TsScenario = {
  name: 'nt-publish',
  description: 'non-temporal data drained before the flag is published (correct)',
  poolSize: POOL_BYTES,
  oracle: 'exit',
  models: ['adr'],
  run(pool) {
    streamData(pool);
    pool.drain();
    pool.writeU64(FLAG, 1);
    pool.persist(FLAG, 8);
  },
  check: checkFlagData,
};

export const buggy: TsScenario = {
  ...correct,
  name: 'nt-publish-buggy',
  description: 'flag published with the non-temporal data not yet drained (buggy: missing-fence)',
  run(pool) {
    streamData(pool);
    pool.writeU64(FLAG, 1);
    pool.persist(FLAG, 8);
  },
};
