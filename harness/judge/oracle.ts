// Oracles turn what a check observed on one crash image into a verdict.
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
  if (outcome.kind === 'error') return { status: 'unknown', error: outcome.error };
  if (outcome.kind === 'timed-out')
    return {
      status: 'inconsistent',
      reason: `the check timed out${outcome.attempts > 1 ? ' twice' : ''} (${outcome.limitMs} ms)`,
      actual: outcome.output,
    };
  if (outcome.kind === 'crashed')
    return { status: 'inconsistent', reason: `the check was killed by ${outcome.signal}`, actual: outcome.output };
  switch (oracle) {
    case 'collate':
      return { status: 'consistent' };
    case 'exit':
      return outcome.kind === 'passed'
        ? { status: 'consistent' }
        : {
            status: 'inconsistent',
            reason:
              (outcome.kind === 'failed' ? outcome.detail : undefined) ?? 'the check reported an inconsistent state',
            actual: outcome.output,
          };
    case 'atomic':
      return judgeAtomic(outcome, reference);
    case 'ops':
      return judgeOps(outcome, reference.allowed ?? []);
  }
}

/** Durable linearizability: the state is the one at an operation boundary the crash allows. */
function judgeOps(outcome: CheckOutcome, allowed: string[]): Verdict {
  if (outcome.kind !== 'passed')
    return {
      status: 'inconsistent',
      reason: (outcome.kind === 'failed' ? outcome.detail : undefined) ?? 'the check reported an inconsistent state',
      actual: outcome.output,
    };
  if (allowed.includes(outcome.output)) return { status: 'consistent' };
  return {
    status: 'inconsistent',
    reason: 'the state is not the one at any operation boundary between the last durable operation and the crash',
    expected: allowed.join('\n-- or --\n'),
    actual: outcome.output,
  };
}

function judgeAtomic(outcome: CheckOutcome, reference: OracleReference): Verdict {
  if (outcome.kind !== 'passed')
    return {
      status: 'inconsistent',
      reason: (outcome.kind === 'failed' ? outcome.detail : undefined) ?? 'the check reported an inconsistent state',
      actual: outcome.output,
    };
  if (outcome.output === reference.before || outcome.output === reference.after) return { status: 'consistent' };
  return {
    status: 'inconsistent',
    reason: 'the state is neither the one before the snippet nor the one after it',
    expected: `${reference.before ?? ''}\n-- or --\n${reference.after ?? ''}`,
    actual: outcome.output,
  };
}
