// The built-in scenarios, by name. Each entry names a module and the export holding a TsScenario;
// check workers load the same module by its URL, so a scenario is code, not data passed between threads.
export interface ScenarioEntry {
  name: string;
  module: string;
  exportName: string;
}

const entry = (name: string, file: string, exportName = 'default'): ScenarioEntry => ({
  name,
  module: new URL(`./${file}.js`, import.meta.url).href,
  exportName,
});

/** Each x86 twin module exports `correct` and `buggy`. */
const twins = (name: string): ScenarioEntry[] => [entry(name, name, 'correct'), entry(`${name}-buggy`, name, 'buggy')];

export const builtInScenarios: ScenarioEntry[] = [
  entry('basic', 'basic'),
  entry('list-append', 'list-append'),
  entry('list-append-buggy', 'list-append-buggy'),
  ...twins('flag-data'),
  ...twins('fence-flag'),
  ...twins('torn16'),
  ...twins('nt-publish'),
];

export function findBuiltIn(name: string): ScenarioEntry | undefined {
  return builtInScenarios.find((s) => s.name === name);
}
