// `pmfit list`: the built-in scenarios with their oracle and default models.
import { builtInScenarios } from '../../scenarios/index.js';
import { EXIT } from '../errors.js';
import { loadScenario } from '../ts-scenario.js';

export async function listCommand(): Promise<number> {
  const width = Math.max(...builtInScenarios.map((s) => s.name.length));
  for (const entry of builtInScenarios) {
    const s = await loadScenario(entry);
    process.stdout.write(`${s.name.padEnd(width)}  ${s.description} [oracle ${s.oracle}; models ${(s.models ?? ['adr']).join(', ')}]\n`);
  }
  return EXIT.clean;
}
