// Hand-written traces for unit tests, and a fake checker: a tiny in-process Checker with real
// logic (it reads the crash image like a recovery would), standing in for a TS worker or a program.
import type { CheckOutcome, Checker, LineImage, Trace, TraceEvent } from '../../../core/api.js';
import { EventTable } from '../../../core/trace/event-table.js';
import { wholeImage } from '../../../harness/engine/model/line-journal.js';

export function traceKit() {
  let seq = 0;
  const base = () => ({ seq: seq++, icount: seq * 10, pc: 0, pool: 0 });
  return {
    store: (offset: number, bytes: number[], site?: string): TraceEvent => ({
      ...base(),
      kind: 'store',
      offset,
      data: Uint8Array.from(bytes),
      nonTemporal: false,
      ...(site ? { site } : {}),
    }),
    clwb: (offset: number): TraceEvent => ({ ...base(), kind: 'flush', offset, flushKind: 'clwb' }),
    sfence: (): TraceEvent => ({ ...base(), kind: 'fence', fenceKind: 'sfence' }),
  };
}

export function traceOf(events: TraceEvent[]): Trace {
  return {
    header: { formatVersion: 1, source: 'ts', program: ['test'], pools: [] },
    mappings: [],
    events: EventTable.from(events),
  };
}

/**
 * A publish-by-flag trace with a missing flush: the data word (line 1) is stored but never
 * flushed, then the flag (line 0) is stored, flushed and fenced. Under adr a crash after the fence
 * can leave the flag durable without its data.
 */
export function flagDataTrace(): Trace {
  const k = traceKit();
  return traceOf([
    k.store(64, [42, 0, 0, 0, 0, 0, 0, 0], 'data.ts:1:1'),
    k.store(0, [1, 0, 0, 0, 0, 0, 0, 0], 'flag.ts:2:1'),
    k.clwb(0),
    k.sfence(),
  ]);
}

/** A fake checker (in-process, no worker): flag at byte 0 set means the data word at 64 must be 42. */
export class FlagDataChecker implements Checker {
  checked = 0;
  async check(given: Buffer | LineImage): Promise<CheckOutcome> {
    this.checked += 1;
    const image = wholeImage(given);
    const flag = image[0]!;
    const data = image[64]!;
    const output = `flag=${flag} data=${data}`;
    if (flag === 1 && data !== 42) return { kind: 'failed', output, detail: `flag set but data is ${data}` };
    return { kind: 'passed', output };
  }
  async close(): Promise<void> {}
}
