// The command line (yargs). Exit statuses: 0 every crash state consistent, 1 a finding,
// 2 bad usage or input (one line on stderr, never a stack trace), 3 an internal error.
import { hideBin } from 'yargs/helpers';
import yargs from 'yargs';
import { PMFIT_VERSION } from '../../reports/json-report.js';
import { initCommand } from './commands/init.js';
import { listCommand } from './commands/list.js';
import { replayCommand } from './commands/replay.js';
import { runCommand, withCheckOptions, type CommonCheckOptions } from './commands/run.js';
import { traceDumpCommand } from './commands/trace-dump.js';
import { checkBuilder, checkCommand } from './commands/check.js';
import { icountCommand } from './commands/icount.js';
import { allcountsCommand } from './commands/allcounts.js';
import { withNativeOptions } from './commands/native-options.js';
import { mergeCommand } from './commands/merge.js';
import { EXIT, UsageError } from '../../core/support/errors.js';
import { LibPmemLoadError } from '../../core/libpmem.js';
import { PoolError } from '../../core/pool.js';
import { DEFAULT_JOBS } from './run-scenarios.js';

process.setSourceMapsEnabled(true);

/** Runs a command handler and turns its outcome into the process's exit status. */
function settle(handler: () => Promise<number> | number): Promise<void> {
  return Promise.resolve()
    .then(handler)
    .then((code) => {
      process.exitCode = code;
    }, fail);
}

function fail(err: unknown): void {
  if (err instanceof UsageError || err instanceof PoolError || err instanceof LibPmemLoadError) {
    process.stderr.write(`pmfit: ${err.message.replace(/\s*\n\s*/g, ' ')}\n`);
    process.exitCode = EXIT.usage;
    return;
  }
  process.stderr.write(`pmfit: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = EXIT.internal;
}

await yargs(hideBin(process.argv))
  .scriptName('pmfit')
  .parserConfiguration({ 'populate--': true })
  .version(PMFIT_VERSION)
  .strict()
  .command(
    'run <scenario..>',
    'crash-test built-in scenarios, scenario files, or "all" built-ins',
    (y) => withCheckOptions(y.positional('scenario', { type: 'string', array: true, demandOption: true })),
    (argv) => settle(() => runCommand(argv as unknown as CommonCheckOptions & { scenario: string[] })),
  )
  .command('list', 'list the built-in scenarios', {}, () => settle(listCommand))
  .command(
    'init [file]',
    'write a commented starter scenario file (default ./pmfit-scenario.ts; never overwrites)',
    (y) =>
      y.positional('file', { type: 'string', describe: 'the new scenario file (.ts)' }).option('native', {
        type: 'boolean',
        default: false,
        describe: 'a native spec: a program with init, run and check commands',
      }),
    (argv) => settle(() => initCommand(argv as never)),
  )
  .command(
    'merge <files..>',
    "combine the JSON reports of --shard K/N runs into the whole run's report",
    (y) =>
      y
        .positional('files', { type: 'string', array: true, demandOption: true })
        .option('report', {
          type: 'string',
          array: true,
          default: [] as string[],
          describe: 'write the merged report: KIND=PATH',
        })
        .option('quiet', { alias: 'q', type: 'boolean', default: false }),
    (argv) => settle(() => mergeCommand(argv as never)),
  )
  .command(
    'check',
    'crash-test a native program: -- PROGRAM [ARGS...]',
    (y) => checkBuilder(y),
    (argv) => settle(() => checkCommand(argv as never)),
  )
  .command(
    'allcounts',
    "the seed's allcounts from one traced run: -- PROGRAM [ARGS...]",
    (y) =>
      withNativeOptions(y)
        .option('check', {
          type: 'string',
          demandOption: true,
          describe: 'command run on every crash image; {pool} stands for it',
        })
        .option('jobs', { alias: 'j', type: 'number', default: DEFAULT_JOBS, describe: 'checks run in parallel' })
        .option('dry-run', {
          alias: 'n',
          type: 'boolean',
          default: false,
          describe: 'print what would run, run nothing',
        })
        .option('verbose', {
          alias: 'v',
          type: 'boolean',
          default: false,
          describe: 'also list every crash point with the event before it',
        })
        .option('timeout', { type: 'number', default: 10_000, describe: 'per-check timeout in ms' }),
    (argv) => settle(() => allcountsCommand(argv as never)),
  )
  .command(
    'icount',
    'count instructions, pool stores, flushes and fences of a native snippet: -- PROGRAM [ARGS...]',
    (y) =>
      withNativeOptions(y)
        .option('json', { type: 'boolean', default: false, describe: 'print one JSON object' })
        .option('timeout', { type: 'number', default: 60_000, describe: 'time limit of --init in ms' }),
    (argv) => settle(() => icountCommand(argv as never)),
  )
  .command(
    'replay <id>',
    'rebuild one crash image from its replay id (or a saved failure file) and re-run its check',
    (y) =>
      y
        .positional('id', {
          type: 'string',
          demandOption: true,
          describe: 'a replay id, or the file of a saved failure',
        })
        .option('scenario', { type: 'string', describe: 'the scenario the id came from' })
        .option('out', { type: 'string', describe: 'write the rebuilt image to this new file' })
        .option('any-trace', {
          type: 'boolean',
          describe: "replay even when the id's trace digest differs from the scenario's trace",
        })
        .option('yes', {
          type: 'boolean',
          describe: 'run the check of a saved failure that was not written by you on this machine',
        })
        .option('timeout', { type: 'number', default: 10_000, describe: 'check timeout in ms' }),
    (argv) => settle(() => replayCommand(argv as never)),
  )
  .command('trace', 'work with trace files', (y) =>
    y
      .command(
        'dump <file>',
        'print a trace readably',
        (z) => z.positional('file', { type: 'string', demandOption: true }),
        (argv) => settle(() => traceDumpCommand(argv as never)),
      )
      .demandCommand(1, 'name a trace subcommand: dump'),
  )
  .demandCommand(1, 'name a command: run, check, allcounts, icount, replay, merge, init, list, trace')
  .fail((msg, err) => {
    if (err) throw err;
    process.stderr.write(`pmfit: ${msg.replace(/\s*\n\s*/g, ' ')} (see pmfit --help)\n`);
    process.exit(EXIT.usage);
  })
  .help()
  .parseAsync();
