// A TS scenario object checked field by field, before anything runs it; every error names where
// the scenario came from and is a UsageError (one line, exit 2).
import type { ModelName, OracleName, TsScenario } from '../../core/api.js';
import { LINE_BYTES } from '../../core/geometry.js';
import { UsageError } from '../../core/support/errors.js';
import { MODEL_NAMES, ORACLE_NAMES } from '../../core/support/names.js';
import type { ScenarioEntry } from '../index.js';

const ORACLES: readonly OracleName[] = ORACLE_NAMES;
const MODELS: readonly ModelName[] = MODEL_NAMES;

/** Checks a scenario object field by field; errors name where it came from (a file, or a built-in's module). */
export function validateScenario(value: unknown, entry: ScenarioEntry): TsScenario {
  const where = entry.file ?? `scenario ${entry.name} (${entry.module})`;
  if (typeof value !== 'object' || value === null)
    throw new UsageError(
      `${where}: export '${entry.exportName}' must be a scenario object, got ${describeValue(value)}`,
    );
  const s = value as Partial<TsScenario>;
  const field = (name: keyof TsScenario, ok: boolean, expected: string) => {
    if (ok) return;
    const got = s[name];
    throw new UsageError(
      got === undefined
        ? `${where}: field '${name}' is missing: expected ${expected}`
        : `${where}: field '${name}' must be ${expected}, got ${describeValue(got)}`,
    );
  };
  field('name', typeof s.name === 'string' && s.name !== '', 'a non-empty string');
  field('description', typeof s.description === 'string', 'a string');
  field(
    'poolSize',
    Number.isInteger(s.poolSize) && s.poolSize! > 0 && s.poolSize! % LINE_BYTES === 0,
    `a positive multiple of ${LINE_BYTES}`,
  );
  field('oracle', ORACLES.includes(s.oracle as OracleName), `one of ${ORACLES.join(', ')}`);
  field(
    'models',
    s.models === undefined ||
      (Array.isArray(s.models) && s.models.length > 0 && s.models.every((m) => MODELS.includes(m))),
    `a list of models among ${MODELS.join(', ')}`,
  );
  field('setup', s.setup === undefined || typeof s.setup === 'function', 'a function');
  field('run', typeof s.run === 'function', 'a function');
  field('check', typeof s.check === 'function', 'a function');
  return s as TsScenario;
}

/** A value as an error message shows it: short, on one line. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'bigint') return `${value}n`;
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
