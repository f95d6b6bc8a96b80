// Where pmfit may write: every output path (--report, --out, --save-trace, --save-failures) is
// checked before the run, so a mistyped path costs nothing and never costs a user's file.
//  - a report goes to a new file, or over a file that is a pmfit report of the same kind (see
//    reports/index.ts); never over a directory, a symbolic link or anything else;
//  - --out and --save-trace go to new files only; --save-failures to a directory (new or existing);
//  - none of them may be a file the run reads: the pool (even one that does not exist yet and
//    starts zeroed), the program, any file named in the check, init or program command line, a
//    shard report being merged, or another output of the same run.
import { accessSync, constants, existsSync, lstatSync, realpathSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { REPORTERS, type ReportRequest, isOwnReport } from '../../reports/index.js';
import { UsageError } from '../../core/support/errors.js';

/** The files a run reads, and the outputs already claimed, by resolved path. */
export class ProtectedPaths {
  private readonly paths = new Map<string, string>();

  /** `what` says in the refusal what the file is ("the pool", "a file of the check command"). */
  add(path: string | undefined, what: string): this {
    if (path === undefined || path === '' || path === '-') return this;
    // The first description wins: the pool stays "the pool" when a command names it too.
    const key = canonical(path);
    if (!this.paths.has(key)) this.paths.set(key, what);
    return this;
  }

  /** Every word of a shell command that names an existing file (after `=` too: --file=x). */
  addCommand(command: string | undefined, what: string): this {
    for (const word of commandWords(command ?? '')) if (existsSync(word) && !isDir(word)) this.add(word, what);
    return this;
  }

  refuse(path: string, flag: string): void {
    const what = this.paths.get(canonical(path));
    if (what) throw new UsageError(`${flag} ${path} is ${what}; pmfit never writes over it: name a new file`);
  }
}

/** The words of a command line, quotes removed, and the value part of `--name=value` words. */
function commandWords(command: string): string[] {
  const words = command.match(/'[^']*'|"[^"]*"|[^\s'"]+/g) ?? [];
  return words.flatMap((w) => {
    const plain = w.replace(/^['"]|['"]$/g, '');
    const eq = plain.indexOf('=');
    return eq > 0 ? [plain, plain.slice(eq + 1)] : [plain];
  });
}

function isDir(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** The path with symbolic links of its directory resolved (the file itself may not exist yet). */
function canonical(path: string): string {
  const full = resolve(path);
  try {
    return realpathSync(full);
  } catch {
    try {
      return resolve(realpathSync(dirname(full)), full.slice(dirname(full).length + 1));
    } catch {
      return full;
    }
  }
}

/** Refuses a path whose directory is missing or not writable by this user. */
function requireWritableDir(path: string, flag: string): void {
  const dir = dirname(resolve(path));
  if (!existsSync(dir) || !statSync(dir).isDirectory())
    throw new UsageError(`${flag} ${path}: directory ${dir} does not exist`);
  try {
    accessSync(dir, constants.W_OK | constants.X_OK);
  } catch {
    throw new UsageError(`${flag} ${path}: directory ${dir} is not writable`);
  }
}

/** `KIND=PATH` values of --report, each checked against `protect` and claimed in it. */
export function parseReportRequests(values: readonly string[], protect = new ProtectedPaths()): ReportRequest[] {
  return values.map((value) => {
    const match = /^([a-z]+)=(.+)$/.exec(value);
    if (!match) throw new UsageError(`--report expects KIND=PATH, got '${value}'`);
    const [, kind, path] = match as unknown as [string, string, string];
    if (!REPORTERS[kind])
      throw new UsageError(`unknown report kind '${kind}' (known: ${Object.keys(REPORTERS).join(', ')})`);
    if (path !== '-') {
      const flag = `--report ${kind}=`;
      protect.refuse(path, '--report');
      requireWritableDir(path, '--report');
      if (existsSync(path) || isLink(path)) requireOwnReport(kind, path, flag);
      protect.add(path, `already the path of another report of this run`);
    }
    return { kind, path };
  });
}

function isLink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}

/** An existing report path may be replaced only when it holds pmfit's own report of that kind. */
function requireOwnReport(kind: string, path: string, flag: string): void {
  const stat = lstatSync(path);
  if (stat.isSymbolicLink())
    throw new UsageError(`${flag}${path} is a symbolic link; pmfit writes reports only to plain files: name the file`);
  if (stat.isDirectory()) throw new UsageError(`${flag}${path} is a directory: name a file in it`);
  if (!stat.isFile() || !isOwnReport(kind, path))
    throw new UsageError(
      `${flag}${path} already exists and is not a pmfit ${kind} report; pmfit never overwrites other files: name a new one`,
    );
  try {
    accessSync(path, constants.W_OK);
  } catch {
    throw new UsageError(`${flag}${path} is not writable`);
  }
}

/** --out, --save-trace: a new file in a writable directory, not one the run reads. */
export function requireNewOutput(path: string, flag: string, protect = new ProtectedPaths()): void {
  protect.refuse(path, flag);
  if (existsSync(path) || isLink(path))
    throw new UsageError(`${flag} ${path} already exists; pmfit never overwrites a file: name a new one`);
  requireWritableDir(path, flag);
  protect.add(path, 'already an output of this run');
}

/** --save-failures: a directory that exists or can be created, not a file the run reads. */
export function requireFailuresDir(path: string, protect = new ProtectedPaths()): void {
  protect.refuse(path, '--save-failures');
  if (existsSync(path)) {
    if (!statSync(path).isDirectory())
      throw new UsageError(`--save-failures ${path} is not a directory: name a directory (it is created if new)`);
    try {
      accessSync(path, constants.W_OK | constants.X_OK);
    } catch {
      throw new UsageError(`--save-failures ${path}: directory is not writable`);
    }
    return;
  }
  requireWritableDir(path, '--save-failures');
}
