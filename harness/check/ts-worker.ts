// Worker-thread entry: runs a TS scenario's check on crash images. An image arrives whole (its own
// transferred buffer), or as the lines that changed since the worker's base image plus its own
// overrides; it is composed into a private scratch copy, so the check (and the recovery it runs,
// which may write) works on it in memory through Pool.inMemory: no file, no mapping per image. The worker says when
// it is ready (the scenario module imported), so start-up never counts against a check's time limit.
import { parentPort, workerData } from 'node:worker_threads';
import type { CheckOutcome, CheckResult, TsScenario } from '../../core/api.js';
import { LINE_BYTES } from '../../core/geometry.js';
import { Pool } from '../../core/pool.js';
import { MAX_CAPTURE_BYTES, truncationNote } from '../../core/support/run-command.js';
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
parentPort!.postMessage({ ready: true });

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
