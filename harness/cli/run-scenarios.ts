// The scenario runner: records each TS scenario once, then runs the engine for each model.
import { DEFAULT_POOL_NAME } from '../../core/pool-layout.js';
import type { Report, ScenarioResult, TsScenario } from '../../core/api.js';
import { Pool } from '../../core/pool.js';
import { UsageError } from '../../core/support/errors.js';
import { describeValue } from '../../scenarios/load/validate.js';
import { buildReport } from '../../reports/json-report.js';
import type {
  NativeFileScenarioEntry,
  NativeScenarioEntry,
  RunnableScenarioEntry,
  ScenarioEntry,
} from '../../scenarios/index.js';
import { checkNative } from './native-runner.js';
import type { NativeTarget } from '../../icount/target.js';
import { REPLAY_ID_SLOT, replayCommandFor } from '../engine/replay-id.js';
import { shellQuote } from '../../core/support/shell-quote.js';
import { basename, join, resolve } from 'node:path';
import { runEngineWithLog } from '../judge/judge-run.js';
import { saveFailures } from '../judge/saved-failures.js';
import { withLints } from '../judge/lints.js';
import type { ProgressLine } from './progress.js';
import { type CheckSettings, DEFAULTS, modelSettings } from './options.js';
import { makeTempDir, removeTempDir } from '../../core/support/temp-dir.js';
import { TsCheckPool } from '../check/ts-pool.js';
import { loadScenario, recordScenario } from '../../icount/ts-record.js';

export interface RunOptions extends CheckSettings {
  progress?: ProgressLine;
  /** --user-code: the globs of the user's code for the native scenarios' traced runs. */
  userCode?: string[];
}

/** The progress callback of one scenario run, when there is a progress line. */
function onProgress(options: RunOptions, label: string) {
  return options.progress ? { onProgress: options.progress.update(label) } : {};
}

export async function runScenarios(entries: readonly RunnableScenarioEntry[], options: RunOptions): Promise<Report> {
  const started = Date.now();
  const results: ScenarioResult[] = [];
  for (const entry of entries)
    results.push(
      ...(entry.kind === 'native' || entry.kind === 'native-file'
        ? await runNativeScenario(entry, options)
        : await runOne(entry, options)),
    );
  return buildReport(results, Date.now() - started);
}

/** A built-in C scenario or a native spec from a user's scenario file. */
export type NativeEntry = NativeScenarioEntry | NativeFileScenarioEntry;

/**
 * The native target of a native scenario: a built-in starts from a fresh pool formatted by `PROG init`;
 * a file's spec from its `pool` (copied, never written) or `poolSize` zero bytes, then its own `init`.
 */
export function nativeScenarioTarget(entry: NativeEntry, dir: string, userCode?: string[]): NativeTarget {
  const fresh = join(dir, 'new.pool');
  const user = userCode?.length ? { userCode } : {};
  if (entry.kind === 'native')
    return {
      pools: [{ name: DEFAULT_POOL_NAME, path: fresh }],
      size: entry.poolSize,
      init: `${shellQuote(entry.program)} init {pool}`,
      program: entry.program,
      args: ['run', '{pool}', ...entry.runArgs],
      ...user,
    };
  return {
    ...user,
    pools: [{ name: DEFAULT_POOL_NAME, path: entry.pool ?? fresh }],
    ...(entry.poolSize ? { size: entry.poolSize } : {}),
    ...(entry.init ? { init: entry.init } : {}),
    program: entry.program,
    args: entry.args,
    ...(entry.from ? { from: entry.from } : {}),
    ...(entry.to ? { to: entry.to } : {}),
  };
}

/** The check command of a native scenario; `{pool}` stands for the crash image. */
export function nativeScenarioCheck(entry: NativeEntry): string {
  return entry.kind === 'native' ? `${shellQuote(entry.program)} check {pool}` : entry.check;
}

/** The replay command of a scenario's findings: `--scenario` names the built-in, or the file as given. */
function scenarioReplayCommand(entry: RunnableScenarioEntry): (id: string) => string {
  const name = 'file' in entry && entry.file !== undefined ? entry.file : entry.name;
  return replayCommandFor(['pmfit', 'replay', REPLAY_ID_SLOT, '--scenario', name]);
}

async function runNativeScenario(entry: NativeEntry, options: RunOptions): Promise<ScenarioResult[]> {
  const dir = makeTempDir();
  try {
    const { results } = await checkNative(nativeScenarioTarget(entry, dir, options.userCode), {
      ...options,
      name: entry.name,
      check: nativeScenarioCheck(entry),
      oracle: options.oracle ?? entry.oracle,
      models: options.models ?? entry.models,
      replayCommand: scenarioReplayCommand(entry),
      ...onProgress(options, entry.name),
    });
    return results;
  } finally {
    removeTempDir(dir);
  }
}

async function runOne(entry: ScenarioEntry, options: RunOptions): Promise<ScenarioResult[]> {
  const scenario = await loadScenario(entry);
  const dir = makeTempDir();
  const checker = new TsCheckPool({
    scenarioModule: entry.module,
    exportName: entry.exportName,
    jobs: options.jobs,
    timeoutMs: options.timeoutMs,
  });
  try {
    const recorded = recordOrRefuse(scenario, entry, dir);
    probeCheck(scenario, entry, recorded.initial);
    options.log?.debug({ scenario: scenario.name, events: recorded.trace.events.length }, 'recorded the snippet');
    const results: ScenarioResult[] = [];
    for (const model of options.models ?? scenario.models ?? ['adr']) {
      const { result, log } = await runEngineWithLog({
        scenario: scenario.name,
        trace: recorded.trace,
        initial: recorded.initial,
        ...modelSettings(options, model),
        oracle: options.oracle ?? scenario.oracle,
        checker,
        replayCommand: scenarioReplayCommand(entry),
        ...onProgress(options, `${scenario.name} (${model})`),
      });
      results.push(withLints(result, options.lint ?? DEFAULTS.lint));
      if (options.saveFailures && result.findings.length > 0) {
        saveFailures(result.findings, {
          dir: options.saveFailures,
          trace: recorded.trace,
          initial: recorded.initial,
          log,
          check: {
            kind: 'ts',
            scenario: scenario.name,
            module: entry.module,
            exportName: entry.exportName,
            ...(entry.file ? { file: resolve(entry.file) } : {}),
          },
        });
      }
    }
    return results;
  } finally {
    await checker.close();
    removeTempDir(dir);
  }
}

function where(entry: ScenarioEntry): string {
  return entry.file ?? `scenario ${entry.name}`;
}

/** The user's setup or run throwing is bad input (exit 2), named with the line it threw at. */
function recordOrRefuse(scenario: TsScenario, entry: ScenarioEntry, dir: string) {
  try {
    return recordScenario(scenario, dir);
  } catch (err) {
    const e = err as Error;
    const at = String(e?.stack ?? '')
      .split('\n')
      .find((line) => /^\s+at /.test(line) && (!entry.file || line.includes(basename(entry.file))));
    throw new UsageError(
      `${where(entry)}: setup() or run() threw while recording: ${String(e?.message ?? e).split('\n')[0]}${at ? ` (${at.trim()})` : ''}`,
    );
  }
}

/**
 * A check must return its output (a string) or { output, passed }: one that returns anything else
 * (undefined: a forgotten return) would make every image look the same. Tried once on the initial
 * image before the run; a check that throws there is left to the run, where it is a finding.
 */
function probeCheck(scenario: TsScenario, entry: ScenarioEntry, initial: Buffer): void {
  let result: unknown;
  const pool = Pool.inMemory(Buffer.from(initial));
  try {
    result = scenario.check(pool);
  } catch {
    return;
  } finally {
    pool.close();
  }
  const outcome = result as { output?: unknown; passed?: unknown } | undefined;
  const ok =
    typeof result === 'string' ||
    (typeof outcome === 'object' &&
      outcome !== null &&
      typeof outcome.output === 'string' &&
      typeof outcome.passed === 'boolean');
  if (!ok)
    throw new UsageError(
      `${where(entry)}: check() returned ${describeValue(result)}: return the output (a string) or { output, passed }`,
    );
}
