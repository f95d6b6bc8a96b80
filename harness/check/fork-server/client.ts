// Runs a native check program through fork servers (harness/check/fork-server/server.c): each of
// --jobs slots starts the program once with the preload library, and every check is then a fork of
// that process rather than an exec. Outcomes follow runCommand (core/support/run-command.ts) exactly.
//
// Per slot, in `dir`: the image file `{pool}` stands for (rewritten before each check, recreated when
// a check deleted or replaced it), and two files where the server keeps the first MAX_CAPTURE_BYTES of
// the check's stdout and stderr (pipes it drains; the status gives the full sizes, so the truncation
// note is the one runCommand writes). The server times each check from its fork and kills its whole
// tree (protocol.h, PROTOCOL.md); a check past its timeout runs once more before it counts as timed out.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { buildDir } from '../../../core/support/paths.js';
import type { Readable, Writable } from 'node:stream';
import type { CheckOutcome, Checker, LineImage } from '../../../core/api.js';
import { type ExternalCheckOptions, poolEnv } from '../external-pool.js';
import { SlotImage } from '../slot-image.js';
import {
  MAX_CAPTURE_BYTES,
  endedOutcome,
  hidePath,
  lastLine,
  patientTimer,
  rerunOnTimeout,
  signalName,
  substitutePoolsInWord,
  truncationNote,
} from '../../../core/support/run-command.js';
export { forkServerSupport } from './support.js';
import { forkServerSupport } from './support.js';

export interface ForkServerCheckOptions extends ExternalCheckOptions {
  /** The preload library; default build/libpmfit-forkserver.so in the repository. */
  library?: string;
}

export const DEFAULT_FORKSERVER_LIBRARY = join(buildDir(), 'libpmfit-forkserver.so');

/** How long past the check's own timeout the harness waits for a server's answer (busy loop time not counted). */
const ANSWER_GRACE_MS = 10_000;
// protocol.h, mirrored: keep in step with it (the server's hello carries its version)
const PROTOCOL_VERSION = 2;
const COMMAND_BYTES = 8;
const STATUS_BYTES = 40;
const KIND_HELLO = 1;
const KIND_DONE = 2;
const KIND_FAILED = 3;
const FLAG_TIMEOUT = 1;
/** The largest timeout_ms a command carries (u32). */
const MAX_TIMEOUT_MS = 0xffffffff;

interface Status {
  kind: number;
  seq: number;
  value: number;
  flags: number;
  outSize: number;
  errSize: number;
  elapsedUs: number;
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
  /** The image file, rewritten before each check only where the next image differs. */
  image: SlotImage;
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
        image: new SlotImage(`${base}.pool`, options.layout),
        outFd: openSync(`${base}.out`, 'w+', 0o600),
        errFd: openSync(`${base}.err`, 'w+', 0o600),
      };
      this.slots.push(slot);
      this.free.push(slot);
    }
  }

  async check(image: Buffer | LineImage): Promise<CheckOutcome> {
    const slot = await this.acquire();
    if (!slot) return { kind: 'error', output: '', error: 'the check pool is closed' };
    try {
      return hidePath(await rerunOnTimeout(() => this.run(slot, image)), slot.image.placeholders);
    } catch (err) {
      return { kind: 'error', output: '', error: `could not run the check: ${(err as Error).message}` };
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
    for (const slot of this.slots) {
      slot.image.close();
      for (const fd of [slot.outFd, slot.errFd]) closeSync(fd);
    }
  }

  /** One attempt: presents the image in the slot's file and has the server run the check on it. */
  private async run(slot: Slot, image: Buffer | LineImage): Promise<CheckOutcome> {
    slot.image.present(image);
    const server = slot.server && !slot.server.exited ? slot.server : this.start(slot);
    const result = await this.ask(slot, server).finally(() => slot.image.checked());
    if (result instanceof Error) return { kind: 'error', output: '', error: result.message };
    if (result.kind === KIND_FAILED) {
      return { kind: 'error', output: '', error: `the fork server could not start the check (errno ${result.value})` };
    }
    const output = readCapture(slot.outFd, result.outSize);
    const stderrLast = lastLine(readCapture(slot.errFd, result.errSize));
    if ((result.flags & FLAG_TIMEOUT) !== 0)
      return { kind: 'timed-out', output, limitMs: this.options.timeoutMs, attempts: 1 };
    return describe(result.value, output, stderrLast);
  }

  /** Sends one command and waits for its status, the server's death, or the grace timeout. */
  private ask(slot: Slot, server: Server): Promise<Status | Error> {
    return new Promise((resolve) => {
      const seq = (this.seq = (this.seq + 1) >>> 0);
      const limit = Math.max(1, Math.min(MAX_TIMEOUT_MS, Math.ceil(this.options.timeoutMs) || MAX_TIMEOUT_MS));
      // The server itself enforces the timeout; silence well past it means the server is stuck.
      const timer = patientTimer(limit + ANSWER_GRACE_MS, () => {
        settle(new Error(`the fork server did not answer within ${limit + ANSWER_GRACE_MS} ms`));
        this.kill(slot);
      });
      const settle = (result: Status | Error): void => {
        if (server.pending?.seq !== seq) return;
        server.pending = undefined;
        timer.cancel();
        resolve(result);
      };
      server.pending = { seq, settle };
      const command = Buffer.alloc(COMMAND_BYTES);
      command.writeUInt32LE(seq, 0);
      command.writeUInt32LE(limit, 4);
      server.commands.write(command);
    });
  }

  private start(slot: Slot): Server {
    const [program, ...args] = this.argv.map((a) => substitutePoolsInWord(a, slot.image.placeholders));
    const env: Record<string, string | undefined> = { ...process.env, ...this.options.env };
    env.LD_PRELOAD = env.LD_PRELOAD ? `${env.LD_PRELOAD}:${this.library}` : this.library;
    Object.assign(env, poolEnv(slot.image.placeholders)); // for checks that read it from the environment (--check-reads-env)
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
        elapsedUs: Number(m.readBigUInt64LE(32)),
      };
      server.buffered = m.subarray(STATUS_BYTES);
      if (status.kind === KIND_HELLO) {
        if (status.flags !== PROTOCOL_VERSION) this.mismatch(server, status.flags);
        continue;
      }
      if (status.kind !== KIND_DONE && status.kind !== KIND_FAILED) {
        server.pending?.settle(new Error(`the fork server sent a message of unknown kind ${status.kind}`));
        continue;
      }
      if (server.pending?.seq === status.seq) server.pending.settle(status);
    }
  }

  /** A server of another protocol version: nothing it says can be trusted, so it is stopped. */
  private mismatch(server: Server, version: number): void {
    const why = `speaks protocol version ${version}, this pmfit ${PROTOCOL_VERSION}: rebuild it with \`make fork-server\``;
    server.exited = why;
    server.pending?.settle(new Error(`the fork-server library ${this.library} ${why}`));
    const slot = this.slots.find((s) => s.server === server);
    if (slot) this.kill(slot);
  }

  /**
   * Stops a slot's server at once: SIGTERM makes it kill its running check's whole tree and leave
   * (server.c); SIGKILL, for a server that lingers, leaves the check to its PR_SET_PDEATHSIG.
   */
  private kill(slot: Slot, signal: NodeJS.Signals = 'SIGTERM'): void {
    const server = slot.server;
    if (!server) return;
    if (signal === 'SIGTERM') slot.server = undefined;
    try {
      process.kill(server.child.pid!, signal);
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
      const timer = setTimeout(() => this.kill(slot, 'SIGKILL'), 1000);
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
function describe(wstatus: number, output: string, stderrLast: string): CheckOutcome {
  const signal = wstatus & 0x7f;
  // Under runCommand /bin/sh reports the signal on stderr ("Segmentation fault"); here the check's
  // own last stderr line is kept, or the signal is named.
  if (signal !== 0)
    return endedOutcome(output, stderrLast || `killed by ${signalName(signal)}`, null, signalName(signal));
  return endedOutcome(output, stderrLast, (wstatus >> 8) & 0xff, null);
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
  return truncationNote(buf.subarray(0, got).toString('utf8'), Math.max(0, size - MAX_CAPTURE_BYTES));
}
