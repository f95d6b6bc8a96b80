// Every option of the command line, its default and its bounds in one place, and the one settings
// object a crash-checking run passes on from the CLI to the engine. This module stays light (no
// engine, no TypeScript compiler, no koffi): `pmfit --version` and `pmfit list` load only it and
// yargs; a command's own module is imported when that command runs.
import { constants as bufferConstants } from 'node:buffer';
import { availableParallelism, totalmem } from 'node:os';
import type { Argv } from 'yargs';
import { UsageError } from '../../core/support/errors.js';
import type { Logger } from '../../core/support/log.js';
import type { Shard } from '../engine/engine.js';
import { DEFAULT_LINT_MODE, LINT_MODES, type LintMode } from '../judge/lints.js';
import {
  ADR_STRATEGY_NAMES,
  MODEL_NAMES,
  ORACLE_NAMES,
  type ModelName,
  type OracleName,
  type StrategyName,
} from '../../core/support/names.js';

const CORES = availableParallelism();

/** The defaults of every run, applied here and nowhere else on the CLI's path. */
export const DEFAULTS = {
  jobs: CORES,
  timeoutMs: 10_000,
  /** The time limit of the traced run (--trace-timeout): past it the program and all it started are killed. */
  traceTimeoutMs: 600_000,
  /** The time limit of an --init command (icount has no checks, so --timeout is that). */
  initTimeoutMs: 60_000,
  samples: 16,
  maxStates: 4096,
  seed: '0',
  adrStrategy: ADR_STRATEGY_NAMES[0],
  lint: DEFAULT_LINT_MODE,
  /** How often a run whose stderr is not a terminal logs its progress (PMFIT_PROGRESS_INTERVAL_MS). */
  progressIntervalMs: 10_000,
} as const;

/** The progress interval: PMFIT_PROGRESS_INTERVAL_MS (whole milliseconds from 1) or the default. */
export function progressIntervalMs(env: NodeJS.ProcessEnv = process.env): number {
  const text = env.PMFIT_PROGRESS_INTERVAL_MS;
  if (text === undefined || text === '') return DEFAULTS.progressIntervalMs;
  const ms = Number(text);
  if (!/^[0-9]+$/.test(text) || ms < 1 || ms > MAX_TIMEOUT_MS)
    throw new UsageError(
      `PMFIT_PROGRESS_INTERVAL_MS must be a whole number of ms from 1 to ${MAX_TIMEOUT_MS}, got '${text}'`,
    );
  return ms;
}

/** More checks in flight than this only adds memory (one image each) and contention: 4× the cores. */
export const MAX_JOBS = 4 * CORES;
/** setTimeout's limit: a larger delay silently becomes 1 ms. */
export const MAX_TIMEOUT_MS = 2 ** 31 - 1;
/** A pool lives in one Buffer and several copies exist at once: the smaller of Node's limit and the memory. */
export const MAX_POOL_BYTES = Math.min(bufferConstants.MAX_LENGTH, totalmem());

interface NumberRule {
  min: number;
  max: number;
  why: string;
}

/** The bounds of every numeric option, whichever command takes it. */
const NUMBER_RULES: Record<string, NumberRule> = {
  jobs: { min: 1, max: MAX_JOBS, why: `4× this machine's ${CORES} cores` },
  timeout: { min: 1, max: MAX_TIMEOUT_MS, why: 'the longest timer Node can set' },
  'trace-timeout': { min: 1, max: MAX_TIMEOUT_MS, why: 'the longest timer Node can set' },
  samples: { min: 1, max: 1_000_000, why: 'a million images per crash point' },
  'max-states': { min: 1, max: MAX_TIMEOUT_MS, why: '2^31-1' },
  size: { min: 1, max: MAX_POOL_BYTES, why: "the smaller of this machine's memory and Node's buffer limit" },
  runs: { min: 1, max: 1000, why: 'a thousand traced runs of the program' },
};

/** Options that legitimately take several values; any other one given twice is refused. */
const MANY_VALUED = new Set(['_', '$0', '--', 'model', 'report', 'scenario', 'files', 'user-code', 'pool']);

/**
 * Refuses an option given twice (`--pool a --pool b` would otherwise become an array and the last
 * one win in some places, the first in others) and a number out of its bounds. Runs as yargs
 * middleware, before any command module is loaded.
 */
export function checkArgv(argv: Record<string, unknown>): void {
  for (const [name, value] of Object.entries(argv)) {
    if (MANY_VALUED.has(name) || name.length === 1 || /[A-Z]/.test(name)) continue;
    if (Array.isArray(value))
      throw new UsageError(`--${name} given ${value.length} times (${value.join(', ')}): give it once`);
  }
  for (const [name, rule] of Object.entries(NUMBER_RULES)) {
    const value = argv[name];
    if (value === undefined) continue;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < rule.min)
      throw new UsageError(`--${name} must be a whole number from ${rule.min}, got ${String(value)}`);
    if (value > rule.max)
      throw new UsageError(`--${name} ${value} is above ${rule.max} (${rule.why}): give at most ${rule.max}`);
  }
}

// ---------------------------------------------------------------- option sets

export function withCheckOptions<T>(y: Argv<T>) {
  return y
    .option('model', {
      type: 'string',
      array: true,
      choices: MODEL_NAMES,
      describe: "persistency model(s) (default: the scenario's, else adr)",
    })
    .option('strategy', {
      type: 'string',
      choices: ADR_STRATEGY_NAMES,
      describe: `which adr crash images to check (default ${DEFAULTS.adrStrategy})`,
    })
    .option('samples', {
      type: 'number',
      default: DEFAULTS.samples,
      describe: 'images per crash point for --strategy random',
    })
    .option('max-states', {
      type: 'number',
      default: DEFAULTS.maxStates,
      describe: 'per-point limit of --strategy exhaustive before it samples',
    })
    .option('points', {
      type: 'string',
      default: 'all',
      describe:
        'which crash points to check: all, or unique[:K] (only after events whose place was seen at most K times, default 1)',
    })
    .option('fail-on', failOnOption())
    .option('lint', lintOption())
    .option('shard', {
      type: 'string',
      describe: 'check only share K of N of the crash points (K/N); combine with pmfit merge',
    })
    .option('save-failures', {
      type: 'string',
      describe: 'write each finding as a self-describing file in this directory (pmfit replay FILE)',
    })
    .option('oracle', { type: 'string', choices: ORACLE_NAMES, describe: "override the scenario's oracle" })
    .option('jobs', jobsOption())
    .option('seed', { type: 'string', default: DEFAULTS.seed, describe: 'seed of every random choice' })
    .option('timeout', timeoutOption())
    .option('report', {
      type: 'string',
      array: true,
      default: [] as string[],
      describe: 'write a report: KIND=PATH (json, text, junit, sarif, html; PATH - is stdout)',
    })
    .option('log-level', {
      type: 'string',
      default: 'info',
      choices: ['trace', 'debug', 'info', 'warn', 'error', 'silent'],
    })
    .option('quiet', {
      alias: 'q',
      type: 'boolean',
      default: false,
      describe: 'no text report on stdout; the one-line verdict on stderr',
    });
}

/** `--fail-on perf`: exit 1 on the performance findings a result shows (--lint chooses them). */
export function failOnOption() {
  return { type: 'string', choices: ['perf'], describe: 'also exit 1 on performance findings shown' } as const;
}

/** Which performance findings (lints) a result shows: run, check and merge take it. */
export function lintOption() {
  return {
    type: 'string',
    choices: LINT_MODES,
    default: DEFAULTS.lint,
    describe: "performance findings shown: the user's code only, or also the loader's and libraries' (all)",
  } as const;
}

export function jobsOption() {
  return {
    alias: 'j',
    type: 'number',
    default: DEFAULTS.jobs,
    describe: `checks run in parallel (at most ${MAX_JOBS})`,
  } as const;
}

export function timeoutOption(describe = 'per-check timeout in ms') {
  return { type: 'number', default: DEFAULTS.timeoutMs, describe } as const;
}

/** --user-code: which objects' code is the user's, for the site of each native event (repeatable). */
export function withUserCodeOption<T>(y: Argv<T>) {
  return y.option('user-code', {
    type: 'string',
    array: true,
    describe:
      "GLOB (fnmatch, on each object's real path) of the user's code, repeatable; replaces the default (the program and every library outside /usr, /lib*, /bin, /sbin, /opt, /etc)",
  });
}

/** How yargs reads the command line; the words after -- are the program's, as given: not numbers (`-- prog 0x10` passes "0x10"). */
export const PARSER_CONFIGURATION = { 'populate--': true, 'parse-positional-numbers': false } as const;

/**
 * What every pmfit command line is parsed with, before its command: the parser configuration,
 * strict options, and checkArgv (an option given twice, a number out of bounds). main.ts and the
 * test that holds icount's yargs-free parser equal to yargs both start from it.
 */
export function withPmfitParsing<T>(y: Argv<T>): Argv<T> {
  return y
    .parserConfiguration(PARSER_CONFIGURATION)
    .strict()
    .check((argv) => {
      checkArgv(argv as Record<string, unknown>);
      return true;
    }, true);
}

export function icountBuilder<T>(y: Argv<T>) {
  return withNativeOptions(y)
    .option('json', { type: 'boolean', default: false, describe: 'print one JSON object' })
    .option('timeout', { ...timeoutOption('time limit of --init in ms'), default: DEFAULTS.initTimeoutMs });
}

/** Options shared by the commands that run a native program: check, allcounts, icount. */
export function withNativeOptions<T>(y: Argv<T>) {
  return withUserCodeOption(y)
    .option('pool', {
      type: 'string',
      array: true,
      demandOption: true,
      describe:
        'the pool file, or NAME=FILE, repeatable: several pools, {NAME} stands for each (a poolset .set file follows its parts); pmfit works on private copies, the files are never modified',
    })
    .option('size', { type: 'number', describe: 'start from a zeroed pool of BYTES when --pool does not exist' })
    .option('init', {
      type: 'string',
      describe: 'untraced set-up command run on the copies first; {pool} (or {NAME}) stands for each',
    })
    .option('from', { type: 'string', describe: 'trace from each entry of this function of the program' })
    .option('to', { type: 'string', describe: '... to the entry of this function (default: until --from returns)' })
    .option('ops-between', {
      type: 'string',
      describe:
        "each call of this function of the program is one operation of the 'ops' oracle (a user marker at its entry)",
    })
    .option('trace-timeout', {
      type: 'number',
      default: DEFAULTS.traceTimeoutMs,
      describe: 'time limit of the traced run in ms; past it the program and all it started are killed (exit 2)',
    });
}

/** The --check of check and allcounts, and the flag that allows one that does not name {pool}. */
export function withCheckCommand<T>(y: Argv<T>) {
  return y
    .option('check', {
      type: 'string',
      demandOption: true,
      describe: 'recovery + check command run on every crash image; {pool} stands for the image',
    })
    .option('check-reads-env', {
      type: 'boolean',
      default: false,
      describe: 'the check finds the image in $PMFIT_POOL, not through {pool}',
    });
}

export function checkBuilder<T>(y: Argv<T>) {
  return withCheckCommand(withNativeOptions(withCheckOptions(y)))
    .option('replay', {
      type: 'string',
      describe: 'rebuild the crash image with this replay id and re-run the check on it',
    })
    .option('out', { type: 'string', describe: 'with --replay: write the image to this new file' })
    .option('any-trace', {
      type: 'boolean',
      describe: "with --replay: replay even when the id's trace digest differs from the program's trace",
    })
    .option('save-trace', { type: 'string', describe: 'keep the trace in this new file (see pmfit trace dump)' })
    .option('runs', {
      type: 'number',
      describe:
        'trace the program this many times and check each distinct trace (a threaded program may interleave differently each run)',
    })
    .option('forks', {
      type: 'string',
      choices: ['trace', 'ignore'],
      default: 'trace',
      describe:
        'a child process the program forks: traced into its own trace and checked as its own result, or ignored (a note says so)',
    });
}

export function allcountsBuilder<T>(y: Argv<T>) {
  return withCheckCommand(withNativeOptions(y))
    .option('jobs', jobsOption())
    .option('dry-run', { alias: 'n', type: 'boolean', default: false, describe: 'print what would run, run nothing' })
    .option('verbose', {
      alias: 'v',
      type: 'boolean',
      default: false,
      describe: 'also list every crash point with the event before it',
    })
    .option('timeout', timeoutOption());
}

// ---------------------------------------------------------------- the settings object

/** The options of `run` and `check` as yargs hands them over. */
export interface CheckArgv {
  model?: string[];
  strategy?: string;
  samples: number;
  'max-states': number;
  points?: string;
  'fail-on'?: string;
  lint?: string;
  shard?: string;
  'save-failures'?: string;
  oracle?: string;
  jobs: number;
  seed: string;
  timeout: number;
  report: string[];
  'log-level': string;
  quiet: boolean;
}

/**
 * What every crash-checking run (TS scenarios, native programs) takes from the command line. The
 * strategy settings may be left out by programmatic callers (tests, benchmarks): `modelSettings`
 * fills them from DEFAULTS, the one place they are applied.
 */
export interface CheckSettings {
  /** Set only when the user chose: each scenario's own models otherwise. */
  models?: ModelName[];
  /** Set only when the user chose: each scenario's own oracle otherwise. */
  oracle?: OracleName;
  /** The adr strategy; eadr has exactly one image per crash point whatever this says. */
  strategy?: StrategyName;
  samples?: number;
  maxStates?: number;
  seed?: string;
  jobs: number;
  timeoutMs: number;
  /** Write each finding as a saved failure file into this directory. */
  saveFailures?: string;
  log?: Logger;
  shard?: Shard;
  signal?: AbortSignal;
  /** `--points unique[:K]`: check only the crash points after events from places seen at most K times. */
  points?: PointsChoice;
  /** Which lints each result shows (default DEFAULTS.lint: the user's code only). */
  lint?: LintMode;
}

/** Which crash points a run checks (EngineInput.points). */
export type PointsChoice = { mode: 'all' } | { mode: 'unique'; limit: number };

/** `all`, `unique` or `unique:K` (K ≥ 1) as a PointsChoice; anything else is a usage error. */
export function parsePoints(text: string | undefined): PointsChoice {
  if (text === undefined || text === 'all') return { mode: 'all' };
  const match = /^unique(?::([1-9][0-9]{0,8}))?$/.exec(text);
  if (!match) throw new UsageError(`--points '${text}' is not all, unique or unique:K (K a whole number from 1)`);
  return { mode: 'unique', limit: match[1] === undefined ? 1 : Number(match[1]) };
}

export function checkSettings(
  argv: CheckArgv,
  log: Logger,
  controls: { signal?: AbortSignal; shard?: Shard } = {},
): CheckSettings {
  // which points a shard skips would depend on the points it never sees: not mergeable
  if (controls.shard && argv.points !== undefined && argv.points !== 'all')
    throw new UsageError('--points unique checks a different set of points in each shard: use it without --shard');
  return {
    ...(argv.model ? { models: argv.model as ModelName[] } : {}),
    ...(argv.oracle ? { oracle: argv.oracle as OracleName } : {}),
    ...(argv.strategy ? { strategy: argv.strategy as StrategyName } : {}),
    samples: argv.samples,
    maxStates: argv['max-states'],
    seed: argv.seed,
    jobs: argv.jobs,
    timeoutMs: argv.timeout,
    ...(argv['save-failures'] ? { saveFailures: argv['save-failures'] } : {}),
    ...(argv.points !== undefined && argv.points !== 'all' ? { points: parsePoints(argv.points) } : {}),
    lint: (argv.lint ?? DEFAULTS.lint) as LintMode,
    log,
    ...(controls.signal ? { signal: controls.signal } : {}),
    ...(controls.shard ? { shard: controls.shard } : {}),
  };
}

/** The engine's share of the settings for one model, every default applied (here, once). */
export function modelSettings(settings: CheckSettings, model: ModelName) {
  return {
    model,
    strategy: model === 'adr' ? (settings.strategy ?? DEFAULTS.adrStrategy) : ('eadr' as StrategyName),
    samples: settings.samples ?? DEFAULTS.samples,
    maxStates: settings.maxStates ?? DEFAULTS.maxStates,
    seed: settings.seed ?? DEFAULTS.seed,
    inFlight: settings.jobs * 4,
    ...(settings.points ? { points: settings.points } : {}),
    ...(settings.shard ? { shard: settings.shard } : {}),
    ...(settings.signal ? { signal: settings.signal } : {}),
  };
}

/** The settings of a run that takes no strategy options (allcounts): modelSettings applies the defaults. */
export function defaultSettings(jobs: number, timeoutMs: number): CheckSettings {
  return { jobs, timeoutMs };
}
