// --from/--to names are checked against the program before it is traced: a function inlined
// everywhere with no code left of any copy is said to be so (nothing to stop at), and a misspelt one
// gets the nearest names. Functions with inlined copies that have code: inlined.test.ts.
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { functionSymbols, missingFunction, nearestNames } from '../../icount/symbols.js';
import { tempDir } from '../helpers.js';

const SOURCE = `#include <stdio.h>
static inline int helper_add(int a) { return a + 1; }
int prepare_data(int x) { return helper_add(x) * 2; }
int main(int c, char **v) { (void)v; printf("%d\\n", prepare_data(c)); return 0; }
`;

function build(t: Parameters<typeof tempDir>[0], flags: string[]): string {
  const dir = tempDir(t);
  writeFileSync(join(dir, 'p.c'), SOURCE);
  execFileSync('gcc', [...flags, '-o', join(dir, 'p'), join(dir, 'p.c')]);
  return join(dir, 'p');
}

test('a function inlined to no code is named as such, a real one passes, a misspelt one gets the nearest', async (t) => {
  const binary = build(t, ['-O2', '-g']);
  t.true((await functionSymbols(binary)).includes('prepare_data'));
  t.is(await missingFunction(binary, 'prepare_data', '--from'), undefined);
  t.regex(
    (await missingFunction(binary, 'helper_add', '--from'))!,
    /--from helper_add: the compiler inlined helper_add and the debug info gives no code of any inlined copy/,
  );
  t.regex(
    (await missingFunction(binary, 'prepare', '--to'))!,
    /--to prepare: .* no function of that name \(nearest: prepare_data\)/,
  );
});

test('a stripped program says it has no symbols', async (t) => {
  const binary = build(t, ['-O2', '-s']);
  t.regex((await missingFunction(binary, 'main', '--from'))!, /has no symbol table \(stripped\?\)/);
});

test('nearest names: containing the name first, then by edit distance, nothing far off', (t) => {
  t.deepEqual(nearestNames(['main', 'mainloop', 'insert', 'remove'], 'mian', 2), ['main'], 'mainloop is 6 edits away');
  t.deepEqual(nearestNames(['insert_node', 'insert', 'abc'], 'insert', 3), ['insert', 'insert_node']);
  t.deepEqual(nearestNames(['zzzzzz'], 'insert', 3), []);
});
