// Worker-thread entry: runs a TS scenario's check on crash images. An image arrives whole (its own
// transferred buffer), or as the lines that changed since the worker's base image plus its own
// overrides; it is composed into a private scratch copy, so the check (and the recovery it runs,
// which may write) works on it in memory through Pool.inMemory: no file, no mapping per image.
import { parentPort, workerData } from 'node:worker_threads';
import type { CheckOutcome, TsScenario } from '../../core/api.js';
import { LINE_BYTES } from '../../core/geometry.js';
import { Pool } from '../../core/pool.js';
import type { WorkerImage } from './ts-pool.js';

interface WorkerInit {
  scenarioModule: string;
  exportName: string;
}

const init = workerData as WorkerInit;
const scenario = (await import(init.scenarioModule))[init.exportName] as TsScenario;

/** The journal image this worker was last sent, kept up to date with the lines that change. */
let base: Buffer | undefined;
/** Where images are composed for the check: reused, the check writes only to this copy. */
let scratch: Buffer | undefined;

parentPort!.on('message', (msg: WorkerImage) => {
  parentPort!.postMessage({ id: msg.id, outcome: checkImage(compose(msg)) });
});

function compose(msg: WorkerImage): Buffer {
  if (msg.whole) return Buffer.from(msg.whole);
  if (msg.base) base = Buffer.from(msg.base);
  const lines = msg.changedLines ?? new Int32Array(0);
  for (let i = 0; i < lines.length; i++)
    base!.set(msg.changedContents!.subarray(i * LINE_BYTES, (i + 1) * LINE_BYTES), lines[i]! * LINE_BYTES);
  const size = msg.size!;
  if (!scratch || scratch.length !== size) scratch = Buffer.alloc(size);
  scratch.set(base!.subarray(0, size));
  const overrides = msg.overrideLines!;
  for (let i = 0; i < overrides.length; i++) {
    const at = overrides[i]! * LINE_BYTES;
    scratch.set(msg.overrideContents!.subarray(i * LINE_BYTES, i * LINE_BYTES + Math.min(LINE_BYTES, size - at)), at);
  }
  return scratch;
}

function checkImage(image: Buffer): CheckOutcome {
  try {
    const pool = Pool.inMemory(image);
    try {
      return normalize(scenario.check(pool));
    } finally {
      pool.close();
    }
  } catch (err) {
    return { output: '', passed: false, error: `check threw: ${(err as Error).message}` };
  }
}

function normalize(result: CheckOutcome | string): CheckOutcome {
  return typeof result === 'string' ? { output: result, passed: true } : result;
}
