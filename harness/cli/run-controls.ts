// What every crash-checking command does around its run: Ctrl-C handled gracefully, progress (on a
// terminal, or as log lines), the text report (or with --quiet the one-line verdict on stderr), the
// reports asked for, and the exit status.
import type { Report } from '../../core/api.js';
import { EXIT, UsageError } from '../../core/support/errors.js';
import { holdInterrupts } from '../../core/support/interrupt.js';
import type { Logger } from '../../core/support/log.js';
import { type ReportContext, type ReportRequest, writeReports } from '../../reports/index.js';
import { quietLine } from '../../reports/format.js';
import { textReporter } from '../../reports/text-report.js';
import type { Shard } from '../engine/engine.js';
import type { CheckArgv } from './options.js';
import { type ProgressLine, runProgress } from './progress.js';

export function parseShard(value: string | undefined): Shard | undefined {
  if (value === undefined) return undefined;
  const match = /^(\d+)\/(\d+)$/.exec(value);
  const index = Number(match?.[1]);
  const count = Number(match?.[2]);
  if (!match || count < 1 || index < 1 || index > count)
    throw new UsageError(`--shard expects K/N with 1 <= K <= N, got '${value}'`);
  return { index, count };
}

/** The seed, at the start of every run whose images depend on it (random, sampled exhaustive). */
export function logSeed(log: Logger, argv: Pick<CheckArgv, 'strategy' | 'seed'>): void {
  if (argv.strategy === 'random' || argv.strategy === 'exhaustive')
    log.info({ seed: argv.seed, strategy: argv.strategy }, `seed ${argv.seed}`);
}

/**
 * Runs `work` with Ctrl-C handled gracefully and progress (a line on a terminal, else lines of `log`);
 * settles the exit status.
 */
export async function withRunControls(
  argv: Pick<CheckArgv, 'quiet' | 'fail-on'>,
  work: (controls: { signal: AbortSignal; progress: ProgressLine }) => Promise<Report>,
  requests: ReportRequest[],
  log?: Logger,
  context: ReportContext = {},
): Promise<number> {
  const progress = runProgress({ quiet: argv.quiet, ...(log ? { log } : {}) });
  const hold = holdInterrupts();
  let report: Report;
  try {
    report = await work({ signal: hold.signal, progress });
  } finally {
    progress.done();
    hold.release();
  }
  return finishRun(report, argv, requests, context);
}

/** Prints the report (or the verdict line), writes the reports, and gives the exit status. */
export function finishRun(
  report: Report,
  argv: Pick<CheckArgv, 'quiet' | 'fail-on'>,
  requests: readonly ReportRequest[],
  context: ReportContext = {},
): number {
  // --quiet: one line on stderr (reports/format.ts words it, naming the first bugs briefly).
  if (argv.quiet) process.stderr.write(`${quietLine(report)}\n`);
  else process.stdout.write(textReporter.render(report));
  const failures = writeReports(report, requests, context);
  for (const failure of failures) process.stderr.write(`pmfit: ${failure}\n`);
  // A CI gate that asked for a report must not pass without it: exit 3, whatever the verdict.
  if (failures.length > 0) return EXIT.internal;
  if (report.incomplete) return EXIT.interrupted;
  const perf = report.results.reduce((n, r) => n + r.perfFindings.length, 0);
  return report.summary.findings > 0 || (argv['fail-on'] === 'perf' && perf > 0) ? EXIT.finding : EXIT.clean;
}
