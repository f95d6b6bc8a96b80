// The function names of a native program, for `--from`/`--to`: checked before the program is traced,
// so a name the tracer could never find is a clear error at once — saying when the function exists
// in the source but was inlined everywhere (no symbol to stop at), and naming the nearest symbols.
import { execText } from './driver.js';

/** readelf's debug dump of a large program runs to tens of megabytes. */
const DEBUG_DUMP_CAP = 64 << 20;

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
 * Why `name` is not a function the tracer can stop at, in one clause, or undefined when it is one.
 * `option` is the flag that named it (`--from`, `--to`).
 */
export async function missingFunction(binary: string, name: string, option: string): Promise<string | undefined> {
  const symbols = await functionSymbols(binary);
  if (symbols.includes(name)) return undefined;
  if (symbols.length === 0)
    return `${option} ${name}: ${binary} has no symbol table (stripped?): build it with symbols, or mark the operations with icount_start/icount_stop`;
  if (await inlinedEverywhere(binary, name))
    return `${option} ${name}: the compiler inlined ${name} everywhere, so the program has no entry of it to stop at: mark it __attribute__((noinline)) (or build with -fno-inline), or put icount_start/icount_stop around the operation`;
  const nearest = nearestNames(symbols, name, 3);
  return `${option} ${name}: ${binary} has no function of that name${nearest.length > 0 ? ` (nearest: ${nearest.join(', ')})` : ''}`;
}

/** Whether the debug info describes `name` as a function with only inlined instances. */
async function inlinedEverywhere(binary: string, name: string): Promise<boolean> {
  const text = await execText('readelf', ['--debug-dump=info', binary], DEBUG_DUMP_CAP).catch(() => '');
  // One DIE per block, from its "<depth><offset>: Abbrev Number: N (DW_TAG_...)" line to the next.
  for (const die of text.split(/\n(?=\s*<\d+><[0-9a-f]+>:)/)) {
    if (!die.includes('(DW_TAG_subprogram)')) continue;
    const named = die.split('\n').some((l) => /DW_AT_name\s*:/.test(l) && l.trimEnd().endsWith(`: ${name}`));
    if (named && /DW_AT_inline\s*:.*\binlined\b/.test(die)) return true;
  }
  return false;
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
