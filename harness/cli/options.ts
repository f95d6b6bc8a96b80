// The settings every crash-checking run takes from the command line, whatever it checks
// (TS scenarios, native programs): one place to read them, one shape to pass them on.
import type { StrategyName } from '../../core/api.js';
import type { Shard } from '../engine/engine.js';
import type { Logger } from '../../core/support/log.js';

export interface CheckSettings {
  strategy?: StrategyName;
  samples?: number;
  maxStates?: number;
  /** Write each finding as a saved failure file into this directory. */
  saveFailures?: string;
  jobs: number;
  seed: string;
  timeoutMs: number;
  log?: Logger;
  shard?: Shard;
  signal?: AbortSignal;
}

/** The options of `run` and `check` that become CheckSettings. */
export interface CheckArgv {
  strategy?: string;
  samples: number;
  'max-states': number;
  'save-failures'?: string;
  jobs: number;
  seed: string;
  timeout: number;
}

export function checkSettings(
  argv: CheckArgv,
  log: Logger,
  controls: { signal: AbortSignal; shard?: Shard },
): CheckSettings {
  return {
    ...(argv.strategy ? { strategy: argv.strategy as StrategyName } : {}),
    samples: argv.samples,
    maxStates: argv['max-states'],
    ...(argv['save-failures'] ? { saveFailures: argv['save-failures'] } : {}),
    jobs: argv.jobs,
    seed: argv.seed,
    timeoutMs: argv.timeout,
    log,
    signal: controls.signal,
    ...(controls.shard ? { shard: controls.shard } : {}),
  };
}
