// Oracles turn what a check observed on one crash image into a verdict, as data: the failure's
// kind and the check's own words; reports/format.ts writes the sentence.
import type { CheckOutcome, OracleName, Verdict } from '../../core/api.js';

/** Outputs an oracle compares against, computed once per run from the same trace. */
export interface OracleReference {
  /** Output on the image before the snippet ran. */
  before?: string;
  /** Output on the image after the snippet, every store persisted. */
  after?: string;
  /** ops: the outputs at the operation boundaries a crash at this point may show. */
  allowed?: string[];
}

export function judge(oracle: OracleName, outcome: CheckOutcome, reference: OracleReference): Verdict {
  // The only place that reads how a check ended (CheckOutcome's tagged union).
  switch (outcome.kind) {
    case 'error':
      return { status: 'unknown', failure: { kind: 'check-error', error: outcome.error } };
    case 'timed-out':
      return {
        status: 'inconsistent',
        failure: { kind: 'check-timed-out', limitMs: outcome.limitMs, attempts: outcome.attempts },
        actual: outcome.output,
      };
    case 'crashed':
      return {
        status: 'inconsistent',
        failure: { kind: 'check-crashed', signal: outcome.signal },
        actual: outcome.output,
      };
    case 'failed':
      if (oracle === 'collate') return { status: 'consistent' };
      return {
        status: 'inconsistent',
        failure: { kind: 'check-failed', ...(outcome.detail !== undefined ? { detail: outcome.detail } : {}) },
        actual: outcome.output,
      };
    case 'passed':
      break;
  }
  switch (oracle) {
    case 'collate':
    case 'exit':
      return { status: 'consistent' };
    case 'atomic':
      if (outcome.output === reference.before || outcome.output === reference.after) return { status: 'consistent' };
      return {
        status: 'inconsistent',
        failure: { kind: 'not-before-or-after' },
        expected: `${reference.before ?? ''}\n-- or --\n${reference.after ?? ''}`,
        actual: outcome.output,
      };
    case 'ops': {
      // Durable linearizability: the state is the one at an operation boundary the crash allows.
      const allowed = reference.allowed ?? [];
      if (allowed.includes(outcome.output)) return { status: 'consistent' };
      return {
        status: 'inconsistent',
        failure: { kind: 'not-at-boundary' },
        expected: allowed.join('\n-- or --\n'),
        actual: outcome.output,
      };
    }
  }
}
