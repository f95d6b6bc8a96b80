// Worker-thread entry: runs a TS scenario's check on crash images. Each image arrives as its own
// transferred buffer — a private copy — so the check (and the recovery it runs, which may write)
// works on it in memory through Pool.inMemory: no file, no mapping per image. The worker says when
// it is ready (the scenario module imported), so start-up never counts against a check's time limit.
import { parentPort, workerData } from 'node:worker_threads';
import type { CheckOutcome, CheckResult, TsScenario } from '../../core/api.js';
import { Pool } from '../../core/pool.js';
import { MAX_CAPTURE_BYTES, truncationNote } from '../../core/support/run-command.js';

interface WorkerInit {
  scenarioModule: string;
  exportName: string;
}

const init = workerData as WorkerInit;
const scenario = (await import(init.scenarioModule))[init.exportName] as TsScenario;

parentPort!.on('message', (msg: { id: number; image: ArrayBuffer }) => {
  parentPort!.postMessage({ id: msg.id, outcome: checkImage(Buffer.from(msg.image)) });
});
parentPort!.postMessage({ ready: true });

function checkImage(image: Buffer): CheckOutcome {
  try {
    const pool = Pool.inMemory(image);
    try {
      return normalize(scenario.check(pool));
    } finally {
      pool.close();
    }
  } catch (err) {
    return { kind: 'error', output: '', error: `check threw: ${(err as Error)?.message ?? String(err)}` };
  }
}

/** The check's result as an outcome, its output bounded like a native check's. */
function normalize(result: CheckResult | string): CheckOutcome {
  if (typeof result === 'string') return { kind: 'passed', output: bounded(result) };
  if (
    typeof result !== 'object' ||
    result === null ||
    typeof result.output !== 'string' ||
    typeof result.passed !== 'boolean'
  ) {
    return {
      kind: 'error',
      output: '',
      error: `the check returned ${result === null ? 'null' : typeof result}, not a string or { output, passed }`,
    };
  }
  const output = bounded(result.output);
  if (result.passed) return { kind: 'passed', output };
  return { kind: 'failed', output, ...(typeof result.detail === 'string' ? { detail: result.detail } : {}) };
}

function bounded(output: string): string {
  // a UTF-16 code unit is at most 3 bytes of UTF-8: short strings need no counting
  if (output.length * 3 <= MAX_CAPTURE_BYTES) return output;
  const bytes = Buffer.from(output, 'utf8');
  if (bytes.length <= MAX_CAPTURE_BYTES) return output;
  return truncationNote(bytes.subarray(0, MAX_CAPTURE_BYTES).toString('utf8'), bytes.length - MAX_CAPTURE_BYTES);
}
