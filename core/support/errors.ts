import { existsSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

// Errors that map to pmfit's exit statuses: 2 bad usage or input, 3 internal error.

/** Bad usage or bad input: the CLI prints the message in one line and exits 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

export const EXIT = { clean: 0, finding: 1, usage: 2, internal: 3, interrupted: 130 } as const;

/** Refuses, before any work, an output path whose directory does not exist. */
export function requireParentDir(path: string, flag: string): void {
  const dir = dirname(resolve(path));
  if (!existsSync(dir) || !statSync(dir).isDirectory())
    throw new UsageError(`${flag} ${path}: directory ${dir} does not exist`);
}

/** Refuses an output path that exists (pmfit never overwrites a file) or whose directory does not. */
export function requireNewFile(path: string, flag: string): void {
  if (existsSync(path))
    throw new UsageError(`${flag} ${path} already exists; pmfit never overwrites a file: name a new one`);
  requireParentDir(path, flag);
}
