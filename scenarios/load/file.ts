// A user's scenario file (`pmfit run ./s.ts`): a .ts, .js or .mjs module whose export `scenario`
// (else its default export) is a TsScenario, or a native spec `{ kind: 'native', ... }`. A .ts file
// is transpiled into a private temp directory that lives until the process exits: the check workers
// import the scenario by that module's URL. Every problem is a UsageError naming the file (exit 2).
import { existsSync, statSync } from 'node:fs';
import { dirname, extname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  findScenario,
  type NativeFileScenarioEntry,
  type RunnableScenarioEntry,
  type ScenarioEntry,
} from '../index.js';
import { UsageError } from '../../core/support/errors.js';
import { validateNativeSpec } from './native-spec.js';
import { makeTempDir } from '../../core/support/temp-dir.js';
import { describeValue, validateScenario } from './validate.js';

const EXTENSIONS = ['.ts', '.js', '.mjs'];

/** A scenario argument that names a file rather than a built-in: it has a slash or a module extension. */
export function isScenarioFile(name: string): boolean {
  return name.includes('/') || EXTENSIONS.some((ext) => name.endsWith(ext));
}

/** A built-in by name (`native/basic` too), else a scenario file when the name looks like a path; else undefined. */
export async function resolveScenario(name: string): Promise<RunnableScenarioEntry | undefined> {
  return findScenario(name) ?? (isScenarioFile(name) ? await loadScenarioFile(name) : undefined);
}

/** Loads and validates the scenario in `file` (a path as the user gave it). */
export async function loadScenarioFile(file: string): Promise<ScenarioEntry | NativeFileScenarioEntry> {
  const path = resolve(file);
  if (!existsSync(path)) throw new UsageError(`${file}: no such scenario file`);
  if (!statSync(path).isFile())
    throw new UsageError(`${file}: is not a file (a scenario file is a .ts, .js or .mjs module)`);
  const ext = extname(path);
  if (!EXTENSIONS.includes(ext))
    throw new UsageError(
      `${file}: a scenario file must end in ${EXTENSIONS.join(', ')}, got '${ext || 'no extension'}'`,
    );
  const url =
    ext === '.ts'
      ? (await transpiler()).transpileScenario(file, path, makeTempDir('pmfit-scenario-'))
      : pathToFileURL(path).href;
  const mod = await importFile(file, url);
  const exportName = mod.scenario !== undefined ? 'scenario' : mod.default !== undefined ? 'default' : undefined;
  if (!exportName)
    throw new UsageError(`${file}: exports no scenario: expected a default export or an export named 'scenario'`);
  const value = mod[exportName];
  const kind = typeof value === 'object' && value !== null ? (value as { kind?: unknown }).kind : undefined;
  if (kind === 'native') return validateNativeSpec(value as Record<string, unknown>, file, dirname(path));
  if (kind !== undefined)
    throw new UsageError(
      `${file}: field 'kind' must be 'native' (or absent for a TS scenario), got ${describeValue(kind)}`,
    );
  const entry: ScenarioEntry = { name: file, module: url, exportName, file };
  return { ...entry, name: validateScenario(value, entry).name };
}

/**
 * The TypeScript compiler's module, loaded only for a .ts file or to place a syntax error: loading
 * it costs ~0.6 s of CPU, and every command that can replay a scenario file imports this module.
 */
function transpiler(): Promise<typeof import('./transpile.js')> {
  return import('./transpile.js');
}

/** Imports the module; a failure is one line naming the file (and the line, for a JS syntax error). */
async function importFile(file: string, url: string): Promise<Record<string, unknown>> {
  try {
    return (await import(url)) as Record<string, unknown>;
  } catch (err) {
    const e = err as Error & { code?: string };
    const message = String(e?.message ?? e).split('\n')[0];
    if (e?.code === 'ERR_MODULE_NOT_FOUND' && /'pmfit'/.test(message)) {
      throw new UsageError(
        `${file}: imports a value from 'pmfit': a scenario file imports only types from pmfit (import type { TsScenario } from 'pmfit')`,
      );
    }
    if (e instanceof SyntaxError)
      throw new UsageError(
        (await transpiler()).javaScriptSyntaxError(file, fileURLToPath(url)) ?? `${file}: syntax error: ${message}`,
      );
    throw new UsageError(`${file}: cannot load the scenario: ${message}`);
  }
}
