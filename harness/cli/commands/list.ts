// `pmfit list`: the built-in scenarios with their oracle and default models.
import { builtInScenarios, nativeScenarios } from '../../../scenarios/index.js';
import { EXIT } from '../../../core/support/errors.js';
import { loadScenario } from '../../../icount/ts-record.js';

export async function listCommand(): Promise<number> {
  const rows: Array<[string, string]> = [];
  for (const entry of builtInScenarios) {
    const s = await loadScenario(entry);
    rows.push([s.name, `${s.description} [TS; oracle ${s.oracle}; models ${(s.models ?? ['adr']).join(', ')}]`]);
  }
  for (const s of nativeScenarios)
    rows.push([s.name, `${s.description} [C; oracle ${s.oracle}; models ${s.models.join(', ')}]`]);
  const width = Math.max(...rows.map(([name]) => name.length));
  for (const [name, text] of rows) process.stdout.write(`${name.padEnd(width)}  ${text}\n`);
  return EXIT.clean;
}
