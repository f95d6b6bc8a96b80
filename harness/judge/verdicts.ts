// The verdict on one image at one crash point, from a run's log: only the ops oracle depends on the
// point (which operation boundaries a crash there may show).
import type { CheckOutcome, ImageRecord, PointRecord, RunLog, Verdict } from '../../core/api.js';
import { judge, type OracleReference } from './oracle.js';

export function verdictAt(log: RunLog, image: ImageRecord, point: PointRecord): Verdict {
  return verdictFor(log, image.outcome, point.allowed);
}

/** The verdict on an outcome, given the boundaries a crash at its point allows (ops). */
export function verdictFor(log: RunLog, outcome: CheckOutcome, allowed?: readonly [number, number]): Verdict {
  const reference: OracleReference = { ...log.reference };
  if (log.oracle === 'ops' && allowed && log.reference.boundaries) {
    reference.allowed = log.reference.boundaries.slice(allowed[0], allowed[1] + 1);
  }
  return judge(log.oracle, outcome, reference);
}
