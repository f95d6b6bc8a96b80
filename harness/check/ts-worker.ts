// Worker-thread entry: runs a TS scenario's check on crash images. Each image arrives as its own
// transferred buffer — a private copy — so the check (and the recovery it runs, which may write)
// works on it in memory through Pool.inMemory: no file, no mapping per image.
import { parentPort, workerData } from 'node:worker_threads';
import type { CheckOutcome, TsScenario } from '../../core/api.js';
import { Pool } from '../../core/pool.js';

interface WorkerInit {
  scenarioModule: string;
  exportName: string;
}

const init = workerData as WorkerInit;
const scenario = (await import(init.scenarioModule))[init.exportName] as TsScenario;

parentPort!.on('message', (msg: { id: number; image: ArrayBuffer }) => {
  parentPort!.postMessage({ id: msg.id, outcome: checkImage(Buffer.from(msg.image)) });
});

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
