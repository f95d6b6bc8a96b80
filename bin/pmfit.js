#!/usr/bin/env node
// The pmfit command: runs the compiled CLI, or says how to build it.
import { existsSync } from 'node:fs';

const cli = new URL('../dist/harness/cli/main.js', import.meta.url);
if (!existsSync(cli)) {
  process.stderr.write("pmfit: not built yet: run 'make build' (or 'npm ci && npx tsc -p .') in the pmfit checkout\n");
  process.exit(2);
}
await import(cli.href);
