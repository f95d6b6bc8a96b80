// A pool of worker threads running a TypeScript scenario's check, one image at a time per worker.
// A check that runs past its timeout has its worker terminated and replaced; the image's outcome
// is `timeout`, a finding of its own, never a pass.
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { CheckOutcome, Checker } from '../core/api.js';

export interface TsCheckPoolOptions {
  scenarioModule: string;
  exportName: string;
  jobs: number;
  timeoutMs: number;
  /** Private directory for the workers' image files. */
  dir: string;
}

interface Job {
  id: number;
  image: Buffer;
  resolve: (outcome: CheckOutcome) => void;
}

interface Slot {
  worker: Worker;
  job?: Job;
  timer?: NodeJS.Timeout;
}

const WORKER_URL = new URL('./ts-check-worker.js', import.meta.url);

export class TsCheckPool implements Checker {
  private readonly slots: Slot[] = [];
  private readonly queue: Job[] = [];
  private nextId = 0;
  private spawned = 0;

  constructor(private readonly options: TsCheckPoolOptions) {
    for (let i = 0; i < Math.max(1, options.jobs); i++) {
      const slot = {} as Slot;
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
    const imagePath = join(this.options.dir, `ts-worker-${this.spawned++}.pool`);
    const worker = new Worker(WORKER_URL, {
      workerData: { scenarioModule: this.options.scenarioModule, exportName: this.options.exportName, imagePath },
    });
    slot.worker = worker;
    worker.on('message', (msg: { id: number; outcome: CheckOutcome }) => {
      if (slot.worker === worker) this.finish(slot, msg.outcome);
    });
    worker.on('error', (err) => {
      if (slot.worker !== worker) return;
      // The worker is gone: replace it first, so the slot can take the next job.
      this.startWorker(slot);
      this.finish(slot, { output: '', passed: false, error: `check worker failed: ${err.message}` });
    });
    worker.unref();
  }

  private dispatch(): void {
    for (const slot of this.slots) {
      if (slot.job || this.queue.length === 0) continue;
      const job = this.queue.shift()!;
      slot.job = job;
      slot.timer = setTimeout(() => this.timeOut(slot), this.options.timeoutMs);
      slot.worker.postMessage({ id: job.id, image: job.image });
    }
  }

  private finish(slot: Slot, outcome: CheckOutcome): void {
    const job = slot.job;
    if (!job) return;
    clearTimeout(slot.timer);
    slot.job = undefined;
    job.resolve(outcome);
    this.dispatch();
  }

  private timeOut(slot: Slot): void {
    const job = slot.job;
    if (!job) return;
    slot.job = undefined;
    void slot.worker.terminate();
    this.startWorker(slot);
    job.resolve({ output: '', passed: false, crash: 'timeout', detail: `check ran longer than ${this.options.timeoutMs} ms` });
    this.dispatch();
  }
}
