// Lints as the reports show them: one entry per kind and place, however the run listed them. A
// place is the user's line (and the library function called there), else the instruction's address;
// an entry keeps the first event and the sum of the counts. Grouping an already grouped list is a no-op.
import type { PerfFinding } from '../core/api.js';

export function groupedLints(lints: readonly PerfFinding[]): PerfFinding[] {
  const groups = new Map<string, PerfFinding>();
  for (const p of lints) {
    const e = p.event;
    const key = JSON.stringify([p.kind, e.site ?? null, e.via ?? null, e.site ? null : (e.pc ?? null), !!p.library]);
    const seen = groups.get(key);
    if (!seen) groups.set(key, { ...p });
    else {
      seen.count += p.count;
      if (p.event.seq < seen.event.seq) seen.event = p.event;
    }
  }
  return [...groups.values()];
}
