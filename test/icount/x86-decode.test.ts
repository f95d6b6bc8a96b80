// The tracer's x86 decoder, natively: build/x86-decode-test feeds it the bytes of the stores,
// flushes, fences and locked instructions compilers and libpmem emit and checks every decoded field.
import test from 'ava';
import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../../', import.meta.url));

test('x86 decoder: every instruction case, block and address decodes as expected', (t) => {
  execFileSync('make', ['-s', '-f', 'icount/icount.mk', 'build/x86-decode-test'], { cwd: root, stdio: 'pipe' });
  const r = spawnSync(join(root, 'build/x86-decode-test'), { encoding: 'utf8' });
  const last = r.stdout.trim().split('\n').pop() ?? '';
  const match = /^(\d+) passed, (\d+) failed$/.exec(last);
  t.truthy(match, `unexpected output: ${r.stdout}${r.stderr}`);
  t.is(Number(match?.[2]), 0, r.stdout);
  t.true(Number(match?.[1]) >= 90, 'the table covers stores, flushes, fences, locked and plain instructions');
  t.is(r.status, 0, r.stdout);
});
