// Several pools as one address space. A program may keep its data in several pool files (a log and
// a data pool, the parts of a poolset). The tracer records each file's events with its pool id and
// file offsets; everything after it — the persistency model, crash images, digests, replay ids
// inside the engine — works on one flat image in which file k starts at `base` k. Bases are page
// aligned, so a cache line always belongs to one file. The layout is a function of the files' sizes
// alone (the trace header's `pools`), so the same trace always lays out the same way.
//
// With the one default pool (named `pool`) the layout is the file itself: offsets, line numbers
// and replay ids are exactly those of a one-pool run.
import type { TraceHeader } from './api.js';
import { LINE_BYTES } from './geometry.js';

/** Where files start in the flat image: a page boundary, so no cache line spans two files. */
export const FILE_ALIGN = 4096;

/** The name of the pool a lone `--pool FILE` gives, and the placeholder `{pool}`. */
export const DEFAULT_POOL_NAME = 'pool';

/** One file pmfit follows: a whole pool, or part `part` of a poolset pool. */
export interface PoolFile {
  /** The pool's name: what `{NAME}` stands for in commands. */
  pool: string;
  /** The part's index in its poolset; absent for a plain pool file. */
  part?: number;
  /** Bytes of the file in every crash image. */
  size: number;
  /** Part 0 of a poolset: the set's lines before its parts (PMEMPOOLSET, OPTION ...). */
  setHead?: string[];
}

export interface LaidOutFile extends PoolFile {
  /** The file's name in replay ids and reports: the pool's, or `NAME.PART` for a poolset part. */
  name: string;
  /** Where the file starts in the flat image. */
  base: number;
}

export interface PoolLayout {
  files: LaidOutFile[];
  /** Bytes of the flat image. */
  size: number;
}

/** The file's name in replay ids and reports. */
export function fileName(file: PoolFile): string {
  return file.part === undefined ? file.pool : `${file.pool}.${file.part}`;
}

/** Lays the files out one after another, each at a page boundary, in the order given (pool ids). */
export function layOut(files: readonly PoolFile[]): PoolLayout {
  let at = 0;
  const laid = files.map((file) => {
    const base = at;
    at = alignUp(base + file.size, FILE_ALIGN);
    return { ...file, name: fileName(file), base };
  });
  return { files: laid, size: laid.length === 1 ? laid[0]!.size : at };
}

/** The layout of a trace's pool files (its header's `pools`, in pool-id order). */
export function layoutOfHeader(header: TraceHeader): PoolLayout {
  return layOut(
    header.pools.map((p) => ({
      pool: p.name ?? DEFAULT_POOL_NAME,
      ...(p.part !== undefined ? { part: p.part } : {}),
      ...(p.setHead ? { setHead: p.setHead } : {}),
      size: p.size,
    })),
  );
}

/** Whether the layout is more than one file (ids and reports then name each line's file). */
export function isMultiFile(layout: PoolLayout | undefined): boolean {
  return layout !== undefined && layout.files.length > 1;
}

/**
 * Whether an image of this layout is given to a check (or written by `--out`) as files of its own
 * rather than as one file: several files, or a poolset, whose parts are named by a `.set` file.
 */
export function isSplit(layout: PoolLayout | undefined): boolean {
  return layout !== undefined && (layout.files.length > 1 || layout.files.some((f) => f.part !== undefined));
}

/**
 * The `.set` file of each poolset of the layout (by pool name), naming its parts at `pathOf(part)`
 * with their exact sizes, after the set's own head (PMEMPOOLSET, OPTION ...).
 */
export function poolSetTexts(layout: PoolLayout, pathOf: (file: LaidOutFile) => string): Map<string, string> {
  const sets = new Map<string, string>();
  for (const file of layout.files) {
    if (file.part === undefined) continue;
    const head = sets.get(file.pool) ?? `${(file.setHead ?? ['PMEMPOOLSET']).join('\n')}\n`;
    sets.set(file.pool, `${head}${file.size} ${pathOf(file)}\n`);
  }
  return sets;
}

/** The file holding flat offset `offset`, and the offset in it; undefined in the gap between files. */
export function locate(layout: PoolLayout, offset: number): { file: LaidOutFile; offset: number } | undefined {
  const files = layout.files;
  let lo = 0;
  let hi = files.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (files[mid]!.base <= offset) lo = mid;
    else hi = mid - 1;
  }
  const file = files[lo];
  if (!file || offset < file.base || offset >= file.base + alignUp(file.size, LINE_BYTES)) return undefined;
  return { file, offset: offset - file.base };
}

/** The flat image of the files' contents (each padded with zeros to its size in the layout). */
export function flatImage(layout: PoolLayout, contents: readonly Uint8Array[]): Buffer {
  const image = Buffer.alloc(layout.size);
  layout.files.forEach((file, i) => image.set(contents[i]!.subarray(0, file.size), file.base));
  return image;
}

/** One file's bytes of a flat image. */
export function fileImage(image: Uint8Array, file: LaidOutFile): Uint8Array {
  return image.subarray(file.base, file.base + file.size);
}

function alignUp(n: number, to: number): number {
  return Math.ceil(n / to) * to;
}
