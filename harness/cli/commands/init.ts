// `pmfit init [FILE] [--native]`: write a commented starter scenario file (never over an existing one).
import { writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { buildDir } from '../../../core/support/paths.js';
import { EXIT, UsageError, requireParentDir } from '../../../core/support/errors.js';
import { TS_TEMPLATE, nativeTemplate } from './init-templates.js';

export const DEFAULT_SCENARIO_FILE = './pmfit-scenario.ts';

/** pmfit's own correct flag-then-data program, the native starter's example. */
const EXAMPLE_PROGRAM = join(buildDir(), 'scenarios/flag-data');

export function initCommand(argv: { file?: string; native?: boolean }): number {
  const file = argv.file ?? DEFAULT_SCENARIO_FILE;
  if (!file.endsWith('.ts'))
    throw new UsageError(`init ${file}: a starter scenario is TypeScript: name a file ending in .ts`);
  requireParentDir(file, 'init');
  const shown = file.includes('/') ? file : `./${file}`;
  const text = (
    argv.native ? nativeTemplate(relativeTo(dirname(resolve(file)), EXAMPLE_PROGRAM)) : TS_TEMPLATE
  ).replaceAll('./FILE', shown);
  try {
    writeFileSync(file, text, { flag: 'wx' });
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'EEXIST')
      throw new UsageError(`init ${file}: the file already exists; pmfit never overwrites a file: name a new one`);
    // /proc/x.ts, a read-only or full file system, a directory without write permission.
    if (e.code)
      throw new UsageError(`init ${file}: cannot create the file (${e.code}): name a file in a writable directory`);
    throw err;
  }
  process.stdout.write(`wrote ${shown}: crash-test it with: pmfit run ${shown}\n`);
  return EXIT.clean;
}

/** `path` relative to `dir`, starting with ./ or ../ so the scenario file resolves it against itself. */
function relativeTo(dir: string, path: string): string {
  const rel = relative(dir, path);
  return rel.startsWith('../') ? rel : `./${rel}`;
}
