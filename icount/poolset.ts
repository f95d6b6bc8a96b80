// libpmemobj poolsets: a `.set` file naming the parts (files) one pool is made of. pmfit follows a
// poolset part by part: each part is one file of the layout (core/pool-layout.ts), copied into the
// private working directory, and the program gets a private `.set` naming those copies. Only the
// forms pmfit can copy are taken: one replica of local part files. Anything else is refused with
// what to do (a replica's parts, a directory part, a remote replica).
import { readFileSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import { UsageError } from '../core/support/errors.js';

export interface PoolSetPart {
  /** The part's size as the file writes it (kept when the set is written again). */
  sizeText: string;
  /** Its size in bytes. */
  size: number;
  path: string;
}

export interface PoolSet {
  /** The lines before the first part (PMEMPOOLSET, OPTION ...), written again as they were. */
  head: string[];
  parts: PoolSetPart[];
}

const SIGNATURE = 'PMEMPOOLSET';
const UNITS: Record<string, number> = { '': 1, K: 2 ** 10, M: 2 ** 20, G: 2 ** 30, T: 2 ** 40 };

/** Whether a --pool file is a poolset (by its first line, as libpmemobj decides). */
export function isPoolSet(path: string): boolean {
  try {
    return readFileSync(path, 'utf8').slice(0, SIGNATURE.length) === SIGNATURE;
  } catch {
    return false;
  }
}

/** Parses a poolset file; a form pmfit cannot copy is a UsageError naming the line. */
export function parsePoolSet(path: string, option: string): PoolSet {
  const lines = readFileSync(path, 'utf8').split('\n');
  const bad = (n: number, why: string) => new UsageError(`${option} ${path}, line ${n + 1}: ${why}`);
  const set: PoolSet = { head: [], parts: [] };
  lines.forEach((raw, n) => {
    const line = raw.replace(/#.*/, '').trim();
    if (line === '') return;
    if (set.parts.length === 0 && (line === SIGNATURE || /^OPTION\s/.test(line))) {
      set.head.push(line);
      return;
    }
    if (/^REPLICA\b/.test(line))
      throw bad(n, 'pmfit follows one replica: give the pool set without its REPLICA sections');
    if (/^OPTION\s/.test(line)) throw bad(n, 'OPTION lines go before the first part');
    const m = /^(\d+)\s*([KMGT]?)(?:i?B)?\s+(\S.*)$/i.exec(line);
    if (!m) throw bad(n, `'${line}' is not a part (SIZE PATH, e.g. 16M /path/part0)`);
    const partPath = m[3]!;
    if (partPath.endsWith('/')) throw bad(n, `${partPath} is a directory part: pmfit follows parts that are files`);
    if (!isAbsolute(partPath)) throw bad(n, `${partPath} is not an absolute path, as libpmemobj requires`);
    set.parts.push({
      sizeText: `${m[1]}${m[2]!.toUpperCase()}`,
      size: Number(m[1]) * UNITS[m[2]!.toUpperCase()]!,
      path: partPath,
    });
  });
  if (set.head[0] !== SIGNATURE) throw bad(0, `a pool set starts with ${SIGNATURE}`);
  if (set.parts.length === 0) throw bad(lines.length - 1, 'the pool set names no part');
  return set;
}

/** The text of a poolset with the same head and sizes whose parts are at `paths`. */
export function renderPoolSet(set: PoolSet, paths: readonly string[]): string {
  return `${[...set.head, ...set.parts.map((part, i) => `${part.sizeText} ${paths[i]}`)].join('\n')}\n`;
}
