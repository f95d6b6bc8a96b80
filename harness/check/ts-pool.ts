// A pool of worker threads running a TypeScript scenario's check. Each worker has a few images in
// flight so it never waits for the main thread between checks; results come back in order per
// worker. The time limit of a check counts from the moment the worker is ready (scenario imported)
// and the check is the one it runs, on a timer that does not count time pmfit's own event loop
// spent busy (patientTimer). A check past its limit has its worker terminated and is run once more
// on a fresh worker; a second time-out is the outcome `timed-out` (a finding, never a pass). The
// worker's other images are checked again elsewhere. Workers have a bounded heap.
import { Worker } from 'node:worker_threads';
import type { CheckOutcome, Checker, LineImage, LineJournalView } from '../../core/api.js';
import { LINE_BYTES } from '../../core/geometry.js';
import { patientTimer } from '../../core/support/run-command.js';

export interface TsCheckPoolOptions {
  scenarioModule: string;
  exportName: string;
  jobs: number;
  timeoutMs: number;
  /** Heap limit of each worker in MiB (default WORKER_HEAP_MB). */
  maxHeapMb?: number;
}

interface Job {
  id: number;
  /** The caller's image, kept for a re-run: each worker gets its own copy (or the lines it lacks). */
  image: Buffer | LineImage;
  /** Attempts that ran past the time limit. */
  timeouts: number;
  resolve: (outcome: CheckOutcome) => void;
}

interface Slot {
  worker: Worker;
  /** The worker has imported the scenario: time spent before does not count. */
  ready: boolean;
  /** Settles once the worker is ready, failed or gone: until then it is still importing its module. */
  loaded: Promise<void>;
  /** Jobs sent to the worker, oldest (the one running) first. */
  inFlight: Job[];
  timer?: { cancel(): void };
  /** The journal image the worker holds as its base, once sent: later images go as the lines that changed. */
  synced?: { journal: LineJournalView; position: number };
}

/** What the worker is sent for one image (see ts-worker.ts). */
export interface WorkerImage {
  id: number;
  /** An image given whole; or else one built from the worker's base: */
  whole?: ArrayBuffer;
  /** A new base (a whole journal image), then journal entries to apply to the base, then overrides. */
  base?: ArrayBuffer;
  changedLines?: Int32Array;
  changedContents?: Uint8Array;
  size?: number;
  overrideLines?: Int32Array;
  overrideContents?: Uint8Array;
}

/** A private copy of an image for a worker: the caller's image stays intact for a re-run. */
function copyOf(image: Buffer): ArrayBuffer {
  const copy = new Uint8Array(image.length);
  copy.set(image);
  return copy.buffer;
}

/** The message for one job: a whole image, or the lines that changed since the worker's base. */
function toWorker(slot: Slot, job: Job): WorkerImage {
  const image = job.image;
  if (Buffer.isBuffer(image)) return { id: job.id, whole: copyOf(image) };
  const journal = image.journal;
  const message: WorkerImage = { id: job.id, size: image.size };
  const from = slot.synced;
  if (from && from.journal === journal && image.position >= from.position && from.position >= journal.start) {
    const count = image.position - from.position;
    message.changedLines = new Int32Array(count);
    message.changedContents = new Uint8Array(count * LINE_BYTES);
    for (let i = 0; i < count; i++) {
      message.changedLines[i] = journal.lineAt(from.position + i);
      message.changedContents.set(journal.contentAt(from.position + i), i * LINE_BYTES);
    }
  } else {
    const base = new Uint8Array(journal.imageBytes);
    journal.materialize(image.position, base);
    message.base = base.buffer;
  }
  slot.synced = { journal, position: image.position };
  message.overrideLines = Int32Array.from(image.overrideLines);
  message.overrideContents = new Uint8Array(image.overrideLines.length * LINE_BYTES);
  image.overrideContents.forEach((c, i) => message.overrideContents!.set(c, i * LINE_BYTES));
  return message;
}

function transfers(message: WorkerImage): ArrayBuffer[] {
  return [
    message.whole,
    message.base,
    message.changedLines?.buffer,
    message.changedContents?.buffer,
    message.overrideLines?.buffer,
    message.overrideContents?.buffer,
  ].filter((b): b is ArrayBuffer => b instanceof ArrayBuffer);
}

/** Images queued per worker: enough to hide the message round trip, few enough to rebalance. */
const PIPELINE_DEPTH = 8;
/** ...and at most this many bytes of images per worker, so a large pool costs about one image per slot. */
const PIPELINE_BYTES = 16 * 1024 * 1024;
/** Heap of a check worker: a check that needs more is an error, not a pmfit that runs out of memory. */
export const WORKER_HEAP_MB = 512;
/** How long a worker may take to import the scenario module (event-loop time, generous). */
const STARTUP_MS = 120_000;
const WORKER_URL = new URL('./ts-worker.js', import.meta.url);

export class TsCheckPool implements Checker {
  private readonly slots: Slot[] = [];
  private readonly queue: Job[] = [];
  private nextId = 0;
  private closed = false;

  constructor(private readonly options: TsCheckPoolOptions) {
    for (let i = 0; i < Math.max(1, options.jobs); i++) {
      const slot = { inFlight: [], ready: false } as unknown as Slot;
      this.startWorker(slot);
      this.slots.push(slot);
    }
  }

  check(image: Buffer | LineImage): Promise<CheckOutcome> {
    if (this.closed) return Promise.resolve({ kind: 'error', output: '', error: 'the check pool is closed' });
    return new Promise((resolve) => {
      this.queue.push({ id: this.nextId++, image, timeouts: 0, resolve });
      this.dispatch();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const slot of this.slots) slot.timer?.cancel();
    // A worker terminated while its top-level await (the scenario's import) is pending takes the
    // whole process down in Node 20's V8 ("Check failed: (location_) != nullptr", nodejs/node
    // #53238): let it finish loading first, within the check time limit (a module whose import never
    // settles is terminated anyway).
    await Promise.all(
      this.slots.map(async (s) => {
        await settledWithin(s.loaded, this.options.timeoutMs);
        await s.worker.terminate();
      }),
    );
  }

  /** Starts a worker for `slot`; events of a worker the slot no longer owns are ignored. */
  private startWorker(slot: Slot): void {
    const worker = new Worker(WORKER_URL, {
      workerData: { scenarioModule: this.options.scenarioModule, exportName: this.options.exportName },
      resourceLimits: { maxOldGenerationSizeMb: this.heapMb() },
    });
    slot.worker = worker;
    slot.ready = false;
    slot.synced = undefined;
    let loaded = (): void => {};
    slot.loaded = new Promise<void>((resolve) => {
      loaded = resolve;
    });
    worker.once('exit', loaded);
    worker.once('error', loaded);
    worker.on('message', (msg: { id: number; outcome: CheckOutcome } | { ready: true }) => {
      if (slot.worker !== worker) return;
      if ('ready' in msg) {
        loaded();
        slot.ready = true;
        this.armTimer(slot);
      } else this.finish(slot, msg.outcome);
    });
    worker.on('error', (err: Error & { code?: string }) => {
      if (slot.worker !== worker) return;
      this.fail(
        slot,
        err.code === 'ERR_WORKER_OUT_OF_MEMORY'
          ? `the check ran out of memory (a worker's heap is ${this.heapMb()} MiB)`
          : `check worker failed: ${err.message}`,
      );
    });
    worker.unref();
  }

  private heapMb(): number {
    return this.options.maxHeapMb ?? WORKER_HEAP_MB;
  }

  private dispatch(): void {
    for (const slot of this.slots) {
      while (slot.inFlight.length < this.depth() && this.queue.length > 0) this.send(slot, this.queue.shift()!);
    }
  }

  private depth(): number {
    const next = this.queue[0]?.image;
    const size = next === undefined ? 1 : Buffer.isBuffer(next) ? next.length : next.size;
    return Math.max(1, Math.min(PIPELINE_DEPTH, Math.floor(PIPELINE_BYTES / Math.max(1, size))));
  }

  private send(slot: Slot, job: Job): void {
    slot.inFlight.push(job);
    // the worker gets a copy of its own (or composes one): the check may write to it, and the
    // original stays for a re-run
    const message = toWorker(slot, job);
    slot.worker.postMessage(message, transfers(message));
    if (slot.inFlight.length === 1) this.armTimer(slot);
  }

  private finish(slot: Slot, outcome: CheckOutcome): void {
    const job = slot.inFlight.shift();
    if (!job) return;
    this.armTimer(slot);
    job.resolve(outcome);
    this.dispatch();
  }

  /**
   * Times the check the worker runs now (the oldest in flight) once the worker is ready; before,
   * only a generous start-up limit runs. A pending timer is also what keeps pmfit alive meanwhile.
   */
  private armTimer(slot: Slot): void {
    slot.timer?.cancel();
    slot.timer = undefined;
    if (slot.inFlight.length === 0) return;
    slot.timer = slot.ready
      ? patientTimer(this.options.timeoutMs, () => this.timeOut(slot))
      : patientTimer(STARTUP_MS, () => this.fail(slot, `the check worker did not start within ${STARTUP_MS} ms`));
  }

  private timeOut(slot: Slot): void {
    const [running, ...rest] = slot.inFlight;
    if (!running) return;
    running.timeouts += 1;
    if (running.timeouts < 2) {
      // once more, first thing on a fresh worker
      this.restart(slot, rest);
      this.send(slot, running);
    } else {
      this.restart(slot, rest);
      running.resolve({ kind: 'timed-out', output: '', limitMs: this.options.timeoutMs, attempts: running.timeouts });
    }
    this.dispatch();
  }

  /** The worker is gone or stuck: the image it was running fails with `error`; the others are checked again. */
  private fail(slot: Slot, error: string): void {
    const [running, ...rest] = slot.inFlight;
    this.restart(slot, rest);
    running?.resolve({ kind: 'error', output: '', error });
    this.dispatch();
  }

  /** Replaces the slot's worker; images it had not checked yet go back to the front of the queue. */
  private restart(slot: Slot, unchecked: Job[]): void {
    slot.timer?.cancel();
    void slot.worker.terminate();
    slot.inFlight = [];
    this.queue.unshift(...unchecked);
    if (!this.closed) this.startWorker(slot);
  }
}

/**
 * Waits for `promise` at most `ms`. The timer keeps the process alive meanwhile: the workers are
 * unref'd, so without it a process with nothing else to do would end before their ready message.
 */
function settledWithin(promise: Promise<void>, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, Math.max(1, Math.min(ms, 2_147_483_647)));
    void promise.then(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}
