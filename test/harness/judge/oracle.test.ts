// The oracles turn a check's outcome into a verdict with the failure as data.
import test from 'ava';
import { judge } from '../../../harness/judge/oracle.js';

const ok = (output: string) => ({ kind: 'passed' as const, output });

test('a check that could not run leaves the verdict unknown under every oracle', (t) => {
  for (const oracle of ['exit', 'atomic', 'ops', 'collate'] as const)
    t.deepEqual(judge(oracle, { kind: 'error' as const, output: '', error: 'threw' }, {}), {
      status: 'unknown',
      failure: { kind: 'check-error', error: 'threw' },
    });
});

test('a check killed by a signal or out of time is a failure even for collate', (t) => {
  t.deepEqual(judge('collate', { kind: 'crashed' as const, output: 'x', signal: 'SIGSEGV' }, {}), {
    status: 'inconsistent',
    failure: { kind: 'check-crashed', signal: 'SIGSEGV' },
    actual: 'x',
  });
  t.deepEqual(judge('exit', { kind: 'timed-out', output: '', limitMs: 100, attempts: 2 }, {}), {
    status: 'inconsistent',
    failure: { kind: 'check-timed-out', limitMs: 100, attempts: 2 },
    actual: '',
  });
});

test('exit: the check decides; its own words are kept as the detail', (t) => {
  t.deepEqual(judge('exit', ok('fine'), {}), { status: 'consistent' });
  t.deepEqual(judge('exit', { kind: 'failed' as const, output: 'o', detail: 'bad magic' }, {}), {
    status: 'inconsistent',
    failure: { kind: 'check-failed', detail: 'bad magic' },
    actual: 'o',
  });
  t.deepEqual(judge('exit', { kind: 'failed' as const, output: 'o' }, {}), {
    status: 'inconsistent',
    failure: { kind: 'check-failed' },
    actual: 'o',
  });
});

test('collate never judges a passing or failing check', (t) => {
  t.is(judge('collate', { kind: 'failed' as const, output: 'o' }, {}).status, 'consistent');
});

test('atomic: only the state before or after the snippet is accepted', (t) => {
  const reference = { before: 'v=1', after: 'v=2' };
  t.is(judge('atomic', ok('v=1'), reference).status, 'consistent');
  t.is(judge('atomic', ok('v=2'), reference).status, 'consistent');
  t.deepEqual(judge('atomic', ok('v=torn'), reference), {
    status: 'inconsistent',
    failure: { kind: 'not-before-or-after' },
    expected: 'v=1\n-- or --\nv=2',
    actual: 'v=torn',
  });
  t.is(judge('atomic', { kind: 'failed' as const, output: 'v=1' }, reference).status, 'inconsistent');
});

test('ops: only a state at an allowed operation boundary is accepted', (t) => {
  const reference = { allowed: ['a', 'a b'] };
  t.is(judge('ops', ok('a b'), reference).status, 'consistent');
  t.deepEqual(judge('ops', ok('b'), reference), {
    status: 'inconsistent',
    failure: { kind: 'not-at-boundary' },
    expected: 'a\n-- or --\na b',
    actual: 'b',
  });
});
