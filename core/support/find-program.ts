// Finding a program the way a shell would: a name with a slash is a path, else it is looked up on PATH.
import { existsSync, statSync } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';
import { UsageError } from './errors.js';

/** The program's absolute path, looked up in PATH like a shell would. */
export function findProgram(program: string): string {
  const candidates = program.includes('/')
    ? [resolve(program)]
    : (process.env.PATH ?? '').split(delimiter).map((dir) => join(dir, program));
  const found = candidates.find((p) => existsSync(p) && statSync(p).isFile());
  if (!found) throw new UsageError(`program ${program} not found`);
  return found;
}
