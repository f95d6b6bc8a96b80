// Runs one shell command (a check, an --init) with a time limit and bounded captured output, and
// describes how it ended as a CheckOutcome: passed, failed, killed by a signal, or timed out.
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import type { CheckOutcome } from '../api.js';

export const MAX_CAPTURE_BYTES = 64 * 1024;

/** Replaces `{pool}` with a shell-quoted path. */
export function substitutePool(command: string, path: string): string {
  return command.split('{pool}').join(`'${path.replace(/'/g, `'\\''`)}'`);
}

/** Runs one check command and describes how it ended. */
export function runCommand(
  command: string,
  options: { timeoutMs: number; env?: Record<string, string> },
): Promise<CheckOutcome> {
  return new Promise((resolve) => {
    const child = spawn('/bin/sh', ['-c', command], {
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
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
      if (timedOut)
        return resolve({
          output,
          passed: false,
          crash: 'timeout',
          detail: `check ran longer than ${options.timeoutMs} ms`,
        });
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
