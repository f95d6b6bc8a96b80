// Twins: a 16-byte record (value, ~value) that must never be seen half-written. The buggy one
// overwrites it in place with one 16-byte store, which x86 may persist as two separate 8-byte
// units; the correct one writes a fresh slot and then publishes it with an atomic 8-byte index.
import type { CheckResult, Pool, TsScenario } from '../core/api.js';

const SLOTS = [0, 64];
const INDEX = 128;

function record(value: bigint): Buffer {
  const bytes = Buffer.alloc(16);
  bytes.writeBigUInt64LE(value, 0);
  bytes.writeBigUInt64LE(~value & 0xffffffffffffffffn, 8);
  return bytes;
}

function check(pool: Pool): CheckResult {
  const index = pool.readU64(INDEX);
  if (index > 1n) return { output: `index=${index}`, passed: false, detail: `slot index ${index} is out of range` };
  const slot = SLOTS[Number(index)]!;
  const value = pool.readU64(slot);
  const complement = pool.readU64(slot + 8);
  if ((~value & 0xffffffffffffffffn) !== complement)
    return {
      output: 'value=torn',
      passed: false,
      detail: `record torn: value ${value.toString(16)} with complement ${complement.toString(16)}`,
    };
  return { output: `value=${value}`, passed: true };
}

export const correct: TsScenario = {
  name: 'torn16',
  description: 'a 16-byte record updated by writing a new slot and publishing an 8-byte index (correct)',
  poolSize: 4096,
  oracle: 'exit',
  models: ['adr'],
  setup(pool) {
    pool.write(SLOTS[0]!, record(1n));
    pool.persist(SLOTS[0]!, 16);
  },
  run(pool) {
    pool.write(SLOTS[1]!, record(2n));
    pool.persist(SLOTS[1]!, 16);
    pool.writeU64(INDEX, 1);
    pool.persist(INDEX, 8);
  },
  check,
};

export const buggy: TsScenario = {
  ...correct,
  name: 'torn16-buggy',
  description: 'the 16-byte record overwritten in place with one store (buggy: torn-write)',
  run(pool) {
    pool.write(SLOTS[0]!, record(2n));
    pool.persist(SLOTS[0]!, 16);
  },
};
