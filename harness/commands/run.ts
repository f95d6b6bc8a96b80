// `pmfit run <scenario...>`: crash-test built-in scenarios and print the collated result.
import type { Argv } from 'yargs';
import type { ModelName, OracleName, StrategyName } from '../../core/api.js';
import { REPORTERS, writeReports, type ReportRequest } from '../../reports/index.js';
import { textReporter } from '../../reports/text-report.js';
import { allScenarios, findScenario, type AnyScenarioEntry } from '../../scenarios/index.js';
import { EXIT, UsageError, requireParentDir } from '../errors.js';
import { createLogger } from '../log.js';
import { DEFAULT_JOBS, runScenarios } from '../run-scenarios.js';
import { DEFAULT_MAX_STATES, DEFAULT_SAMPLES } from '../engine.js';
import { ADR_STRATEGIES } from '../strategies.js';

export interface CommonCheckOptions {
  model?: string[];
  strategy?: string;
  samples: number;
  'max-states': number;
  'fail-on'?: string;
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
    .option('model', { type: 'string', array: true, choices: ['eadr', 'adr'], describe: 'persistency model(s) (default: the scenario\'s, else adr)' })
    .option('strategy', { type: 'string', choices: ADR_STRATEGIES, describe: 'which adr crash images to check (default extremes)' })
    .option('samples', { type: 'number', default: DEFAULT_SAMPLES, describe: 'images per crash point for --strategy random' })
    .option('max-states', { type: 'number', default: DEFAULT_MAX_STATES, describe: 'per-point limit of --strategy exhaustive before it samples' })
    .option('fail-on', { type: 'string', choices: ['perf'], describe: 'also exit 1 on performance findings' })
    .option('oracle', { type: 'string', choices: ['exit', 'atomic', 'collate'], describe: 'override the scenario\'s oracle' })
    .option('jobs', { alias: 'j', type: 'number', default: DEFAULT_JOBS, describe: 'checks run in parallel' })
    .option('seed', { type: 'string', default: '0', describe: 'seed of every random choice' })
    .option('timeout', { type: 'number', default: 10_000, describe: 'per-check timeout in ms' })
    .option('report', { type: 'string', array: true, default: [] as string[], describe: 'write a report: KIND=PATH (json, text, junit, sarif, html; PATH - is stdout)' })
    .option('log-level', { type: 'string', default: 'warn', choices: ['trace', 'debug', 'info', 'warn', 'error', 'silent'] })
    .option('quiet', { alias: 'q', type: 'boolean', default: false, describe: 'no text report on stdout' });
}

export function parseReportRequests(values: readonly string[]): ReportRequest[] {
  return values.map((value) => {
    const match = /^([a-z]+)=(.+)$/.exec(value);
    if (!match) throw new UsageError(`--report expects KIND=PATH, got '${value}'`);
    if (!REPORTERS[match[1]!]) throw new UsageError(`unknown report kind '${match[1]}' (known: ${Object.keys(REPORTERS).join(', ')})`);
    if (match[2] !== '-') requireParentDir(match[2]!, '--report');
    return { kind: match[1]!, path: match[2]! };
  });
}

export function checkCounts(argv: CommonCheckOptions): void {
  checkJobs(argv.jobs, argv.timeout);
  for (const [flag, value] of [['--samples', argv.samples], ['--max-states', argv['max-states']]] as const) {
    if (!Number.isInteger(value) || value < 1) throw new UsageError(`${flag} must be a positive integer, got ${value}`);
  }
}

export function checkJobs(jobs: number, timeout: number): void {
  if (!Number.isInteger(jobs) || jobs < 1) throw new UsageError(`--jobs must be a positive integer, got ${jobs}`);
  if (!Number.isFinite(timeout) || timeout <= 0) throw new UsageError(`--timeout must be a positive number of milliseconds, got ${timeout}`);
}

function resolveScenarios(names: readonly string[]): AnyScenarioEntry[] {
  if (names.length === 1 && names[0] === 'all') return allScenarios;
  return names.map((name) => {
    const entry = findScenario(name);
    if (!entry) throw new UsageError(`unknown scenario '${name}' (run 'pmfit list' to see the built-in ones)`);
    return entry;
  });
}

export async function runCommand(argv: CommonCheckOptions & { scenario: string[] }): Promise<number> {
  checkCounts(argv);
  const requests = parseReportRequests(argv.report);
  const entries = resolveScenarios(argv.scenario);
  const log = createLogger(argv['log-level']);
  log.info({ seed: argv.seed }, 'seed');
  const report = await runScenarios(entries, {
    ...(argv.model ? { models: argv.model as ModelName[] } : {}),
    ...(argv.strategy ? { strategy: argv.strategy as StrategyName } : {}),
    ...(argv.oracle ? { oracle: argv.oracle as OracleName } : {}),
    samples: argv.samples,
    maxStates: argv['max-states'],
    jobs: argv.jobs,
    seed: argv.seed,
    timeoutMs: argv.timeout,
    log,
  });
  if (!argv.quiet) process.stdout.write(textReporter.render(report));
  for (const failure of writeReports(report, requests)) log.error(failure);
  const perf = report.results.reduce((n, r) => n + r.perfFindings.length, 0);
  return report.summary.findings > 0 || (argv['fail-on'] === 'perf' && perf > 0) ? EXIT.finding : EXIT.clean;
}
