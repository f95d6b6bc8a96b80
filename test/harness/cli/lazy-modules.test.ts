// No command loads the TypeScript compiler just by being imported: it costs ~0.6 s of CPU at every
// start, and only a .ts scenario file (or placing a JS syntax error) needs it
// (scenarios/load/file.ts imports scenarios/load/transpile.ts when it does). Each module is imported
// in a fresh Node process, which then lists the CommonJS modules it loaded (the compiler is one).
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { REPO } from '../../helpers.js';

const PROBE = `
import { createRequire } from 'node:module';
for (const m of process.argv.slice(1)) await import(m);
const loaded = Object.keys(createRequire(import.meta.url).cache);
process.stdout.write(String(loaded.filter((p) => p.includes('/node_modules/typescript/')).length));
`;

/** How many files of the TypeScript compiler importing `modules` loads. */
function typescriptFilesLoaded(modules: string[]): number {
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', PROBE, ...modules], {
    cwd: REPO,
    encoding: 'utf8',
  });
  return Number(out);
}

const COMMANDS = join(REPO, 'dist', 'harness', 'cli', 'commands');

test('importing any command module, or the CLI runner, leaves the TypeScript compiler unloaded', (t) => {
  const modules = readdirSync(COMMANDS)
    .filter((f) => f.endsWith('.js'))
    .map((f) => join(COMMANDS, f));
  t.true(modules.length >= 10, modules.join(', '));
  t.is(typescriptFilesLoaded([...modules, join(REPO, 'dist', 'harness', 'cli', 'run-scenarios.js')]), 0);
});

test('the probe sees the compiler when the transpiler is imported', (t) => {
  t.true(typescriptFilesLoaded([join(REPO, 'dist', 'scenarios', 'load', 'transpile.js')]) > 0);
});
