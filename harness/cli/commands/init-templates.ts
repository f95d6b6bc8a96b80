// The starter scenario files `pmfit init` writes: a TS scenario on the Pool API (a correct
// append-only log) and a native spec for a program with init/run/check commands.

export const TS_TEMPLATE = `// A pmfit scenario: crash-tests a small append-only log kept in persistent memory.
//
//   npx pmfit run ./FILE                 crash-test it (exit 0: every crash state is consistent)
//   npx pmfit run ./FILE --model adr     under one persistency model only
//
// Then make it buggy — delete the \`pool.persist(at, 8)\` line in append() — and run it again:
// pmfit reports the crash state where the count survived but its record did not, with the one
// command that replays it.
//
// Only types come from pmfit: \`import type\` is erased when pmfit loads this file (it transpiles
// it with the TypeScript compiler), so import nothing else from 'pmfit'. Relative imports of
// your own helpers (./helpers.js, or a ./helpers.ts imported as './helpers.js') work.
import type { Pool, TsScenario } from 'pmfit';

const MAGIC = 0x676f6c6c75666d70n; // marks a formatted pool
const HEADER = 0; //                  cache line 0: magic (8 bytes) then the record count (8 bytes)
const COUNT = HEADER + 8;
const RECORDS = 64; //                 the records, 8 bytes each, from cache line 1 on
const CAPACITY = 32;
const APPENDS = 3;

/** The value record i must hold: something the check can recognise. */
const expected = (i: number): bigint => 0x5ca1ab1e00000000n + BigInt(i);

/** Appends one record: the record is made durable before the count that publishes it. */
function append(pool: Pool, value: bigint): void {
  const n = Number(pool.readU64(COUNT));
  const at = RECORDS + 8 * n;
  pool.writeU64(at, value); //      1. write the record
  pool.persist(at, 8); //           2. make it durable (a clwb per cache line, then an sfence)
  pool.writeU64(COUNT, n + 1); //   3. only then publish it
  pool.persist(COUNT, 8);
  pool.marker('append'); //         an operation boundary (what the 'ops' oracle compares at)
}

const scenario: TsScenario = {
  // name: how reports name this scenario; description: one line for humans.
  name: 'append-log',
  description: 'append-only log: each record persisted before the count that publishes it',

  // poolSize: bytes of the pool, a positive multiple of 64 (one cache line). It starts zeroed.
  poolSize: 4096,

  // oracle: how the outcome of check() on a crash image becomes a verdict.
  //   'exit'    the check's own judgement: { passed: false } is a finding (a plain string passes)
  //   'atomic'  the output must equal the output before run() or after it (all-or-nothing)
  //   'ops'     the output must be the one at an operation boundary (pool.marker) the crash allows
  //   'collate' no verdict: identical outputs grouped by crash point, to see what a crash leaves
  oracle: 'exit',

  // models: the persistency models \`pmfit run\` uses when the command line names none (default adr).
  //   'eadr'  caches are persistent: a crash keeps every store executed before it
  //   'adr'   a store is sure to survive only once flushed (clwb/clflushopt + fence, clflush);
  //           a crash may keep any prefix of each cache line's pending stores
  models: ['eadr', 'adr'],

  // setup (optional): untraced, formats the fresh pool before the snippet.
  setup(pool) {
    pool.writeU64(HEADER, MAGIC);
    pool.writeU64(COUNT, 0);
    pool.persist(HEADER, 16);
  },

  // run: the snippet under test. Every store, flush and fence it makes on the pool is recorded,
  // and pmfit builds the pool as a crash at each point could leave it.
  run(pool) {
    for (let i = 0; i < APPENDS; i++) append(pool, expected(i));
  },

  // check: recovery + check on a private copy of one crash image. Return the state as a string
  // (consistent), or { output, passed, detail? }. A check that throws gives the verdict unknown.
  check(pool) {
    if (pool.readU64(HEADER) !== MAGIC) return { output: 'not formatted', passed: false, detail: 'the magic is gone' };
    const n = Number(pool.readU64(COUNT));
    if (n > CAPACITY) return { output: \`count \${n}\`, passed: false, detail: \`count \${n} is past the capacity \${CAPACITY}\` };
    const records: string[] = [];
    for (let i = 0; i < n; i++) {
      const value = pool.readU64(RECORDS + 8 * i);
      if (value !== expected(i)) {
        return { output: \`count \${n}, record \${i} = 0x\${value.toString(16)}\`, passed: false, detail: \`record \${i} is published but holds 0x\${value.toString(16)}\` };
      }
      records.push(String(i));
    }
    return \`log: [\${records.join(', ')}]\`;
  },
};

export default scenario;
`;

/** The native starter, its program given relative to the file (a path starting with ./ or ../). */
export function nativeTemplate(program: string): string {
  return `// A pmfit native scenario: crash-tests a native program that keeps data in a pool file.
//
//   npx pmfit run ./FILE
//
// The program follows a three-command contract (scenarios/native/README.md in pmfit):
//   init   untraced: formats a fresh pool
//   run    the snippet under test, run once under pmfit's QEMU tracer: every store, flush and fence
//          to the pool is recorded (between icount_start() and icount_stop() from icount.h, or
//          between the functions 'from' and 'to', or the whole run)
//   check  recovery + check on a private copy of each crash image: the state on stdout, exit 0 when
//          consistent, non-zero with the reason on stderr when not
// It points at pmfit's own example (data then its flag, correct): replace it with yours.
//
// Paths: 'program' and 'pool' are relative to this file; in 'init', 'check' and 'args', words that
// start with ./ or ../ are too, and {dir} stands for this file's directory. {pool} stands for
// pmfit's private copy of the pool (your file is never modified).
const PROGRAM = ${JSON.stringify(program)};

export default {
  kind: 'native', //            a native spec (without it the export is read as a TS scenario)
  name: 'flag-data', //          how reports name this scenario
  description: 'data persisted, then its flag',

  poolSize: 4096, //             start from a new zeroed pool of this many bytes (a multiple of 64),
  // pool: './my.pool', //        or from a copy of an existing pool file (give one of the two)

  init: \`\${PROGRAM} init {pool}\`, //        optional: untraced set-up command, run by /bin/sh
  program: PROGRAM, //                       the program traced...
  args: ['run', '{pool}'], //                ...and its arguments
  check: \`\${PROGRAM} check {pool}\`, //      run on every crash image, by /bin/sh

  // oracle: 'exit' (the check's exit status), 'atomic' (the check's output must be the one before
  // or after the snippet), 'ops' (the one at an operation boundary: icount_marker), 'collate' (no
  // verdict: identical outputs grouped, like the seed's allcounts).
  oracle: 'exit',
  // models: 'eadr' (a crash keeps every store executed) and/or 'adr' (only flushed + fenced stores
  // are sure to survive); default adr.
  models: ['adr'],
  // from: 'my_function', to: 'other_function', // trace only between these two functions
};
`;
}
