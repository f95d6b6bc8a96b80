// Shared by tests: private temp directories and running the real pmfit CLI as a child process.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ExecutionContext } from 'ava';
import type { Trace, TraceEvent } from '../core/api.js';
import { EventTable } from '../core/trace/event-table.js';

export const REPO = fileURLToPath(new URL('../../', import.meta.url));
export const PMFIT_BIN = join(REPO, 'bin', 'pmfit.js');

/** A temp directory removed when the test ends. */
export function tempDir(t: ExecutionContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'pmfit-test-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function pmfit(args: string[], options: { cwd?: string; env?: Record<string, string> } = {}): CliResult {
  const result = spawnSync(process.execPath, [PMFIT_BIN, ...args], {
    cwd: options.cwd ?? REPO,
    encoding: 'utf8',
    env: { ...process.env, ...options.env },
    timeout: 120_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** A trace whose events are objects in an array: what tests filter and index freely. */
export type ObjectTrace = Omit<Trace, 'events'> & { events: TraceEvent[] };

export function objectTrace(trace: Trace): ObjectTrace {
  return { ...trace, events: [...trace.events] };
}

/** A trace of event objects as the engine takes it (columnar). */
export function tableTrace(trace: ObjectTrace): Trace {
  return { ...trace, events: EventTable.from(trace.events) };
}
