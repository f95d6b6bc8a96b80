// A native spec from a user's scenario file, checked field by field, with its paths resolved
// against the file's directory: `pool` and a `program` with a slash; in `init`, `check` and `args`,
// words that start with ./ or ../, and `{dir}` (the file's directory).
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { ModelName, OracleName } from '../../core/api.js';
import type { NativeFileScenarioEntry } from '../index.js';
import { UsageError } from '../../core/support/errors.js';
import { MODEL_NAMES, ORACLE_NAMES } from '../../core/support/names.js';
import { LINE_BYTES } from '../../core/geometry.js';
import { findProgram } from '../../core/support/find-program.js';
import { shellQuote } from '../../core/support/shell-quote.js';
import { describeValue } from './validate.js';

const ORACLES: readonly OracleName[] = ORACLE_NAMES;
const MODELS: readonly ModelName[] = MODEL_NAMES;
const FIELDS = [
  'kind',
  'name',
  'description',
  'pool',
  'poolSize',
  'init',
  'program',
  'args',
  'check',
  'oracle',
  'models',
  'from',
  'to',
];

/** The spec a native scenario file exports, as the user writes it: the entry it becomes, with defaults left out. */
export type NativeSpec = Omit<NativeFileScenarioEntry, 'kind' | 'file' | 'description' | 'models'> & {
  kind: 'native';
  description?: string;
  models?: ModelName[];
};

/** Validates a `{ kind: 'native', ... }` export of `file` (in directory `dir`) into a runnable entry. */
export function validateNativeSpec(value: Record<string, unknown>, file: string, dir: string): NativeFileScenarioEntry {
  const fail = (name: string, expected: string): never => {
    const got = value[name];
    throw new UsageError(
      got === undefined
        ? `${file}: field '${name}' is missing: expected ${expected}`
        : `${file}: field '${name}' must be ${expected}, got ${describeValue(got)}`,
    );
  };
  const text = (name: string, optional: boolean): string | undefined => {
    const v = value[name];
    if (v === undefined && optional) return undefined;
    if (typeof v !== 'string' || v.trim() === '') return fail(name, 'a non-empty string');
    return v;
  };
  const unknown = Object.keys(value).find((k) => !FIELDS.includes(k));
  if (unknown !== undefined)
    throw new UsageError(`${file}: field '${unknown}' is not a native spec field (known: ${FIELDS.join(', ')})`);

  const name = text('name', false)!;
  if (value.description !== undefined && typeof value.description !== 'string') fail('description', 'a string');
  if ((value.pool === undefined) === (value.poolSize === undefined)) {
    throw new UsageError(
      `${file}: give exactly one of field 'pool' (an existing pool file to start from) and field 'poolSize' (bytes of a new zeroed pool)`,
    );
  }
  let pool: string | undefined;
  if (value.pool !== undefined) {
    pool = resolve(dir, text('pool', false)!);
    if (!existsSync(pool) || !statSync(pool).isFile()) fail('pool', `an existing pool file (no file ${pool})`);
  }
  const poolSize = value.poolSize as number | undefined;
  if (poolSize !== undefined && !(Number.isInteger(poolSize) && poolSize > 0 && poolSize % LINE_BYTES === 0))
    fail('poolSize', `a positive multiple of ${LINE_BYTES}`);
  const init = text('init', true);
  const program = programPath(text('program', false)!, dir, () =>
    fail('program', 'an existing program (a path relative to the scenario file, or a name on PATH)'),
  );
  const args = value.args;
  if (!Array.isArray(args) || !args.every((a) => typeof a === 'string'))
    return fail('args', "a list of strings ('{pool}' stands for the pool)");
  const check = text('check', false)!;
  // A check that never names the image passes every image: the silent pass `pmfit check` refuses too.
  if (!check.includes('{pool}')) fail('check', "a command that names the crash image as '{pool}'");
  const oracle = value.oracle as OracleName;
  if (!ORACLES.includes(oracle)) fail('oracle', `one of ${ORACLES.join(', ')}`);
  const models = value.models as ModelName[] | undefined;
  if (models !== undefined && !(Array.isArray(models) && models.length > 0 && models.every((m) => MODELS.includes(m))))
    fail('models', `a list of models among ${MODELS.join(', ')}`);
  const from = text('from', true);
  const to = text('to', true);
  if (to !== undefined && from === undefined)
    throw new UsageError(`${file}: field 'to' needs field 'from' (the function where tracing starts)`);

  return {
    kind: 'native-file',
    name,
    description: (value.description as string | undefined) ?? `native scenario from ${file}`,
    file,
    ...(pool ? { pool } : {}),
    ...(poolSize ? { poolSize } : {}),
    ...(init ? { init: resolveCommand(init, dir) } : {}),
    program,
    args: (args as string[]).map((a) => resolveArg(a, dir)),
    check: resolveCommand(check, dir),
    oracle,
    models: models ?? ['adr'],
    ...(from ? { from } : {}),
    ...(to ? { to } : {}),
  };
}

/** A program with a slash is a path relative to the scenario file; a bare name is looked up on PATH. */
function programPath(program: string, dir: string, missing: () => never): string {
  if (program.includes('/')) {
    const path = resolve(dir, program);
    return existsSync(path) && statSync(path).isFile() ? path : missing();
  }
  try {
    findProgram(program);
  } catch {
    missing();
  }
  return program;
}

const RELATIVE_WORD = /(^|\s)(\.\.?\/[^\s'"]*)/g;

/** A shell command with its ./ and ../ words and `{dir}` made absolute against `dir`. */
function resolveCommand(command: string, dir: string): string {
  return command
    .replace(RELATIVE_WORD, (_, space: string, path: string) => space + shellQuote(resolve(dir, path)))
    .split('{dir}')
    .join(shellQuote(dir));
}

function resolveArg(arg: string, dir: string): string {
  return /^\.\.?\//.test(arg) ? resolve(dir, arg) : arg.split('{dir}').join(dir);
}
