// Runs an external check command on crash images: each of --jobs slots owns a private image file
// (tmpfs when there is one) that `{pool}` in the command stands for. A check killed by a signal or
// past its timeout is an outcome of its own kind; captured output is bounded.
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { constants } from 'node:os';
import type { CheckOutcome, Checker } from '../core/api.js';

export const MAX_CAPTURE_BYTES = 64 * 1024;

export interface ExternalCheckOptions {
  /** The check command, run by /bin/sh; `{pool}` stands for the image file. */
  command: string;
  jobs: number;
  timeoutMs: number;
  dir: string;
  env?: Record<string, string>;
}

/** Replaces `{pool}` with a shell-quoted path. */
export function substitutePool(command: string, path: string): string {
  return command.split('{pool}').join(`'${path.replace(/'/g, `'\\''`)}'`);
}

export class ExternalCheckPool implements Checker {
  private readonly free: string[] = [];
  private readonly waiting: Array<() => void> = [];

  constructor(private readonly options: ExternalCheckOptions) {
    for (let i = 0; i < Math.max(1, options.jobs); i++) this.free.push(join(options.dir, `check-${i}.pool`));
  }

  async check(image: Buffer): Promise<CheckOutcome> {
    const slot = await this.acquire();
    try {
      writeFileSync(slot, image);
      return await runCheck(substitutePool(this.options.command, slot), this.options);
    } catch (err) {
      return { output: '', passed: false, error: `could not run the check: ${(err as Error).message}` };
    } finally {
      this.release(slot);
    }
  }

  async close(): Promise<void> {}

  private acquire(): Promise<string> {
    const slot = this.free.pop();
    if (slot) return Promise.resolve(slot);
    return new Promise((resolve) => this.waiting.push(() => resolve(this.free.pop()!)));
  }

  private release(slot: string): void {
    this.free.push(slot);
    this.waiting.shift()?.();
  }
}

/** Runs one check command and describes how it ended. */
export function runCheck(command: string, options: { timeoutMs: number; env?: Record<string, string> }): Promise<CheckOutcome> {
  return new Promise((resolve) => {
    const child = spawn('/bin/sh', ['-c', command], { env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    const stdout = new BoundedCapture();
    const stderr = new BoundedCapture();
    child.stdout.on('data', (b: Buffer) => stdout.add(b));
    child.stderr.on('data', (b: Buffer) => stderr.add(b));
    let timedOut = false;
    // Kill the whole process group: the shell and anything the check started.
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child.pid);
    }, options.timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      resolve({ output: '', passed: false, error: `could not start the check: ${err.message}` });
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const output = stdout.text();
      const detail = lastLine(stderr.text()) || (code !== null ? `exit status ${code}` : undefined);
      if (timedOut) return resolve({ output, passed: false, crash: 'timeout', detail: `check ran longer than ${options.timeoutMs} ms` });
      if (signal) return resolve({ output, passed: false, crash: signal, ...(detail ? { detail } : {}) });
      const crashSignal = shellSignal(code);
      if (crashSignal) return resolve({ output, passed: false, crash: crashSignal, ...(detail ? { detail } : {}) });
      resolve({ output, passed: code === 0, ...(code !== 0 && detail ? { detail } : {}) });
    });
  });
}

function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    /* already gone */
  }
}

/** /bin/sh reports a child killed by signal N as exit status 128+N. */
function shellSignal(code: number | null): string | undefined {
  return code === null || code <= 128 ? undefined : signalName(code - 128);
}

/** SIGSEGV for 11: the name a finding of kind `crash:NAME` carries. */
export function signalName(signal: number): string {
  return Object.entries(constants.signals).find(([, n]) => n === signal)?.[0] ?? `signal ${signal}`;
}

function lastLine(text: string): string {
  return text.trimEnd().split('\n').pop() ?? '';
}

/** Keeps at most MAX_CAPTURE_BYTES of a stream and notes how much more there was. */
class BoundedCapture {
  private readonly chunks: Buffer[] = [];
  private kept = 0;
  private dropped = 0;

  add(chunk: Buffer): void {
    const room = MAX_CAPTURE_BYTES - this.kept;
    if (room > 0) this.chunks.push(chunk.subarray(0, room));
    this.kept += Math.min(room, chunk.length);
    this.dropped += Math.max(0, chunk.length - room);
  }

  text(): string {
    const body = Buffer.concat(this.chunks).toString('utf8');
    return this.dropped > 0 ? `${body}\n[… ${this.dropped} more bytes of output truncated]` : body;
  }
}
