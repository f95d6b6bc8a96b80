// Private working directories for crash images and traces, removed at exit, also on Ctrl-C.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onHardInterrupt } from './interrupt.js';

const live = new Set<string>();
let hooked = false;

/**
 * A new private directory in PMFIT_TMPDIR, else the OS temp dir. Not /dev/shm by default: a check
 * slot rewrites only the lines that differ from the image it held, which needs the file system to
 * record a check's writes through a shared mapping in the file's mtime — disk file systems (ext4,
 * xfs) do, tmpfs does not (there every image is written whole; see harness/check/slot-image.ts).
 */
export function makeTempDir(prefix = 'pmfit-'): string {
  hookExit();
  const root = process.env.PMFIT_TMPDIR ?? tmpdir();
  const dir = mkdtempSync(join(root, prefix));
  live.add(dir);
  return dir;
}

export function removeTempDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  live.delete(dir);
}

export function removeAllTempDirs(): void {
  for (const dir of [...live]) removeTempDir(dir);
}

function hookExit(): void {
  if (hooked) return;
  hooked = true;
  process.on('exit', removeAllTempDirs);
  onHardInterrupt(removeAllTempDirs);
}
