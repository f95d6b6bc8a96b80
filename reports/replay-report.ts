// What `replay` prints: the crash point, the stores the image kept and lost, the check's output
// and the verdict. Shared by `pmfit replay` (TS scenarios) and `pmfit check --replay` (native).
import type { CheckOutcome, Trace, Verdict } from '../core/api.js';
import { crashPointAt, describeEvent } from '../harness/engine/crash-points.js';
import type { PendingUnit } from '../harness/engine/model/persistency-tracker.js';
import type { ImageChoice } from '../harness/engine/replay-id.js';

export interface ReplayFacts {
  id: string;
  subject: string;
  oracle: string;
  choice: ImageChoice;
  trace: Trace;
  kept: PendingUnit[];
  lost: PendingUnit[];
  out?: string;
  outcome: CheckOutcome;
  verdict: Verdict;
}

export function renderReplay(f: ReplayFacts): string {
  const point = crashPointAt(f.trace.events, f.choice.point);
  const why =
    f.verdict.status === 'inconsistent'
      ? ` — ${f.verdict.reason}`
      : f.verdict.status === 'unknown'
        ? ` — ${f.verdict.error}`
        : '';
  const lines = [
    `replay ${f.id} of ${f.subject} (model ${f.choice.model}, oracle ${f.oracle})`,
    `crash point ${point.index}: instructions ${point.icountFrom}-${point.icountTo}, after ${point.lastEvent ? describeEvent(point.lastEvent) : 'nothing (before the first event)'}`,
    ...storeLines('kept (not yet durable, persisted by this image)', f.kept, f.trace),
    ...storeLines('lost', f.lost, f.trace),
    ...(f.out ? [`image written to ${f.out}`] : []),
    'check output:',
    ...(f.outcome.output || '(no output)').split('\n').map((l) => `  ${l}`),
    `verdict: ${f.verdict.status}${why}`,
  ];
  return `${lines.join('\n')}\n`;
}

function storeLines(title: string, units: PendingUnit[], trace: Trace): string[] {
  const seqs = [...new Set(units.map((u) => u.seq))].sort((a, b) => a - b);
  if (seqs.length === 0) return [`${title}: none`];
  return [`${title}:`, ...seqs.map((seq) => `  ${describeEvent(trace.events[seq]!)}`)];
}
