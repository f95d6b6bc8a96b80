// Loading and recording a TypeScript scenario: the snippet runs once on a private pool file,
// through a recording Pool, and leaves a trace plus the pool's initial image.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Trace, TsScenario } from '../core/api.js';
import { Pool } from '../core/pool.js';
import { TraceRecorder } from '../core/trace/recorder.js';
import { TRACE_FORMAT_VERSION } from '../core/trace/format.js';
import type { ScenarioEntry } from '../scenarios/index.js';
import { UsageError } from '../core/support/errors.js';
import { validateScenario } from '../scenarios/load/validate.js';

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
    throw new UsageError(
      `cannot load scenario ${entry.name} from ${entry.module}: ${(err as Error).message.split('\n')[0]}`,
    );
  }
  return validateScenario(mod[entry.exportName], entry);
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
      header: {
        formatVersion: TRACE_FORMAT_VERSION,
        source: 'ts',
        program: [scenario.name],
        pools: [{ id: 0, path, size: scenario.poolSize }],
      },
      mappings: [],
      events: recorder.events.seal(),
    },
  };
}
