// `pmfit run <scenario...>`: crash-test built-in scenarios and print the collated result.
import type { Argv } from 'yargs';
import type { ModelName, OracleName } from '../../../core/api.js';
import { REPORTERS, writeReports, type ReportRequest } from '../../../reports/index.js';
import { textReporter } from '../../../reports/text-report.js';
import { allScenarios, type RunnableScenarioEntry } from '../../../scenarios/index.js';
import { EXIT, UsageError, requireParentDir } from '../../../core/support/errors.js';
import { createLogger, type Logger } from '../../../core/support/log.js';
import type { Report } from '../../../core/api.js';
import type { Shard } from '../../engine/engine.js';
import { holdInterrupts } from '../../../core/support/interrupt.js';
import { checkSettings } from '../options.js';
import { progressLine, type ProgressLine } from '../progress.js';
import { DEFAULT_JOBS, runScenarios } from '../run-scenarios.js';
import { DEFAULT_MAX_STATES, DEFAULT_SAMPLES } from '../../engine/engine.js';
import { ADR_STRATEGIES } from '../../engine/strategies.js';
import { resolveScenario } from '../../../scenarios/load/file.js';

export interface CommonCheckOptions {
  model?: string[];
  strategy?: string;
  samples: number;
  'max-states': number;
  'fail-on'?: string;
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

export function withCheckOptions<T>(y: Argv<T>) {
  return y
    .option('model', {
      type: 'string',
      array: true,
      choices: ['eadr', 'adr'],
      describe: "persistency model(s) (default: the scenario's, else adr)",
    })
    .option('strategy', {
      type: 'string',
      choices: ADR_STRATEGIES,
      describe: 'which adr crash images to check (default extremes)',
    })
    .option('samples', {
      type: 'number',
      default: DEFAULT_SAMPLES,
      describe: 'images per crash point for --strategy random',
    })
    .option('max-states', {
      type: 'number',
      default: DEFAULT_MAX_STATES,
      describe: 'per-point limit of --strategy exhaustive before it samples',
    })
    .option('fail-on', { type: 'string', choices: ['perf'], describe: 'also exit 1 on performance findings' })
    .option('shard', {
      type: 'string',
      describe: 'check only share K of N of the crash points (K/N); combine with pmfit merge',
    })
    .option('save-failures', {
      type: 'string',
      describe: 'write each finding as a self-describing file in this directory (pmfit replay FILE)',
    })
    .option('oracle', {
      type: 'string',
      choices: ['exit', 'atomic', 'ops', 'collate'],
      describe: "override the scenario's oracle",
    })
    .option('jobs', { alias: 'j', type: 'number', default: DEFAULT_JOBS, describe: 'checks run in parallel' })
    .option('seed', { type: 'string', default: '0', describe: 'seed of every random choice' })
    .option('timeout', { type: 'number', default: 10_000, describe: 'per-check timeout in ms' })
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
    .option('quiet', { alias: 'q', type: 'boolean', default: false, describe: 'no text report on stdout' });
}

export function parseReportRequests(values: readonly string[]): ReportRequest[] {
  return values.map((value) => {
    const match = /^([a-z]+)=(.+)$/.exec(value);
    if (!match) throw new UsageError(`--report expects KIND=PATH, got '${value}'`);
    if (!REPORTERS[match[1]!])
      throw new UsageError(`unknown report kind '${match[1]}' (known: ${Object.keys(REPORTERS).join(', ')})`);
    if (match[2] !== '-') requireParentDir(match[2]!, '--report');
    return { kind: match[1]!, path: match[2]! };
  });
}

export function parseShard(value: string | undefined): Shard | undefined {
  if (value === undefined) return undefined;
  const match = /^(\d+)\/(\d+)$/.exec(value);
  const index = Number(match?.[1]);
  const count = Number(match?.[2]);
  if (!match || count < 1 || index < 1 || index > count)
    throw new UsageError(`--shard expects K/N with 1 <= K <= N, got '${value}'`);
  return { index, count };
}

/** Runs `work` with Ctrl-C handled gracefully and progress on a terminal; settles the exit status. */
export async function withRunControls(
  argv: CommonCheckOptions,
  work: (controls: { signal: AbortSignal; progress: ProgressLine; shard?: Shard }) => Promise<Report>,
  requests: ReportRequest[],
  log: Logger,
): Promise<number> {
  const hold = holdInterrupts();
  const progress = progressLine(!argv.quiet && process.stderr.isTTY === true);
  const shard = parseShard(argv.shard);
  let report: Report;
  try {
    report = await work({ signal: hold.signal, progress, ...(shard ? { shard } : {}) });
  } finally {
    progress.done();
    hold.release();
  }
  if (!argv.quiet) process.stdout.write(textReporter.render(report));
  for (const failure of writeReports(report, requests)) log.error(failure);
  if (report.incomplete) return EXIT.interrupted;
  const perf = report.results.reduce((n, r) => n + r.perfFindings.length, 0);
  return report.summary.findings > 0 || (argv['fail-on'] === 'perf' && perf > 0) ? EXIT.finding : EXIT.clean;
}

/** The seed, at the start of every run whose images depend on it (random, sampled exhaustive). */
export function logSeed(log: Logger, argv: CommonCheckOptions): void {
  if (argv.strategy === 'random' || argv.strategy === 'exhaustive')
    log.info({ seed: argv.seed, strategy: argv.strategy }, `seed ${argv.seed}`);
}

export function checkCounts(argv: CommonCheckOptions): void {
  parseShard(argv.shard);
  if (argv['save-failures']) requireParentDir(argv['save-failures'], '--save-failures');
  checkJobs(argv.jobs, argv.timeout);
  for (const [flag, value] of [
    ['--samples', argv.samples],
    ['--max-states', argv['max-states']],
  ] as const) {
    if (!Number.isInteger(value) || value < 1) throw new UsageError(`${flag} must be a positive integer, got ${value}`);
  }
}

export function checkJobs(jobs: number, timeout: number): void {
  if (!Number.isInteger(jobs) || jobs < 1) throw new UsageError(`--jobs must be a positive integer, got ${jobs}`);
  if (!Number.isFinite(timeout) || timeout <= 0)
    throw new UsageError(`--timeout must be a positive number of milliseconds, got ${timeout}`);
}

/** Built-in names, `all`, or scenario files (a path: a slash, or a .ts/.js/.mjs name; a built-in's name wins), loaded and validated. */
async function resolveScenarios(names: readonly string[]): Promise<RunnableScenarioEntry[]> {
  if (names.length === 1 && names[0] === 'all') return allScenarios;
  const entries: RunnableScenarioEntry[] = [];
  for (const name of names) {
    const entry = await resolveScenario(name);
    if (!entry)
      throw new UsageError(
        `unknown scenario '${name}' (run 'pmfit list' to see the built-in ones, or name a scenario file: ./NAME.ts)`,
      );
    entries.push(entry);
  }
  return entries;
}

export async function runCommand(argv: CommonCheckOptions & { scenario: string[] }): Promise<number> {
  checkCounts(argv);
  const requests = parseReportRequests(argv.report);
  const entries = await resolveScenarios(argv.scenario);
  const log = createLogger(argv['log-level']);
  logSeed(log, argv);
  return withRunControls(
    argv,
    (controls) =>
      runScenarios(entries, {
        ...checkSettings(argv, log, controls),
        progress: controls.progress,
        ...(argv.model ? { models: argv.model as ModelName[] } : {}),
        ...(argv.oracle ? { oracle: argv.oracle as OracleName } : {}),
      }),
    requests,
    log,
  );
}
