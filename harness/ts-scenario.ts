// Loading and recording a TypeScript scenario: the snippet runs once on a private pool file,
// through a recording Pool, and leaves a trace plus the pool's initial image.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ModelName, OracleName, Trace, TsScenario } from '../core/api.js';
import { Pool } from '../core/pool.js';
import { TraceRecorder } from '../core/trace-recorder.js';
import { TRACE_FORMAT_VERSION } from '../core/trace-format.js';
import type { ScenarioEntry } from '../scenarios/index.js';
import { UsageError } from './errors.js';
import { LINE_BYTES } from './model/units.js';

const ORACLES: readonly OracleName[] = ['exit', 'atomic', 'ops', 'collate'];
const MODELS: readonly ModelName[] = ['eadr', 'adr'];

export interface RecordedScenario {
  scenario: TsScenario;
  trace: Trace;
  initial: Buffer;
}

/** Imports a scenario module and checks that its export is a usable scenario. */
export async function loadScenario(entry: ScenarioEntry): Promise<TsScenario> {
  let mod: Record<string, unknown>;
  try {
    mod = await import(entry.module);
  } catch (err) {
    throw new UsageError(`cannot load scenario ${entry.name} from ${entry.module}: ${(err as Error).message.split('\n')[0]}`);
  }
  return validateScenario(mod[entry.exportName], entry);
}

/** Checks a scenario object field by field; errors name where it came from (a file, or a built-in's module). */
export function validateScenario(value: unknown, entry: ScenarioEntry): TsScenario {
  const where = entry.file ?? `scenario ${entry.name} (${entry.module})`;
  if (typeof value !== 'object' || value === null) throw new UsageError(`${where}: export '${entry.exportName}' must be a scenario object, got ${describeValue(value)}`);
  const s = value as Partial<TsScenario>;
  const field = (name: keyof TsScenario, ok: boolean, expected: string) => {
    if (ok) return;
    const got = s[name];
    throw new UsageError(got === undefined ? `${where}: field '${name}' is missing: expected ${expected}` : `${where}: field '${name}' must be ${expected}, got ${describeValue(got)}`);
  };
  field('name', typeof s.name === 'string' && s.name !== '', 'a non-empty string');
  field('description', typeof s.description === 'string', 'a string');
  field('poolSize', Number.isInteger(s.poolSize) && s.poolSize! > 0 && s.poolSize! % LINE_BYTES === 0, `a positive multiple of ${LINE_BYTES}`);
  field('oracle', ORACLES.includes(s.oracle as OracleName), `one of ${ORACLES.join(', ')}`);
  field('models', s.models === undefined || (Array.isArray(s.models) && s.models.length > 0 && s.models.every((m) => MODELS.includes(m))), `a list of models among ${MODELS.join(', ')}`);
  field('setup', s.setup === undefined || typeof s.setup === 'function', 'a function');
  field('run', typeof s.run === 'function', 'a function');
  field('check', typeof s.check === 'function', 'a function');
  return s as TsScenario;
}

/** A value as an error message shows it: short, on one line. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'bigint') return `${value}n`;
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** Runs set-up untraced and the snippet traced, on a fresh pool file in `dir`. */
export function recordScenario(scenario: TsScenario, dir: string): RecordedScenario {
  const path = join(dir, `${scenario.name}.pool`);
  const setupPool = Pool.create(path, scenario.poolSize);
  try {
    scenario.setup?.(setupPool);
  } finally {
    setupPool.close();
  }
  const initial = readFileSync(path);
  const recorder = new TraceRecorder();
  const pool = Pool.open(path, { recorder });
  try {
    scenario.run(pool);
  } finally {
    pool.close();
  }
  return {
    scenario,
    initial,
    trace: {
      header: { formatVersion: TRACE_FORMAT_VERSION, source: 'ts', program: [scenario.name], pools: [{ id: 0, path, size: scenario.poolSize }] },
      mappings: [],
      events: recorder.events,
    },
  };
}
