// The built-in scenarios, by name. Each entry names a module and the export holding a TsScenario;
// check workers load the same module by its URL, so a scenario is code, not data passed between threads.
import type { ModelName, OracleName } from '../core/api.js';

/** A TS scenario: a module and the export holding its TsScenario. */
export interface ScenarioEntry {
  kind?: 'ts';
  name: string;
  module: string;
  exportName: string;
}

/** A native C scenario built into build/scenarios/: `PROG init|run|check POOL` (scenarios/native/README.md). */
export interface NativeScenarioEntry {
  kind: 'native';
  name: string;
  description: string;
  program: string;
  poolSize: number;
  runArgs: string[];
  oracle: OracleName;
  models: ModelName[];
}

export type AnyScenarioEntry = ScenarioEntry | NativeScenarioEntry;

const entry = (name: string, file: string, exportName = 'default'): ScenarioEntry => ({
  name,
  module: new URL(`./${file}.js`, import.meta.url).href,
  exportName,
});

/** Each x86 twin module exports `correct` and `buggy`. */
const twins = (name: string): ScenarioEntry[] => [entry(name, name, 'correct'), entry(`${name}-buggy`, name, 'buggy')];

export const builtInScenarios: ScenarioEntry[] = [
  entry('basic', 'basic'),
  entry('list-append', 'list-append'),
  entry('list-append-buggy', 'list-append-buggy'),
  ...twins('flag-data'),
  ...twins('fence-flag'),
  ...twins('torn16'),
  ...twins('nt-publish'),
];

const NATIVE_BUILD = new URL('../../build/scenarios/', import.meta.url).pathname;

const native = (prog: string, description: string, poolSize: number, oracle: OracleName, models: ModelName[], runArgs: string[] = []): NativeScenarioEntry => ({
  kind: 'native',
  name: `native/${prog}`,
  description,
  program: NATIVE_BUILD + prog,
  poolSize,
  runArgs,
  oracle,
  models,
});

const nativeTwins = (prog: string, what: string, bug: string): NativeScenarioEntry[] => [
  native(prog, `${what} (correct)`, 4096, 'exit', ['adr']),
  native(`${prog}-buggy`, `${what}: ${bug}`, 4096, 'exit', ['adr']),
];

export const nativeScenarios: NativeScenarioEntry[] = [
  native('trivial', 'mmap + msync of a string (the seed\'s trivial)', 4096, 'collate', ['eadr', 'adr']),
  native('basic', 'strings stored with no atomicity (the seed\'s basic): partial strings', 4096, 'collate', ['eadr']),
  native('binarytree', 'word-count tree on a crash-safe allocator: inserts all-or-nothing, no leak', 65536, 'exit', ['eadr', 'adr']),
  native('binarytree-buggy', 'the tree linking a node before its contents are persisted (buggy)', 65536, 'exit', ['eadr', 'adr']),
  native('pmemobj-tx', 'a libpmemobj transaction keeping a + b constant', 8 << 20, 'exit', ['adr']),
  native('pmemobj-tx-buggy', 'the transaction changing b without adding it to the undo log (buggy)', 8 << 20, 'exit', ['adr']),
  ...nativeTwins('flag-data', 'data then its flag', 'flag persisted before the data (missing-flush)'),
  ...nativeTwins('fence-flag', 'data flushed with clwb then a flag', 'no sfence before the flag (missing-fence)'),
  ...nativeTwins('torn16', 'a 16-byte record', 'overwritten in place by one SSE store (torn-write)'),
  ...nativeTwins('nt-publish', 'non-temporal data then a flag', 'no sfence after the movnti stores (missing-fence)'),
];

export const allScenarios: AnyScenarioEntry[] = [...builtInScenarios, ...nativeScenarios];

export function findBuiltIn(name: string): ScenarioEntry | undefined {
  return builtInScenarios.find((s) => s.name === name);
}

export function findScenario(name: string): AnyScenarioEntry | undefined {
  return allScenarios.find((s) => s.name === name);
}
