#!/usr/bin/env node
// The pmfit command: runs the compiled CLI, or says how to build it. `pmfit --version` is answered
// here, from package.json, without loading the CLI at all.
import { existsSync, readFileSync } from 'node:fs';

if (process.argv.length === 3 && process.argv[2] === '--version') {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  process.stdout.write(`${pkg.version}\n`);
  process.exit(0);
}
const cli = new URL('../dist/harness/cli/main.js', import.meta.url);
if (!existsSync(cli)) {
  process.stderr.write("pmfit: not built yet: run 'make build' (or 'npm ci && npx tsc -p .') in the pmfit checkout\n");
  process.exit(2);
}
await import(cli.href);
