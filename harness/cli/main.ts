// The command line (yargs). Exit statuses: 0 every crash state consistent, 1 a finding,
// 2 bad usage or input (one line on stderr, never a stack trace), 3 an internal error (or a report
// that could not be written after the run), 130 interrupted.
//
// Start-up is kept to yargs and the option definitions: each command's module — and with it the
// engine, koffi, pino or the TypeScript compiler — is imported only when that command runs, so
// `pmfit --version`, `pmfit list` and `pmfit --help` answer in a fraction of a second. `pmfit
// icount` in its plain spellings does not even load yargs (icount-argv.ts): it is meant to cost
// little more than the tracer itself.
import { EXIT } from '../../core/support/errors.js';
import { PMFIT_VERSION } from '../../core/support/paths.js';
import { plainIcountArgv } from './icount-argv.js';
import {
  allcountsBuilder,
  withPmfitParsing,
  checkBuilder,
  failOnOption,
  icountBuilder,
  lintOption,
  timeoutOption,
  withCheckOptions,
  withUserCodeOption,
} from './options.js';

process.setSourceMapsEnabled(true);
// `pmfit list | head`: a reader that goes away ends the output, not with a stack trace.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(process.exitCode ?? EXIT.clean);
  throw err;
});

/** The commands that run native code build pmfit's native parts first when an installed pmfit has none yet. */
async function native(): Promise<void> {
  (await import('../../core/support/native-build.js')).ensureNativeBuilt();
}

/** Errors whose message is meant for the user as it is: bad usage or bad input, exit 2. */
const USER_ERRORS = new Set(['UsageError', 'PoolError', 'LibPmemLoadError', 'TraceFormatError']);

/** Runs a command handler and turns its outcome into the process's exit status. */
function settle(handler: () => Promise<number> | number): Promise<void> {
  return Promise.resolve()
    .then(handler)
    .then((code) => {
      process.exitCode = code;
    }, fail);
}

function fail(err: unknown): void {
  if (err instanceof Error && USER_ERRORS.has(err.name)) {
    process.stderr.write(`pmfit: ${oneLine(err.message)}\n`);
    process.exitCode = EXIT.usage;
    return;
  }
  process.stderr.write(`pmfit: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = EXIT.internal;
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ');
}

/** `pmfit icount`: counts the snippet (the command's module, and the native build when missing). */
function icount(argv: unknown): Promise<void> {
  return settle(async () => {
    await native();
    return (await import('./commands/icount.js')).icountCommand(argv as never);
  });
}

const words = process.argv.slice(2);
const plainIcount = words[0] === 'icount' ? plainIcountArgv(words.slice(1)) : undefined;
if (plainIcount) await icount(plainIcount);
else await parseWithYargs();

async function parseWithYargs(): Promise<void> {
  const { default: yargs } = await import('yargs');
  await withPmfitParsing(yargs(words).scriptName('pmfit').version(PMFIT_VERSION))
    .command(
      'run <scenario..>',
      'crash-test built-in scenarios, scenario files, or "all" built-ins',
      (y) =>
        withUserCodeOption(
          withCheckOptions(y.positional('scenario', { type: 'string', array: true, demandOption: true })),
        ),
      (argv) => settle(async () => (await import('./commands/run.js')).runCommand(argv as never)),
    )
    .command('list', 'list the built-in scenarios', {}, () =>
      settle(async () => (await import('./commands/list.js')).listCommand()),
    )
    .command(
      'init [file]',
      'write a commented starter scenario file (default ./pmfit-scenario.ts; never overwrites)',
      (y) =>
        y.positional('file', { type: 'string', describe: 'the new scenario file (.ts)' }).option('native', {
          type: 'boolean',
          default: false,
          describe: 'a native spec: a program with init, run and check commands',
        }),
      (argv) =>
        settle(async () => {
          if (argv.native) await native();
          return (await import('./commands/init.js')).initCommand(argv as never);
        }),
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
          .option('lint', lintOption())
          .option('fail-on', failOnOption())
          .option('quiet', {
            alias: 'q',
            type: 'boolean',
            default: false,
            describe: 'no text report on stdout; the one-line verdict on stderr',
          }),
      (argv) => settle(async () => (await import('./commands/merge.js')).mergeCommand(argv as never)),
    )
    .command(
      'check',
      'crash-test a native program: -- PROGRAM [ARGS...]',
      (y) => checkBuilder(y),
      (argv) =>
        settle(async () => {
          await native();
          return (await import('./commands/check.js')).checkCommand(argv as never);
        }),
    )
    .command(
      'allcounts',
      "the seed's allcounts from one traced run: -- PROGRAM [ARGS...]",
      (y) => allcountsBuilder(y),
      (argv) =>
        settle(async () => {
          await native();
          return (await import('./commands/allcounts.js')).allcountsCommand(argv as never);
        }),
    )
    .command(
      'icount',
      'count instructions, pool stores, flushes and fences of a native snippet: -- PROGRAM [ARGS...]',
      (y) => icountBuilder(y),
      icount,
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
          .option('timeout', timeoutOption('check timeout in ms')),
      (argv) =>
        settle(async () => {
          await native();
          return (await import('./commands/replay.js')).replayCommand(argv as never);
        }),
    )
    .command(
      'doctor',
      'check what pmfit needs (QEMU, libpmem, a C compiler, the native build) and say what to install',
      (y) =>
        y.option('build', {
          type: 'boolean',
          default: false,
          describe: 'also build the native parts now when they are not built yet',
        }),
      (argv) => settle(async () => (await import('./commands/doctor.js')).doctorCommand(argv)),
    )
    .command('trace', 'work with trace files', (y) =>
      y
        .command(
          'dump <file>',
          'print a trace readably',
          (z) => z.positional('file', { type: 'string', demandOption: true }),
          (argv) => settle(async () => (await import('./commands/trace-dump.js')).traceDumpCommand(argv as never)),
        )
        .demandCommand(1, 'name a trace subcommand: dump'),
    )
    .demandCommand(1, 'name a command: run, check, allcounts, icount, replay, merge, init, list, doctor, trace')
    .fail((msg, err) => {
      if (err && !USER_ERRORS.has(err.name)) throw err;
      process.stderr.write(`pmfit: ${oneLine(err ? err.message : msg)}${err ? '' : ' (see pmfit --help)'}\n`);
      process.exit(EXIT.usage);
    })
    .help()
    .parseAsync()
    .catch(fail);
}
