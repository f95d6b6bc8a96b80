// Runs one shell command (a check, an --init) contained, with a time limit and bounded captured
// output, and describes how it ended as a CheckOutcome. The command runs under the check runner
// (harness/check/check-runner.c, built into build/pmfit-check-runner): it times the command from its
// exec, kills its process group and every process it left (daemons included) when it ends or runs
// out of time, and dies with pmfit taking them all along. Without the runner (native parts not
// built) the command is timed here and only its process group is killed.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { constants } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type { CheckOutcome } from '../api.js';
import { buildDir } from './paths.js';

export const MAX_CAPTURE_BYTES = 64 * 1024;

/** Exit statuses POSIX shells use for a command that could not run: not executable, not found. */
const SHELL_CANNOT_EXECUTE = 126;
const SHELL_NOT_FOUND = 127;

export function checkRunnerPath(): string {
  return join(buildDir(), 'pmfit-check-runner');
}

/** Replaces `{pool}` with a shell-quoted path. */
export function substitutePool(command: string, path: string): string {
  return substitutePools(command, new Map([['pool', path]]));
}

/** Replaces each `{NAME}` with its pool's path, shell-quoted (several pools: `--pool NAME=FILE`). */
export function substitutePools(command: string, paths: ReadonlyMap<string, string>): string {
  let text = command;
  for (const [name, path] of paths) text = text.split(`{${name}}`).join(`'${path.replace(/'/g, `'\\''`)}'`);
  return text;
}

/** Replaces each `{NAME}` in a word (an argv entry: no quoting) with its pool's path. */
export function substitutePoolsInWord(word: string, paths: ReadonlyMap<string, string>): string {
  let text = word;
  for (const [name, path] of paths) text = text.split(`{${name}}`).join(path);
  return text;
}

export interface RunCommandOptions {
  /** Time limit in ms, counted from the command's start; any positive value (clamped to what timers hold). */
  timeoutMs: number;
  env?: Record<string, string>;
}

/**
 * Runs one check command and describes how it ended. A time-out is reported as one attempt:
 * re-running it is the caller's choice.
 */
export function runCommand(command: string, options: RunCommandOptions): Promise<CheckOutcome> {
  const runner = checkRunnerPath();
  return existsSync(runner) ? runContained(runner, command, options) : runUncontained(command, options);
}

/**
 * Runs `attempt`, and once more when it times out: one slow start is not a hang. A second time-out
 * is the outcome, with `attempts: 2`. Each attempt must start from the same image.
 */
export async function rerunOnTimeout(attempt: () => Promise<CheckOutcome>): Promise<CheckOutcome> {
  const first = await attempt();
  if (first.kind !== 'timed-out') return first;
  const second = await attempt();
  return second.kind === 'timed-out' ? { ...second, attempts: 2 } : second;
}

/** Why an outcome is not a pass, in a few words (for the errors of callers that need a pass). */
export function notPassedReason(o: CheckOutcome): string {
  switch (o.kind) {
    case 'passed':
      return 'passed';
    case 'failed':
      return `failed: ${o.detail ?? 'check did not pass'}`;
    case 'crashed':
      return `was killed by ${o.signal}`;
    case 'timed-out':
      return `ran longer than ${o.limitMs} ms`;
    case 'error':
      return o.error;
  }
}

/** The outcome of a command that ran to its end with `code` or was killed by `signal`. */
export function endedOutcome(
  output: string,
  stderrLast: string,
  code: number | null,
  signal: string | null,
): CheckOutcome {
  if (signal) return { kind: 'crashed', output, signal, ...(stderrLast ? { detail: stderrLast } : {}) };
  // /bin/sh reports a child killed by signal N as exit status 128+N
  if (code !== null && code > 128 && code < 128 + 65)
    return { kind: 'crashed', output, signal: signalName(code - 128), ...(stderrLast ? { detail: stderrLast } : {}) };
  // the shell itself saying it could not run the command ("/bin/sh: 1: ./check: not found")
  if ((code === SHELL_NOT_FOUND || code === SHELL_CANNOT_EXECUTE) && /^(\/bin\/)?sh: /.test(stderrLast))
    return { kind: 'error', output, error: `could not start the check: ${stderrLast || `exit status ${code}`}` };
  if (code === 0) return { kind: 'passed', output };
  return { kind: 'failed', output, detail: stderrLast || `exit status ${code}` };
}

/** Under the check runner: it reports on fd 3 how the command ended (see check-runner.c). */
function runContained(runner: string, command: string, options: RunCommandOptions): Promise<CheckOutcome> {
  return new Promise((resolve) => {
    const limit = String(Math.max(1, Math.ceil(Number.isFinite(options.timeoutMs) ? options.timeoutMs : 2 ** 53)));
    const child = spawn(runner, [limit, '/bin/sh', '-c', command], {
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
      // its own session: a Ctrl-C at the terminal is pmfit's to handle (it lets checks in flight finish)
      detached: true,
    });
    const { stdout, stderr } = capture(child);
    let status = '';
    (child.stdio[3] as Readable).on('data', (b: Buffer) => (status += b.toString('utf8')));
    child.on('error', (err) =>
      resolve({ kind: 'error', output: '', error: `could not start the check: ${err.message}` }),
    );
    child.on('close', (code, signal) => {
      const output = stdout.text();
      const stderrLast = lastLine(stderr.text());
      const exec = /^exec (\d+)\n/.exec(status);
      if (exec)
        return resolve({ kind: 'error', output, error: `could not start the check: ${errnoName(Number(exec[1]))}` });
      const done = /^done (-?\d+) ([01]) \d+\n/.exec(status);
      if (!done) {
        const why = signal ? `was killed by ${signal}` : `exited with status ${code}`;
        return resolve({
          kind: 'error',
          output,
          error: `the check runner ${why}${stderrLast ? `: ${stderrLast}` : ''}`,
        });
      }
      if (done[2] === '1') return resolve({ kind: 'timed-out', output, limitMs: options.timeoutMs, attempts: 1 });
      const wstatus = Number(done[1]);
      const termSignal = wstatus & 0x7f;
      resolve(
        termSignal !== 0
          ? endedOutcome(output, stderrLast, null, signalName(termSignal))
          : endedOutcome(output, stderrLast, (wstatus >> 8) & 0xff, null),
      );
    });
  });
}

/** Without the runner: timed here (event-loop stalls do not count), its process group killed at the end. */
function runUncontained(command: string, options: RunCommandOptions): Promise<CheckOutcome> {
  return new Promise((resolve) => {
    const child = spawn('/bin/sh', ['-c', command], {
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    const { stdout, stderr } = capture(child);
    let timedOut = false;
    // runs until the output closes: a daemon holding it open ends as a time-out, never a hang
    const timer = patientTimer(options.timeoutMs, () => {
      timedOut = true;
      killGroup(child.pid);
      child.stdout?.destroy();
      child.stderr?.destroy();
    });
    child.on('error', (err) => {
      timer.cancel();
      resolve({ kind: 'error', output: '', error: `could not start the check: ${err.message}` });
    });
    // what the check left in its group must not hold its output open past its end
    child.on('exit', () => killGroup(child.pid));
    child.on('close', (code, signal) => {
      timer.cancel();
      const output = stdout.text();
      if (timedOut) return resolve({ kind: 'timed-out', output, limitMs: options.timeoutMs, attempts: 1 });
      resolve(endedOutcome(output, lastLine(stderr.text()), code, signal));
    });
  });
}

function capture(child: ChildProcess): { stdout: BoundedCapture; stderr: BoundedCapture } {
  const stdout = new BoundedCapture();
  const stderr = new BoundedCapture();
  child.stdout!.on('data', (b: Buffer) => stdout.add(b));
  child.stderr!.on('data', (b: Buffer) => stderr.add(b));
  return { stdout, stderr };
}

/** Kills a whole process group (a check, a traced program and all they started); gone already is fine. */
export function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    /* already gone */
  }
}

/** SIGSEGV for 11: the name a finding of kind `crash:NAME` carries. */
export function signalName(signal: number): string {
  return Object.entries(constants.signals).find(([, n]) => n === signal)?.[0] ?? `signal ${signal}`;
}

/** ENOENT for 2. */
function errnoName(errno: number): string {
  const name = Object.entries(constants.errno).find(([, n]) => n === errno)?.[0];
  return name ? `${name} (${errnoWords[name] ?? `errno ${errno}`})` : `errno ${errno}`;
}

const errnoWords: Record<string, string> = {
  ENOENT: 'no such file',
  EACCES: 'permission denied',
  ENOEXEC: 'not an executable format',
};

/** The last line of a command's output: its own words on why it failed. */
export function lastLine(text: string): string {
  return text.trimEnd().split('\n').pop() ?? '';
}

/** Longest wait handed to one setTimeout: also what a stall of the event loop can count for at most. */
const TICK_MS = 1000;

/**
 * Calls `fire` once `ms` of event-loop time has passed, counting a late tick (the loop was busy:
 * pmfit's own work, not the thing being timed) as only the time it was armed for, and deciding
 * only after the I/O that waited behind the stall was handled (a result that arrived meanwhile
 * cancels the timer first). Any positive `ms` works: no single timer is armed past TICK_MS.
 */
export function patientTimer(ms: number, fire: () => void): { cancel(): void } {
  const limit = Number.isNaN(ms) ? Number.POSITIVE_INFINITY : ms;
  let counted = 0;
  let cancelled = false;
  let handle: NodeJS.Timeout | NodeJS.Immediate | undefined;
  const step = (): void => {
    const planned = Math.max(1, Math.min(TICK_MS, limit - counted));
    const armedAt = performance.now();
    handle = setTimeout(() => {
      counted += Math.min(planned, performance.now() - armedAt);
      if (counted < limit - 0.5) return step();
      handle = setImmediate(() => {
        if (!cancelled) fire();
      });
    }, planned);
  };
  step();
  return {
    cancel() {
      cancelled = true;
      clearTimeout(handle as NodeJS.Timeout);
      clearImmediate(handle as NodeJS.Immediate);
    },
  };
}

/** Keeps at most MAX_CAPTURE_BYTES of a stream and notes how much more there was. */
export class BoundedCapture {
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
    return truncationNote(body, this.dropped);
  }
}

/** The text of a bounded capture: the kept head and a note of how many bytes were dropped. */
export function truncationNote(body: string, dropped: number): string {
  return dropped > 0 ? `${body}\n[… ${dropped} more bytes of output truncated]` : body;
}

/**
 * The path of a slot's image replaced by `{pool}` (several pools: each by its `{NAME}`): outputs must
 * not depend on which slot ran the check.
 */
export function hidePath(outcome: CheckOutcome, path: string | ReadonlyMap<string, string>): CheckOutcome {
  const paths = typeof path === 'string' ? new Map(path ? [['pool', path]] : []) : path;
  if (paths.size === 0) return outcome;
  // longest first: one slot's path may be the start of another's (`fork-0.pool`, `fork-0.pool.1`)
  const order = [...paths].sort((a, b) => b[1].length - a[1].length);
  const hide = (s: string): string => order.reduce((t, [name, p]) => t.split(p).join(`{${name}}`), s);
  const output = hide(outcome.output);
  switch (outcome.kind) {
    case 'failed':
    case 'crashed':
      return { ...outcome, output, ...(outcome.detail !== undefined ? { detail: hide(outcome.detail) } : {}) };
    case 'error':
      return { ...outcome, output, error: hide(outcome.error) };
    default:
      return { ...outcome, output };
  }
}
