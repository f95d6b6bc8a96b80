// The seed's basic example: strings copied into pmem a byte at a time (as strcpy does), each
// persisted after its copy, with no atomicity at all. Crashes leave partial strings: allcounts'
// demo of why pmem data structures need a protocol. Collated only: it has no verdict.
import type { Pool, TsScenario } from '../core/api.js';

const SLOT_BYTES = 64;
const STRINGS = ['Hello', 'pmem', 'world'];

const basic: TsScenario = {
  name: 'basic',
  description: "strings stored with no atomicity (the seed's basic): crashes show partial strings",
  poolSize: 4096,
  oracle: 'collate',
  models: ['eadr'],
  run(pool: Pool) {
    STRINGS.forEach((text, slot) => {
      const at = slot * SLOT_BYTES;
      for (let i = 0; i < text.length; i++) pool.writeU8(at + i, text.charCodeAt(i));
      pool.writeU8(at + text.length, 0);
      pool.persist(at, text.length + 1);
    });
  },
  check(pool: Pool) {
    const lines = STRINGS.map((_, slot) => `slot ${slot}: "${pool.readString(slot * SLOT_BYTES, SLOT_BYTES)}"`);
    return lines.join('\n');
  },
};

export default basic;
