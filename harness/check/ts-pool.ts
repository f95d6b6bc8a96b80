// A pool of worker threads running a TypeScript scenario's check. Each worker has a few images in
// flight so it never waits for the main thread between checks; results come back in order per
// worker. A check that runs past its timeout has its worker terminated and replaced: that image's
// outcome is `timeout` (a finding, never a pass) and the worker's other images are checked again.
import { Worker } from 'node:worker_threads';
import type { CheckOutcome, Checker, LineImage, LineJournalView } from '../../core/api.js';
import { LINE_BYTES } from '../../core/geometry.js';

export interface TsCheckPoolOptions {
  scenarioModule: string;
  exportName: string;
  jobs: number;
  timeoutMs: number;
}

interface Job {
  id: number;
  image: Buffer | LineImage;
  resolve: (outcome: CheckOutcome) => void;
}

interface Slot {
  worker: Worker;
  /** Jobs sent to the worker, oldest (the one running) first. */
  inFlight: Job[];
  timer?: NodeJS.Timeout;
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

/**
 * The image's own ArrayBuffer when the image spans all of it (the check may write to it: the
 * caller gave it away), else a copy — a Buffer from Node's shared pool must not be transferred.
 */
function transferable(image: Buffer): ArrayBuffer {
  if (image.byteOffset === 0 && image.buffer.byteLength === image.length && image.buffer instanceof ArrayBuffer)
    return image.buffer;
  const copy = new Uint8Array(image.length);
  copy.set(image);
  return copy.buffer;
}

/** The message for one job: a whole image, or the lines that changed since the worker's base. */
function toWorker(slot: Slot, job: Job): WorkerImage {
  const image = job.image;
  if (Buffer.isBuffer(image)) return { id: job.id, whole: transferable(image) };
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
const WORKER_URL = new URL('./ts-worker.js', import.meta.url);

export class TsCheckPool implements Checker {
  private readonly slots: Slot[] = [];
  private readonly queue: Job[] = [];
  private nextId = 0;

  constructor(private readonly options: TsCheckPoolOptions) {
    for (let i = 0; i < Math.max(1, options.jobs); i++) {
      const slot = { inFlight: [] } as unknown as Slot;
      this.startWorker(slot);
      this.slots.push(slot);
    }
  }

  check(image: Buffer | LineImage): Promise<CheckOutcome> {
    return new Promise((resolve) => {
      this.queue.push({ id: this.nextId++, image, resolve });
      this.dispatch();
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }

  /** Starts a worker for `slot`; events of a worker the slot no longer owns are ignored. */
  private startWorker(slot: Slot): void {
    const worker = new Worker(WORKER_URL, {
      workerData: { scenarioModule: this.options.scenarioModule, exportName: this.options.exportName },
    });
    slot.worker = worker;
    slot.synced = undefined;
    worker.on('message', (msg: { id: number; outcome: CheckOutcome }) => {
      if (slot.worker === worker) this.finish(slot, msg.outcome);
    });
    worker.on('error', (err) => {
      if (slot.worker !== worker) return;
      // The worker is gone: the running image failed with it; the others go back to the queue.
      const [running, ...rest] = slot.inFlight;
      this.restart(slot, rest);
      running?.resolve({ output: '', passed: false, error: `check worker failed: ${err.message}` });
      this.dispatch();
    });
    worker.unref();
  }

  private dispatch(): void {
    for (const slot of this.slots) {
      while (slot.inFlight.length < PIPELINE_DEPTH && this.queue.length > 0) {
        const job = this.queue.shift()!;
        slot.inFlight.push(job);
        const message = toWorker(slot, job);
        slot.worker.postMessage(message, transfers(message));
        if (slot.inFlight.length === 1) this.armTimer(slot);
      }
    }
  }

  private finish(slot: Slot, outcome: CheckOutcome): void {
    const job = slot.inFlight.shift();
    if (!job) return;
    clearTimeout(slot.timer);
    if (slot.inFlight.length > 0) this.armTimer(slot);
    job.resolve(outcome);
    this.dispatch();
  }

  private armTimer(slot: Slot): void {
    clearTimeout(slot.timer);
    slot.timer = setTimeout(() => this.timeOut(slot), this.options.timeoutMs);
  }

  private timeOut(slot: Slot): void {
    const [running, ...rest] = slot.inFlight;
    if (!running) return;
    this.restart(slot, rest);
    running.resolve({
      output: '',
      passed: false,
      crash: 'timeout',
      detail: `check ran longer than ${this.options.timeoutMs} ms`,
    });
    this.dispatch();
  }

  /** Replaces the slot's worker; images it had not checked yet go back to the front of the queue. */
  private restart(slot: Slot, unchecked: Job[]): void {
    clearTimeout(slot.timer);
    void slot.worker.terminate();
    slot.inFlight = [];
    this.queue.unshift(...unchecked);
    this.startWorker(slot);
  }
}
