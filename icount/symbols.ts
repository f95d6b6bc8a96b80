// The function names of a native program, for `--from`/`--to`/`--ops-between`: checked before the
// program is traced, so a name the tracer could never find is a clear error at once. A function is
// found by its symbol or, when the compiler inlined it, by its inlined copies in the debug info
// (inlined-instances.ts); a name that is neither gets the nearest names of both kinds.
import { execText } from './driver.js';
import { debugFunctions } from './inlined-instances.js';

/** The defined function symbols of `binary` (text symbols, local or global), or none when stripped. */
export async function functionSymbols(binary: string): Promise<string[]> {
  const text = await execText('nm', ['--defined-only', binary]).catch(() => '');
  const names = new Set<string>();
  for (const line of text.split('\n')) {
    const [, type, name] = line.trim().split(/\s+/);
    if (name && type && /^[TtWi]$/.test(type)) names.add(name.replace(/@.*$/, ''));
  }
  return [...names].sort();
}

/**
 * Why `name` is not a function the tracer can stop at, in one clause, or undefined when it is one
 * (a symbol, or inlined copies with code). `option` is the flag that named it (`--from`, `--to`).
 */
export async function missingFunction(binary: string, name: string, option: string): Promise<string | undefined> {
  const symbols = await functionSymbols(binary);
  if (symbols.includes(name)) return undefined;
  const debug = await debugFunctions(binary);
  if (debug.inlined.has(name)) return undefined;
  if (symbols.length === 0 && !debug.hasDebugInfo)
    return `${option} ${name}: ${binary} has no symbol table (stripped?): build it with symbols, or mark the operations with icount_start/icount_stop`;
  if (debug.declaredInline.has(name))
    return `${option} ${name}: the compiler inlined ${name} and the debug info gives no code of any inlined copy (is it called?): mark it __attribute__((noinline)), or put icount_start/icount_stop around the operation`;
  const nearest = nearestNames([...new Set([...symbols, ...debug.inlined.keys()])], name, 3);
  const near = nearest.length > 0 ? ` (nearest: ${nearest.join(', ')})` : '';
  if (!debug.hasDebugInfo)
    return `${option} ${name}: ${binary} has no function of that name, and no debug info to find it if it was inlined: build it with -g${near}`;
  return `${option} ${name}: ${binary} has no function of that name${near}`;
}

/** The `count` names closest to `name`: those containing it (or contained in it) first, then by edit distance. */
export function nearestNames(names: readonly string[], name: string, count: number): string[] {
  const scored = names.map((n) => ({
    n,
    score: (n.includes(name) || name.includes(n) ? 0 : 1000) + editDistance(n.toLowerCase(), name.toLowerCase()),
  }));
  const limit = Math.max(2, Math.floor(name.length / 2));
  return scored
    .filter((s) => s.score < 1000 || s.score <= 1000 + limit)
    .sort((a, b) => a.score - b.score || (a.n < b.n ? -1 : 1))
    .slice(0, count)
    .map((s) => s.n);
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++)
      row[j] = Math.min(previous[j]! + 1, row[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    previous = row;
  }
  return previous[b.length]!;
}
