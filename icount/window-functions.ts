// The functions `--from`, `--to` and `--ops-between` name, made ready for the tracer: each is checked
// against the program before it runs (a clear one-line error when it has no such function), and
// those the compiler inlined get their inlined copies written to the file the tracer reads
// (inlined=PATH, icount/plugin/tracer-inlined.c), so a call of a copy counts as a call of the
// function — alongside its out-of-line copy when it also has one.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '../core/support/errors.js';
import { debugFunctions, inlinedCopiesFile, type InlinedInstance } from './inlined-instances.js';
import { missingFunction } from './symbols.js';

export interface WindowFunctions {
  from?: string;
  to?: string;
  opsBetween?: string;
}

/**
 * Checks the named functions (a UsageError for one the program lacks) and returns the path of the
 * tracer's file of their inlined copies, written into `dir`, or undefined when none has any.
 */
export async function prepareWindowFunctions(
  binary: string,
  functions: WindowFunctions,
  dir: string,
): Promise<string | undefined> {
  const roles = [
    ['from', '--from', functions.from],
    ['to', '--to', functions.to],
    ['ops', '--ops-between', functions.opsBetween],
  ] as const;
  const copies: Array<{ role: 'from' | 'to' | 'ops'; instances: InlinedInstance[] }> = [];
  for (const [role, option, name] of roles) {
    if (!name) continue;
    const missing = await missingFunction(binary, name, option);
    if (missing) throw new UsageError(missing);
    const instances = (await debugFunctions(binary)).inlined.get(name);
    if (instances) copies.push({ role, instances });
  }
  if (copies.length === 0) return undefined;
  const path = join(dir, 'inlined-copies.txt');
  writeFileSync(path, inlinedCopiesFile(copies));
  return path;
}
