// The built-in scenarios, by name. Each module default-exports a TsScenario; check workers load
// the same module by its URL, so a scenario is code, not data passed between threads.
export interface ScenarioEntry {
  name: string;
  module: string;
  exportName: string;
}

const BUILT_IN = ['basic', 'list-append', 'list-append-buggy'];

export const builtInScenarios: ScenarioEntry[] = BUILT_IN.map((name) => ({
  name,
  module: new URL(`./${name}.js`, import.meta.url).href,
  exportName: 'default',
}));

export function findBuiltIn(name: string): ScenarioEntry | undefined {
  return builtInScenarios.find((s) => s.name === name);
}
