// Where pmfit's own files are: the package root (the checkout, or the installed package) and the
// folder its native parts are built into. Every module asks here instead of counting `../` from
// its own compiled location, and paths are decoded from file URLs (a space stays a space).
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package root: dist/core/support/paths.js sits three levels below it. */
export const PACKAGE_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** The folder holding the built native parts (tracer plugin, fork server, C scenarios). */
export function buildDir(): string {
  return process.env.PMFIT_BUILD_DIR ?? join(PACKAGE_ROOT, 'build');
}
