#!/usr/bin/env node
// Checks that data flows one way through the folders: no source file imports from a folder
// downstream of its own (scenario → icount → trace → engine → check → judge → reports, the CLI
// on top). Prints each violation and exits 1 when there is one. Run by `make lint`.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const ROOT = resolve(dirname(new URL(import.meta.url).pathname), '..');
/** Folders in flow order; a file may import only from its own rank or an earlier one. */
const LAYERS = [
  [
    'core/support',
    'core/geometry.ts',
    'core/pool-layout.ts',
    'core/api.ts',
    'core/libpmem.ts',
    'core/pool.ts',
    'core/trace',
  ],
  ['scenarios'],
  ['icount'],
  ['harness/engine'],
  ['harness/check'],
  ['harness/judge'],
  ['reports'],
  ['harness/cli'],
];

function rank(file) {
  const rel = relative(ROOT, file);
  for (let i = 0; i < LAYERS.length; i++)
    if (
      LAYERS[i].some(
        (p) => rel === p || rel.startsWith(p.replace(/\.ts$/, '') + (p.endsWith('.ts') ? '.ts' : '/')) || rel === p,
      )
    )
      return i;
  return -1;
}

function* sources(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* sources(path);
    else if (name.endsWith('.ts')) yield path;
  }
}

let violations = 0;
for (const top of ['core', 'scenarios', 'icount', 'harness', 'reports']) {
  for (const file of sources(join(ROOT, top))) {
    const own = rank(file);
    if (own < 0) {
      console.log(`${relative(ROOT, file)}: in no layer (add its folder to tools/check-layers.mjs)`);
      violations++;
      continue;
    }
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/(?:from|import)\s*\(?\s*['"](\.{1,2}\/[^'"]+)['"]/g)) {
      const target = resolve(dirname(file), m[1].replace(/\.js$/, '.ts'));
      const theirs = rank(target);
      if (theirs > own) {
        console.log(`${relative(ROOT, file)} imports ${relative(ROOT, target)}: downstream of it`);
        violations++;
      }
    }
  }
}
process.exit(violations > 0 ? 1 : 0);
