// The native target of check, allcounts and icount from their options and the words after `--`,
// with everything checkable about it checked before any work.
import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { UsageError } from '../../../core/support/errors.js';
import { type NamedPool, type NativeTarget, checkUserCode, poolOption } from '../../../icount/target.js';
import { DEFAULT_POOL_NAME } from '../../../core/pool-layout.js';
import { isPoolSet, parsePoolSet } from '../../../icount/poolset.js';
import type { ForksMode } from '../../../icount/child-traces.js';
import { ProtectedPaths } from '../output-paths.js';

export interface NativeArgs {
  pool: string | string[];
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
  const pools = poolsOf(argv.pool);
  for (const pool of pools) checkPool(pool);
  if (argv.init !== undefined && !argv.init.trim())
    throw new UsageError('--init is empty: give a command or leave it out');
  return {
    pools,
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

/** A pool's name: what `{NAME}` in commands and `NAME.LINE` in replay ids are made of. */
const POOL_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * The pools of `--pool FILE` and `--pool NAME=FILE` (repeatable). A lone FILE is the pool named
 * `pool`; several pools each need a name of their own, and two names cannot share one file.
 */
export function poolsOf(option: string | string[]): NamedPool[] {
  const values = Array.isArray(option) ? option : [option];
  const pools = values.map((value): NamedPool => {
    const eq = value.indexOf('=');
    const named = eq > 0 && POOL_NAME.test(value.slice(0, eq));
    if (eq > 0 && !named && !value.slice(0, eq).includes('/'))
      throw new UsageError(
        `--pool ${value}: '${value.slice(0, eq)}' is not a pool name (letters, digits and _, not starting with a digit)`,
      );
    return named ? { name: value.slice(0, eq), path: value.slice(eq + 1) } : { name: DEFAULT_POOL_NAME, path: value };
  });
  const names = new Set<string>();
  const paths = new Map<string, string>();
  for (const pool of pools) {
    if (names.has(pool.name))
      throw new UsageError(
        pool.name === DEFAULT_POOL_NAME && pools.length > 1
          ? `--pool given ${pools.length} times: name each pool, --pool NAME=FILE ({NAME} then stands for its copy)`
          : `--pool ${pool.name}= given twice: each pool needs a name of its own`,
      );
    names.add(pool.name);
    const other = paths.get(pool.path);
    if (other !== undefined)
      throw new UsageError(
        `--pool ${pool.name}=${pool.path}: pool ${other} is that file too: give each pool its own file`,
      );
    paths.set(pool.path, pool.name);
  }
  return pools;
}

/** An existing pool must be a regular file this user can read (pmfit copies it, never writes it). */
function checkPool(pool: NamedPool): void {
  const option = poolOption(pool);
  if (!pool.path) throw new UsageError(`${option} is empty: name the pool file`);
  if (!existsSync(pool.path)) return;
  const stat = statSync(pool.path);
  if (!stat.isFile()) throw new UsageError(`${option} is not a regular file: name a pool file`);
  try {
    accessSync(pool.path, constants.R_OK);
  } catch {
    throw new UsageError(`${option} is not readable by this user: check its permissions`);
  }
}

/**
 * A check that never names `{pool}` never looks at the crash image, so every image would pass:
 * refused, unless --check-reads-env says it reads the image path from $PMFIT_POOL instead. With
 * several pools, each one's `{NAME}` must be in the check (a crash image is all of them).
 */
export function checkCommandOf(argv: NativeArgs): string {
  const check = argv.check ?? '';
  const pools = argv.pool === undefined ? [] : poolsOf(argv.pool);
  const names = pools.length > 0 ? pools.map((p) => p.name) : [DEFAULT_POOL_NAME];
  const first = `{${names[0]}}`;
  if (!check.trim()) throw new UsageError(`--check is empty: give the command that checks ${first}, the crash image`);
  if (argv['check-reads-env']) return check;
  const missing = names.filter((name) => !check.includes(`{${name}}`));
  if (missing.length === 0) return check;
  if (names.length === 1)
    throw new UsageError(
      `--check '${check}' does not mention ${first}, so it never sees the crash image: write ${first} where the image path goes (or add --check-reads-env if it reads $PMFIT_POOL)`,
    );
  throw new UsageError(
    `--check '${check}' does not mention ${missing.map((n) => `{${n}}`).join(', ')}, so it never sees ${missing.length === 1 ? "that pool's" : "those pools'"} crash image: write each {NAME} where its path goes (or add --check-reads-env if it reads $PMFIT_POOL_NAME)`,
  );
}

/** The files a native run reads: the pool, the program, and files named in its command lines. */
export function nativeInputs(target: NativeTarget, check?: string): ProtectedPaths {
  const protect = new ProtectedPaths();
  for (const pool of target.pools) {
    protect.add(pool.path, 'the pool');
    if (existsSync(pool.path) && isPoolSet(pool.path))
      for (const part of parsePoolSet(pool.path, poolOption(pool)).parts)
        protect.add(part.path, 'a part of the pool set');
  }
  return protect
    .add(target.program, 'the traced program')
    .addCommand(target.args.join(' '), "a file named in the program's arguments")
    .addCommand(target.init, 'a file named in --init')
    .addCommand(check, 'a file named in --check');
}
