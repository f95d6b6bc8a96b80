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

function validateScenario(value: unknown, entry: ScenarioEntry): TsScenario {
  const where = `scenario ${entry.name} (${entry.module})`;
  if (typeof value !== 'object' || value === null) throw new UsageError(`${where}: export '${entry.exportName}' is not a scenario object`);
  const s = value as Partial<TsScenario>;
  if (typeof s.name !== 'string' || s.name === '') throw new UsageError(`${where}: field 'name' must be a non-empty string`);
  if (!Number.isInteger(s.poolSize) || s.poolSize! <= 0 || s.poolSize! % LINE_BYTES !== 0) throw new UsageError(`${where}: field 'poolSize' must be a positive multiple of ${LINE_BYTES}`);
  if (!ORACLES.includes(s.oracle as OracleName)) throw new UsageError(`${where}: field 'oracle' must be one of ${ORACLES.join(', ')}`);
  if (s.models !== undefined && (!Array.isArray(s.models) || !s.models.every((m) => MODELS.includes(m)))) throw new UsageError(`${where}: field 'models' must list models among ${MODELS.join(', ')}`);
  for (const fn of ['run', 'check'] as const) if (typeof s[fn] !== 'function') throw new UsageError(`${where}: field '${fn}' must be a function`);
  if (s.setup !== undefined && typeof s.setup !== 'function') throw new UsageError(`${where}: field 'setup' must be a function`);
  return s as TsScenario;
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
