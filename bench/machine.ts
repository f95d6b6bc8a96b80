// The machine a benchmark ran on, noted in every results file: figures mean little without it.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { cpus } from 'node:os';

export interface Machine {
  cores: number;
  cpu: string;
  node: string;
  kernel: string;
  qemu?: string;
}

export function machine(withQemu = false): Machine {
  const info = readFileSync('/proc/cpuinfo', 'utf8');
  const cpu = /^model name\s*:\s*(.*)$/m.exec(info)?.[1] ?? cpus()[0]?.model ?? 'unknown';
  const kernel = readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim();
  const qemu = withQemu ? execFileSync('qemu-x86_64', ['--version'], { encoding: 'utf8' }).split('\n')[0] : undefined;
  return { cores: cpus().length, cpu, node: process.version, kernel, ...(qemu ? { qemu } : {}) };
}

/** Writes a benchmark's results as indented JSON (creating the directory) and says where. */
export function writeResults(path: string, result: unknown): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(result, null, 2)}\n`);
  console.log(`wrote ${path}`);
}
