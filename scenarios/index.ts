// The built-in scenarios, by name. Each entry names a module and the export holding a TsScenario;
// check workers load the same module by its URL, so a scenario is code, not data passed between threads.
import { join } from 'node:path';
import { buildDir } from '../core/support/paths.js';
import type { ModelName, OracleName } from '../core/api.js';

/** A TS scenario: a module and the export holding its TsScenario. */
export interface ScenarioEntry {
  kind?: 'ts';
  name: string;
  module: string;
  exportName: string;
  /** Set for a user's scenario file: the path as given on the command line (errors and replay commands name it). */
  file?: string;
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

/**
 * A native scenario from a user's scenario file (`{ kind: 'native', ... }`, scenarios/load/file.ts):
 * any program with its own init and check commands. Paths are already resolved against the file.
 */
export interface NativeFileScenarioEntry {
  kind: 'native-file';
  name: string;
  description: string;
  /** The scenario file as given on the command line (errors and replay commands name it). */
  file: string;
  /** An existing pool file to start from (read, never written); else `poolSize` zero bytes. */
  pool?: string;
  poolSize?: number;
  /** Untraced set-up command; `{pool}` stands for pmfit's working copy. */
  init?: string;
  program: string;
  args: string[];
  /** Recovery + check command run on every crash image; `{pool}` stands for it. */
  check: string;
  oracle: OracleName;
  models: ModelName[];
  from?: string;
  to?: string;
}

export type AnyScenarioEntry = ScenarioEntry | NativeScenarioEntry;

/** What `pmfit run` and `pmfit replay` take: a built-in, or a scenario loaded from a user's file. */
export type RunnableScenarioEntry = AnyScenarioEntry | NativeFileScenarioEntry;

const entry = (name: string, file: string, exportName = 'default'): ScenarioEntry => ({
  name,
  module: new URL(`./${file}.js`, import.meta.url).href,
  exportName,
});

/** Each x86 twin module exports `correct` and `buggy`. */
const twins = (name: string): ScenarioEntry[] => [entry(name, name, 'correct'), entry(`${name}-buggy`, name, 'buggy')];

export const builtInScenarios: ScenarioEntry[] = [
  entry('basic', 'basic'),
  ...twins('list-append'),
  ...twins('flag-data'),
  ...twins('fence-flag'),
  ...twins('torn16'),
  ...twins('nt-publish'),
];

const NATIVE_BUILD = `${join(buildDir(), 'scenarios')}/`;

const native = (
  prog: string,
  description: string,
  poolSize: number,
  oracle: OracleName,
  models: ModelName[],
  runArgs: string[] = [],
): NativeScenarioEntry => ({
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
  native('trivial', "mmap + msync of a string (the seed's trivial)", 4096, 'collate', ['eadr', 'adr']),
  native('basic', "strings stored with no atomicity (the seed's basic): partial strings", 4096, 'collate', ['eadr']),
  native('binarytree', 'word-count tree on a crash-safe allocator: inserts all-or-nothing, no leak', 65536, 'exit', [
    'eadr',
    'adr',
  ]),
  native('binarytree-buggy', 'the tree linking a node before its contents are persisted (buggy)', 65536, 'exit', [
    'eadr',
    'adr',
  ]),
  native('pmemobj-tx', 'a libpmemobj transaction keeping a + b constant', 8 << 20, 'exit', ['adr']),
  native('pmemobj-tx-buggy', 'the transaction changing b without adding it to the undo log (buggy)', 8 << 20, 'exit', [
    'adr',
  ]),
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
