// Options shared by the commands that run a native program: check, allcounts, icount.
import type { Argv } from 'yargs';
import { UsageError } from '../../../core/support/errors.js';
import type { NativeTarget } from '../../../icount/target.js';
import { DEFAULT_TRACE_TIMEOUT_MS } from '../../../icount/driver.js';

/** The longest delay a Node timer keeps (2^31 - 1 ms, about 24.8 days); longer ones fire at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export interface NativeArgs {
  pool: string;
  size?: number;
  init?: string;
  from?: string;
  to?: string;
  'trace-timeout': number;
  '--'?: Array<string | number>;
}

export function withNativeOptions<T>(y: Argv<T>) {
  return y
    .option('pool', {
      type: 'string',
      demandOption: true,
      describe: 'the pool file (pmfit works on a private copy; the file is never modified)',
    })
    .option('size', { type: 'number', describe: 'start from a zeroed pool of BYTES when --pool does not exist' })
    .option('init', { type: 'string', describe: 'untraced set-up command run on the copy first; {pool} stands for it' })
    .option('from', { type: 'string', describe: 'trace from each entry of this function of the program' })
    .option('to', { type: 'string', describe: '... to the entry of this function (default: until --from returns)' })
    .option('trace-timeout', {
      type: 'number',
      default: DEFAULT_TRACE_TIMEOUT_MS,
      describe: 'time limit of the traced run in ms; past it the program and all it started are killed (exit 2)',
    });
}

/** The native target from the options and the words after `--`. */
export function targetFrom(argv: NativeArgs): NativeTarget {
  const words = (argv['--'] ?? []).map(String);
  if (words.length === 0) throw new UsageError('name the program to trace after --, e.g. -- ./prog run {pool}');
  if (argv.to && !argv.from) throw new UsageError('--to needs --from');
  const traceTimeout = argv['trace-timeout'];
  if (!Number.isInteger(traceTimeout) || traceTimeout <= 0 || traceTimeout > MAX_TIMER_MS)
    throw new UsageError(
      `--trace-timeout must be a whole number of milliseconds from 1 to ${MAX_TIMER_MS}, got ${traceTimeout}`,
    );
  return {
    pool: argv.pool,
    ...(argv.size !== undefined ? { size: argv.size } : {}),
    ...(argv.init ? { init: argv.init } : {}),
    ...(argv.from ? { from: argv.from } : {}),
    ...(argv.to ? { to: argv.to } : {}),
    program: words[0]!,
    args: words.slice(1),
    traceTimeoutMs: traceTimeout,
  };
}
