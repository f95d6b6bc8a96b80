// Worker-thread entry: runs a TS scenario's check on private copies of crash images.
// Each worker owns one image file; it rewrites it per image, maps it with libpmem, and checks it.
import { writeFileSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import type { CheckOutcome, TsScenario } from '../core/api.js';
import { Pool } from '../core/pool.js';

interface WorkerInit {
  scenarioModule: string;
  exportName: string;
  imagePath: string;
}

const init = workerData as WorkerInit;
const scenario = (await import(init.scenarioModule))[init.exportName] as TsScenario;

parentPort!.on('message', (msg: { id: number; image: Uint8Array }) => {
  parentPort!.postMessage({ id: msg.id, outcome: checkImage(msg.image) });
});

function checkImage(image: Uint8Array): CheckOutcome {
  try {
    writeFileSync(init.imagePath, image);
    const pool = Pool.open(init.imagePath);
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
