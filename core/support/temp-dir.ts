// Private working directories for crash images and traces, removed at exit, also on Ctrl-C.
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onHardInterrupt } from './interrupt.js';

const live = new Set<string>();
let hooked = false;

/** A new private directory on tmpfs when there is one (/dev/shm), else the OS temp dir. */
export function makeTempDir(prefix = 'pmfit-'): string {
  hookExit();
  const root = process.env.PMFIT_TMPDIR ?? (existsSync('/dev/shm') ? '/dev/shm' : tmpdir());
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
