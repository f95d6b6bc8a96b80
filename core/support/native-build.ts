// The native parts of an installed pmfit (tracer plugin, fork server, icount.h, the C scenarios)
// are built at first use into the per-user cache (paths.ts: cacheBuildDir), from the C sources the
// package carries, with the system's make and C compiler. A checkout builds them with `make build`
// and $PMFIT_BUILD_DIR names a ready folder: neither is touched here.
//
// The build runs in a fresh temporary directory (make cannot handle spaces in target paths, and a
// half-finished build must never look finished), then the result is copied next to the cache
// folder and renamed into place: two first uses at once both build, one rename wins, both work.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { UsageError } from './errors.js';
import { PACKAGE_ROOT, PMFIT_VERSION, cacheBuildDir, checkoutBuildDir } from './paths.js';

/** Written last into a finished build. */
const DONE = '.pmfit-build-complete';

/** Is there a build pmfit will use as it is (the checkout's, $PMFIT_BUILD_DIR, or a finished cache)? */
export function nativeBuilt(): boolean {
  return (
    process.env.PMFIT_BUILD_DIR !== undefined ||
    checkoutBuildDir() !== undefined ||
    existsSync(join(cacheBuildDir(), DONE))
  );
}

/** Builds the native parts into the cache unless they are there; says so on stderr, once. */
export function ensureNativeBuilt(): void {
  if (nativeBuilt()) return;
  const dir = cacheBuildDir();
  process.stderr.write(
    `pmfit: first use of pmfit ${PMFIT_VERSION}: building its native parts (QEMU tracer plugin, fork server, C scenarios) into ${dir} (about a minute, once)\n`,
  );
  const work = mkdtempSync(join(tmpdir(), 'pmfit-build-'));
  try {
    const out = join(work, 'out');
    const make = spawnSync('make', ['-s', '-j2', '-C', PACKAGE_ROOT, '-f', 'tools/native.mk', `OUT=${out}`], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    if (make.error || make.status !== 0) {
      const why = make.error
        ? `cannot run make (${(make.error as NodeJS.ErrnoException).code})`
        : (make.stderr
            .trim()
            .split('\n')
            .find((l) => /error|No such file|not found/i.test(l)) ??
          make.stderr.trim().split('\n').pop() ??
          `make exited with status ${make.status}`);
      throw new UsageError(`cannot build pmfit's native parts: ${why}; run 'pmfit doctor' to see what is missing`);
    }
    writeFileSync(join(out, DONE), `pmfit ${PMFIT_VERSION}\n`);
    mkdirSync(dirname(dir), { recursive: true });
    const staged = `${dir}.partial-${process.pid}`;
    cpSync(out, staged, { recursive: true });
    try {
      renameSync(staged, dir);
    } catch {
      // Another pmfit finished first (the folder exists and is complete) — use that one.
      rmSync(staged, { recursive: true, force: true });
      if (!existsSync(join(dir, DONE)))
        throw new UsageError(`cannot install the native build into ${dir}: remove that folder and try again`);
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
