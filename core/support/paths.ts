// Where pmfit's own files are: the package root (the checkout, or the installed package) and the
// folder its native parts are built into. Every module asks here instead of counting `../` from
// its own compiled location, and paths are decoded from file URLs (a space stays a space).
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package root: dist/core/support/paths.js sits three levels below it. */
export const PACKAGE_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** The version in package.json: the one place it is written. */
export const PMFIT_VERSION: string = JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')).version;

/** A checkout built with `make build` has its native parts in build/ at the package root. */
export function checkoutBuildDir(): string | undefined {
  const dir = join(PACKAGE_ROOT, 'build');
  return existsSync(join(dir, 'pmfit-tracer.so')) ? dir : undefined;
}

/** The per-user cache an installed pmfit builds its native parts into at first use. */
export function cacheBuildDir(): string {
  const cache = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(cache, 'pmfit', PMFIT_VERSION);
}

/**
 * The folder holding the built native parts (tracer plugin, fork server, C scenarios), in this
 * order: $PMFIT_BUILD_DIR; the checkout's build/ when `make build` made it; the per-user cache
 * (see native-build.ts, which fills it at first use).
 */
export function buildDir(): string {
  return process.env.PMFIT_BUILD_DIR ?? checkoutBuildDir() ?? cacheBuildDir();
}
