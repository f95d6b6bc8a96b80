// The native target of check, allcounts and icount from their options and the words after `--`,
// with everything checkable about it checked before any work.
import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { UsageError } from '../../../core/support/errors.js';
import { type NativeTarget, checkUserCode } from '../../../icount/target.js';
import type { ForksMode } from '../../../icount/child-traces.js';
import { ProtectedPaths } from '../output-paths.js';

export interface NativeArgs {
  pool: string;
  size?: number;
  init?: string;
  from?: string;
  to?: string;
  'ops-between'?: string;
  'trace-timeout'?: number;
  'user-code'?: string[];
  /** check's --forks (yargs checked the choice); the other commands trace the parent only. */
  forks?: string;
  check?: string;
  'check-reads-env'?: boolean;
  '--'?: Array<string | number>;
}

/** The native target from the options and the words after `--`. */
export function targetFrom(argv: NativeArgs): NativeTarget {
  const words = (argv['--'] ?? []).map(String);
  if (words.length === 0) throw new UsageError('name the program to trace after --, e.g. -- ./prog run {pool}');
  if (argv.to && !argv.from) throw new UsageError('--to needs --from');
  const ops = argv['ops-between'];
  if (ops !== undefined && !ops.trim())
    throw new UsageError('--ops-between is empty: name the function whose calls are the operations');
  // QEMU splits plugin arguments at commas and has no escape for them
  if (ops?.includes(','))
    throw new UsageError(`--ops-between ${ops}: the tracer cannot take a name with a comma: name one function`);
  checkPool(argv.pool);
  if (argv.init !== undefined && !argv.init.trim())
    throw new UsageError('--init is empty: give a command or leave it out');
  return {
    pool: argv.pool,
    ...(argv.size !== undefined ? { size: argv.size } : {}),
    ...(argv.init ? { init: argv.init } : {}),
    ...(argv.from ? { from: argv.from } : {}),
    ...(argv.to ? { to: argv.to } : {}),
    ...(ops ? { opsBetween: ops } : {}),
    program: words[0]!,
    args: words.slice(1),
    ...(argv['trace-timeout'] !== undefined ? { traceTimeoutMs: argv['trace-timeout'] } : {}),
    ...userCodeOf(argv['user-code']),
    ...(argv.forks ? { forks: argv.forks as ForksMode } : {}),
  };
}

/** --user-code as the target's globs, refused early when the tracer could not take them. */
export function userCodeOf(globs: readonly string[] | undefined): { userCode?: string[] } {
  if (!globs || globs.length === 0) return {};
  checkUserCode(globs);
  return { userCode: [...globs] };
}

/** An existing pool must be a regular file this user can read (pmfit copies it, never writes it). */
function checkPool(pool: string): void {
  if (!pool) throw new UsageError('--pool is empty: name the pool file');
  if (!existsSync(pool)) return;
  const stat = statSync(pool);
  if (!stat.isFile()) throw new UsageError(`--pool ${pool} is not a regular file: name a pool file`);
  try {
    accessSync(pool, constants.R_OK);
  } catch {
    throw new UsageError(`--pool ${pool} is not readable by this user: check its permissions`);
  }
}

/**
 * A check that never names `{pool}` never looks at the crash image, so every image would pass:
 * refused, unless --check-reads-env says it reads the image path from $PMFIT_POOL instead.
 */
export function checkCommandOf(argv: NativeArgs): string {
  const check = argv.check ?? '';
  if (!check.trim()) throw new UsageError('--check is empty: give the command that checks {pool}, the crash image');
  if (!check.includes('{pool}') && !argv['check-reads-env'])
    throw new UsageError(
      `--check '${check}' does not mention {pool}, so it never sees the crash image: write {pool} where the image path goes (or add --check-reads-env if it reads $PMFIT_POOL)`,
    );
  return check;
}

/** The files a native run reads: the pool, the program, and files named in its command lines. */
export function nativeInputs(target: NativeTarget, check?: string): ProtectedPaths {
  return new ProtectedPaths()
    .add(target.pool, 'the pool')
    .add(target.program, 'the traced program')
    .addCommand(target.args.join(' '), "a file named in the program's arguments")
    .addCommand(target.init, 'a file named in --init')
    .addCommand(check, 'a file named in --check');
}
