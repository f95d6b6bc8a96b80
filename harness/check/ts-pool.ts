// A pool of worker threads running a TypeScript scenario's check. Each worker has a few images in
// flight so it never waits for the main thread between checks; results come back in order per
// worker. A check that runs past its timeout has its worker terminated and replaced: that image's
// outcome is `timeout` (a finding, never a pass) and the worker's other images are checked again.
import { Worker } from 'node:worker_threads';
import type { CheckOutcome, Checker } from '../../core/api.js';

export interface TsCheckPoolOptions {
  scenarioModule: string;
  exportName: string;
  jobs: number;
  timeoutMs: number;
}

interface Job {
  id: number;
  image: Buffer;
  resolve: (outcome: CheckOutcome) => void;
}

interface Slot {
  worker: Worker;
  /** Jobs sent to the worker, oldest (the one running) first. */
  inFlight: Job[];
  timer?: NodeJS.Timeout;
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

  check(image: Buffer): Promise<CheckOutcome> {
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
        const image = transferable(job.image);
        slot.worker.postMessage({ id: job.id, image }, [image]);
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
