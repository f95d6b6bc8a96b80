// Runs a native check program through fork servers (harness/check/fork-server/server.c): each of
// --jobs slots starts the program once with the preload library, and every check is then a fork of
// that process rather than an exec. Outcomes follow runCommand (core/support/run-command.ts) exactly.
//
// Per slot, in `dir`: the image file `{pool}` stands for (rewritten before each check), and two files
// where the server keeps the first MAX_CAPTURE_BYTES of the check's stdout and stderr (pipes it drains;
// the status gives the full sizes, so the truncation note is the one runCommand writes).
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, ftruncateSync, openSync, readSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { buildDir } from '../../../core/support/paths.js';
import type { Readable, Writable } from 'node:stream';
import type { CheckOutcome, Checker } from '../../../core/api.js';
import type { ExternalCheckOptions } from '../external-pool.js';
import { MAX_CAPTURE_BYTES, signalName } from '../../../core/support/run-command.js';
export { forkServerSupport } from './support.js';
import { forkServerSupport } from './support.js';

export interface ForkServerCheckOptions extends ExternalCheckOptions {
  /** The preload library; default build/libpmfit-forkserver.so in the repository. */
  library?: string;
}

export const DEFAULT_FORKSERVER_LIBRARY = join(buildDir(), 'libpmfit-forkserver.so');

/** How long past the check's own timeout the harness waits for a server's answer. */
const ANSWER_GRACE_MS = 2000;
const STATUS_BYTES = 32;
const KIND_HELLO = 1;
const KIND_DONE = 2;
const KIND_FAILED = 3;
const FLAG_TIMEOUT = 1;

interface Status {
  kind: number;
  seq: number;
  value: number;
  flags: number;
  outSize: number;
  errSize: number;
}

interface Pending {
  seq: number;
  settle: (result: Status | Error) => void;
}

/** One running fork server. */
interface Server {
  child: ChildProcess;
  commands: Writable;
  statuses: Readable;
  buffered: Buffer;
  /** The server's own diagnostics (its stderr), last few KiB. */
  diagnostics: string;
  exited?: string;
  pending?: Pending;
}

interface Slot {
  imagePath: string;
  imageFd: number;
  outFd: number;
  errFd: number;
  outPath: string;
  errPath: string;
  server?: Server;
}

export class ForkServerCheckPool implements Checker {
  private readonly argv: string[];
  private readonly library: string;
  private readonly slots: Slot[] = [];
  private readonly free: Slot[] = [];
  private readonly waiting: Array<(slot: Slot | undefined) => void> = [];
  private seq = 0;
  private closed = false;

  /** Throws when the command cannot run under a fork server (see forkServerSupport). */
  constructor(private readonly options: ForkServerCheckOptions) {
    const support = forkServerSupport(options.command);
    if (!support.ok) throw new Error(`the fork server cannot run this check: ${support.reason}`);
    this.argv = support.argv;
    this.library = options.library ?? DEFAULT_FORKSERVER_LIBRARY;
    if (!existsSync(this.library)) {
      throw new Error(`the fork-server library ${this.library} is missing: build it with \`make fork-server\``);
    }
    for (let i = 0; i < Math.max(1, options.jobs); i++) {
      const base = join(options.dir, `fork-${i}`);
      const slot: Slot = {
        imagePath: `${base}.pool`,
        outPath: `${base}.out`,
        errPath: `${base}.err`,
        imageFd: openSync(`${base}.pool`, 'w+', 0o600),
        outFd: openSync(`${base}.out`, 'w+', 0o600),
        errFd: openSync(`${base}.err`, 'w+', 0o600),
      };
      this.slots.push(slot);
      this.free.push(slot);
    }
  }

  async check(image: Buffer): Promise<CheckOutcome> {
    const slot = await this.acquire();
    if (!slot) return { output: '', passed: false, error: 'the check pool is closed' };
    try {
      return await this.run(slot, image);
    } catch (err) {
      return { output: '', passed: false, error: `could not run the check: ${(err as Error).message}` };
    } finally {
      this.release(slot);
    }
  }

  /** Stops every server (and any check it runs) and waits until they are gone. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const resolve of this.waiting.splice(0)) resolve(undefined);
    await Promise.all(this.slots.map((slot) => this.stop(slot)));
    for (const slot of this.slots) for (const fd of [slot.imageFd, slot.outFd, slot.errFd]) closeSync(fd);
  }

  private async run(slot: Slot, image: Buffer): Promise<CheckOutcome> {
    writeSync(slot.imageFd, image, 0, image.length, 0);
    ftruncateSync(slot.imageFd, image.length);
    const server = slot.server && !slot.server.exited ? slot.server : this.start(slot);
    const result = await this.ask(slot, server);
    if (result instanceof Error) return { output: '', passed: false, error: result.message };
    if (result.kind === KIND_FAILED) {
      return { output: '', passed: false, error: `the fork server could not start the check (errno ${result.value})` };
    }
    const output = readCapture(slot.outFd, result.outSize);
    const stderrLast = lastLine(readCapture(slot.errFd, result.errSize));
    return describe(result.value, (result.flags & FLAG_TIMEOUT) !== 0, output, stderrLast, this.options.timeoutMs);
  }

  /** Sends one command and waits for its status, the server's death, or the grace timeout. */
  private ask(slot: Slot, server: Server): Promise<Status | Error> {
    return new Promise((resolve) => {
      const seq = (this.seq = (this.seq + 1) >>> 0);
      const timer = setTimeout(() => {
        // The server itself enforces the timeout; silence past it means the server is stuck.
        settle(new Error(`the fork server did not answer within ${this.options.timeoutMs + ANSWER_GRACE_MS} ms`));
        this.kill(slot);
      }, this.options.timeoutMs + ANSWER_GRACE_MS);
      const settle = (result: Status | Error): void => {
        if (server.pending?.seq !== seq) return;
        server.pending = undefined;
        clearTimeout(timer);
        resolve(result);
      };
      server.pending = { seq, settle };
      const command = Buffer.alloc(8);
      command.writeUInt32LE(seq, 0);
      command.writeUInt32LE(Math.max(1, Math.min(0xffffffff, Math.ceil(this.options.timeoutMs))), 4);
      server.commands.write(command);
    });
  }

  private start(slot: Slot): Server {
    const [program, ...args] = this.argv.map((a) => a.split('{pool}').join(slot.imagePath));
    const env: Record<string, string | undefined> = { ...process.env, ...this.options.env };
    env.LD_PRELOAD = env.LD_PRELOAD ? `${env.LD_PRELOAD}:${this.library}` : this.library;
    env.PMFIT_POOL = slot.imagePath; // for checks that read it from the environment (--check-reads-env)
    env.PMFIT_FORKSERVER_FD = '3,4';
    env.PMFIT_FORKSERVER_OUT = slot.outPath;
    env.PMFIT_FORKSERVER_ERR = slot.errPath;
    env.PMFIT_FORKSERVER_CAPTURE = String(MAX_CAPTURE_BYTES);
    const child = spawn(program!, args, { env, stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'], detached: true });
    const server: Server = {
      child,
      commands: child.stdio[3] as Writable,
      statuses: child.stdio[4] as Readable,
      buffered: Buffer.alloc(0),
      diagnostics: '',
    };
    slot.server = server;
    const fail = (why: string): void => {
      if (server.exited) return;
      server.exited = why;
      const said = lastLine(server.diagnostics);
      server.pending?.settle(new Error(`the fork server ${why}${said ? `: ${said}` : ''}`));
    };
    child.on('error', (err) => fail(`could not start: ${err.message}`));
    child.on('exit', (code, signal) => fail(signal ? `was killed by ${signal}` : `exited with status ${code}`));
    child.stderr!.on(
      'data',
      (b: Buffer) => (server.diagnostics = (server.diagnostics + b.toString('utf8')).slice(-4096)),
    );
    server.commands.on('error', () => {
      /* the exit event reports it */
    });
    server.statuses.on('data', (b: Buffer) => this.receive(server, b));
    // Idle servers must not keep the process alive; a pending check holds its own timer.
    child.unref();
    for (const stream of [child.stderr, child.stdio[3], child.stdio[4]])
      (stream as unknown as { unref?: () => void }).unref?.();
    return server;
  }

  private receive(server: Server, chunk: Buffer): void {
    server.buffered = server.buffered.length ? Buffer.concat([server.buffered, chunk]) : chunk;
    while (server.buffered.length >= STATUS_BYTES) {
      const m = server.buffered;
      const status: Status = {
        kind: m.readUInt32LE(0),
        seq: m.readUInt32LE(4),
        value: m.readInt32LE(8),
        flags: m.readUInt32LE(12),
        outSize: Number(m.readBigUInt64LE(16)),
        errSize: Number(m.readBigUInt64LE(24)),
      };
      server.buffered = m.subarray(STATUS_BYTES);
      if (status.kind === KIND_HELLO) continue;
      if (status.kind !== KIND_DONE && status.kind !== KIND_FAILED) {
        server.pending?.settle(new Error(`the fork server sent a message of unknown kind ${status.kind}`));
        continue;
      }
      if (server.pending?.seq === status.seq) server.pending.settle(status);
    }
  }

  /** Kills a slot's server at once; its running check dies with it (PR_SET_PDEATHSIG). */
  private kill(slot: Slot): void {
    const server = slot.server;
    if (!server) return;
    slot.server = undefined;
    try {
      process.kill(-server.child.pid!, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }

  /** Asks a slot's server to leave (EOF on its commands), then kills it if it lingers. */
  private async stop(slot: Slot): Promise<void> {
    const server = slot.server;
    if (!server) return;
    if (!server.exited && server.child.exitCode === null && server.child.signalCode === null) {
      const gone = new Promise<void>((resolve) => server.child.once('exit', () => resolve()));
      server.commands.end();
      const timer = setTimeout(() => this.kill(slot), 1000);
      await gone;
      clearTimeout(timer);
    }
    slot.server = undefined;
    server.statuses.destroy();
    server.child.stderr?.destroy();
  }

  private acquire(): Promise<Slot | undefined> {
    if (this.closed) return Promise.resolve(undefined);
    const slot = this.free.pop();
    if (slot) return Promise.resolve(slot);
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private release(slot: Slot): void {
    const next = this.waiting.shift();
    if (next) next(slot);
    else this.free.push(slot);
  }
}

/** Turns a wait status into the outcome runCommand would give for the same ending. */
function describe(
  wstatus: number,
  timedOut: boolean,
  output: string,
  stderrLast: string,
  timeoutMs: number,
): CheckOutcome {
  if (timedOut) return { output, passed: false, crash: 'timeout', detail: `check ran longer than ${timeoutMs} ms` };
  const signal = wstatus & 0x7f;
  if (signal !== 0) {
    const name = signalName(signal);
    // Under runCommand /bin/sh reports the signal on stderr ("Segmentation fault"); here the check's
    // own last stderr line is kept, or the signal is named.
    return { output, passed: false, crash: name, detail: stderrLast || `killed by ${name}` };
  }
  const code = (wstatus >> 8) & 0xff;
  return { output, passed: code === 0, ...(code !== 0 ? { detail: stderrLast || `exit status ${code}` } : {}) };
}

/** Reads at most MAX_CAPTURE_BYTES of an output file and notes how much more there was. */
function readCapture(fd: number, size: number): string {
  if (size <= 0) return '';
  const kept = Math.min(size, MAX_CAPTURE_BYTES);
  const buf = Buffer.allocUnsafe(kept);
  let got = 0;
  while (got < kept) {
    const n = readSync(fd, buf, got, kept - got, got);
    if (n === 0) break;
    got += n;
  }
  const body = buf.subarray(0, got).toString('utf8');
  return size > MAX_CAPTURE_BYTES ? `${body}\n[… ${size - MAX_CAPTURE_BYTES} more bytes of output truncated]` : body;
}

function lastLine(text: string): string {
  return text.trimEnd().split('\n').pop() ?? '';
}
