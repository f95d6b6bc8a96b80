// The TS check pool under misbehaving checks: a check that never ends is a timeout and the pool
// keeps working, in order; a check that throws gives an error (verdict unknown), never a pass.
import test from 'ava';
import { TsCheckPool } from '../../../harness/check/ts-pool.js';

const fixture = new URL('../../fixtures/hostile-checks.js', import.meta.url).href;
const image = (tag: number) => Buffer.from([tag, 0, ...new Array(62).fill(0)]);

test('a looping check times out, its worker is replaced, and every other image is still checked in order', async (t) => {
  const pool = new TsCheckPool({ scenarioModule: fixture, exportName: 'looping', jobs: 2, timeoutMs: 300 });
  const tags = [1, 2, 0xff, 3, 4, 5, 6, 7, 8, 9, 10, 11];
  const outcomes = await Promise.all(tags.map((tag) => pool.check(image(tag))));
  await pool.close();
  outcomes.forEach((o, i) => {
    if (tags[i] === 0xff) t.deepEqual(o, { kind: 'timed-out', output: '', limitMs: 300, attempts: 2 });
    else t.deepEqual(o, { kind: 'passed', output: `image ${tags[i]}` });
  });
});

test('a throwing check is an error with its message; a writing check works on its private copy', async (t) => {
  const pool = new TsCheckPool({ scenarioModule: fixture, exportName: 'throwing', jobs: 1, timeoutMs: 5000 });
  const original = image(1);
  const [thrown, fine] = await Promise.all([pool.check(image(0xee)), pool.check(original)]);
  await pool.close();
  t.is(thrown!.kind, 'error');
  t.regex(thrown!.kind === 'error' ? thrown!.error : '', /check threw: recovery read past the end/);
  t.deepEqual(fine, { kind: 'passed', output: 'ok 9' });
  t.is(original[1], 0, "the caller's image is not written by the check");
});
