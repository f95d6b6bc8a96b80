// Shared by the x86 twins: eight words of data on cache line 1, published by a flag on line 0.
// The check: a set flag must come with all of its data.
import type { CheckResult, Pool } from '../core/api.js';

export const FLAG = 0;
export const DATA = 64;
export const WORDS = 8;
export const POOL_BYTES = 4096;

export function dataWord(i: number): bigint {
  return 0x5ca1ab1e00000000n + BigInt(i + 1);
}

export function writeData(pool: Pool): void {
  for (let i = 0; i < WORDS; i++) pool.writeU64(DATA + 8 * i, dataWord(i));
}

export function checkFlagData(pool: Pool): CheckResult {
  if (pool.readU64(FLAG) === 0n) return { output: 'flag=0', passed: true };
  for (let i = 0; i < WORDS; i++) {
    const word = pool.readU64(DATA + 8 * i);
    if (word !== dataWord(i))
      return {
        output: 'flag=1 data=partial',
        passed: false,
        detail: `flag is set but data word ${i} is ${word.toString(16)}`,
      };
  }
  return { output: 'flag=1 data=ok', passed: true };
}
