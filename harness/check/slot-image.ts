// The image file of one check slot, kept across checks: to present the next crash image it writes
// only the lines that differ from what the file holds (the durable lines changed since the journal
// position it last synced to, the previous image's overrides restored, this image's written), with
// pwrite at their offsets; the file is sized once.
//
// A check may change the file behind our back. Recovery writes to the pool (libpmemobj always does):
// the file's mtime is set to a fixed sentinel after every write of ours, and any later write — by
// write(2) or through a shared mapping — moves it, so after the check `checked()` sees it and the next
// image is written whole (from the in-memory mirror: no image is rebuilt). That holds on file systems
// that track writes to mapped pages (ext4, xfs, btrfs: a write to a page first read takes a fault
// that updates mtime) but not on tmpfs, where a page read first is mapped writable and later writes
// go unseen. So it is probed once per directory, reading before writing as recovery does; where
// writes cannot be seen every image is written whole — always right, but then a check's cost grows
// with the pool. A check that deleted or
// replaced the file (another inode, a symlink) gets a fresh file, written whole: the slot never
// writes through a symlink into a file that is not its own (O_NOFOLLOW, O_EXCL on a path it unlinked).
//
// A program of several pools (core/pool-layout.ts) has one flat image: the slot then keeps one file
// per pool file, `PATH.NAME`, each at its fixed size, and each write goes to the file its offset
// falls in. A poolset pool is given to the check as a `.set` file naming the slot's part files.
import {
  closeSync,
  constants,
  fstatSync,
  ftruncateSync,
  futimesSync,
  lstatSync,
  openSync,
  unlinkSync,
  writeSync,
  writevSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import type { LineImage, LineJournalView } from '../../core/api.js';
import { LINE_BYTES } from '../../core/geometry.js';
import { Pool } from '../../core/pool.js';
import { type PoolLayout, isSplit, locate, poolSetTexts } from '../../core/pool-layout.js';

/** One file of the slot: the whole image, or one pool file of a layout. */
interface SlotFile {
  path: string;
  fd: number;
  ino: bigint;
  dev: bigint;
  /** Where the file starts in the flat image, and its fixed size (none: the image's size). */
  base: number;
  fixedSize?: number;
}

/** The mtime (seconds since the epoch) the slot leaves on its file after writing it. */
const SENTINEL_SECONDS = 1;
const SENTINEL_NS = BigInt(SENTINEL_SECONDS) * 1_000_000_000n;

export interface SlotStats {
  /** Images written whole (first use, after a check wrote the file or replaced it, ...). */
  whole: number;
  /** Lines written for images presented as deltas. */
  lines: number;
  /** Times the file was recreated because the check deleted or replaced it. */
  recreated: number;
}

export class SlotImage {
  private readonly files: SlotFile[];
  /** Several pools: the layout the flat image is cut by. */
  private readonly layout: PoolLayout | undefined;
  /** What each `{NAME}` in the check stands for: a pool's file, or a poolset's `.set`. */
  readonly placeholders: Map<string, string>;
  /** Poolsets: the `.set` files to write beside the parts, and their text. */
  private readonly setFiles = new Map<string, string>();
  /** Bytes the image is sized to; -1 when unknown. */
  private size = -1;
  /** The journal and position the mirror is at, and the mirror: the journal's image there. */
  private journal: LineJournalView | undefined;
  private position = 0;
  private mirror: Buffer | undefined;
  /** Lines the file holds from the last image's overrides, with their contents. */
  private overrides = new Map<number, Uint8Array>();
  /** The file's content is not known to be mirror + overrides. */
  private stale = true;
  private readonly detectsWrites: boolean;
  readonly stats: SlotStats = { whole: 0, lines: 0, recreated: 0 };

  constructor(
    readonly path: string,
    layout?: PoolLayout,
  ) {
    this.detectsWrites = mtimeMovesOnMappedWrites(dirname(path));
    if (layout && isSplit(layout)) {
      this.layout = layout;
      this.files = layout.files.map((file) => slotFile(`${path}.${file.name}`, file.base, file.size));
      this.placeholders = new Map();
      for (const file of layout.files) {
        if (file.part === undefined) this.placeholders.set(file.pool, `${path}.${file.name}`);
        else if (file.part === 0) this.placeholders.set(file.pool, `${path}.${file.pool}.set`);
      }
      for (const [pool, set] of poolSetTexts(layout, (file) => `${path}.${file.name}`))
        this.setFiles.set(`${path}.${pool}.set`, set);
    } else {
      this.layout = undefined;
      this.files = [slotFile(path, 0)];
      this.placeholders = new Map([[layout?.files[0]?.pool ?? 'pool', path]]);
    }
    this.create();
  }

  /** Makes the file hold exactly `image`. */
  present(image: Buffer | LineImage): void {
    if (!this.intact()) {
      this.stats.recreated++;
      this.create();
    }
    if (Buffer.isBuffer(image)) {
      this.writeAt(image, 0);
      this.resize(image.length);
      this.stats.whole++;
      // Not an image of the journal: the file must be written whole for the next line image.
      this.stale = true;
    } else {
      const changed = this.syncMirror(image);
      const next = new Map<number, Uint8Array>();
      image.overrideLines.forEach((line, i) => next.set(line, image.overrideContents[i]!));
      if (this.stale || !changed || image.size !== this.size) {
        this.overrides = next;
        this.writeAt(this.mirror!.subarray(0, image.size), 0);
        this.resize(image.size);
        this.writeLines([...next.keys()], image.size);
        this.stats.whole++;
        this.stale = false;
      } else {
        const writes = new Set<number>();
        for (const line of changed) if (!next.has(line)) writes.add(line);
        for (const line of this.overrides.keys()) if (!next.has(line)) writes.add(line);
        for (const [line, content] of next) if (this.overrides.get(line) !== content) writes.add(line);
        this.overrides = next;
        this.writeLines(
          [...writes].sort((a, b) => a - b),
          image.size,
        );
      }
    }
    for (const file of this.files) futimesSync(file.fd, SENTINEL_SECONDS, SENTINEL_SECONDS);
  }

  /** After a check ran on the file: notes whether it wrote to it, so the next image is written whole. */
  checked(): void {
    if (!this.detectsWrites) {
      this.stale = true;
      return;
    }
    try {
      for (const file of this.files) {
        const st = fstatSync(file.fd, { bigint: true });
        if (st.mtimeNs !== SENTINEL_NS || Number(st.size) !== (file.fixedSize ?? this.size)) this.stale = true;
      }
    } catch {
      this.stale = true;
    }
  }

  close(): void {
    for (const file of this.files) {
      if (file.fd >= 0) closeSync(file.fd);
      file.fd = -1;
    }
  }

  /** Are the paths still our files: the same inodes, regular files, not symlinks? */
  private intact(): boolean {
    try {
      return this.files.every((file) => {
        const st = lstatSync(file.path, { bigint: true });
        return st.isFile() && st.ino === file.ino && st.dev === file.dev;
      });
    } catch {
      return false;
    }
  }

  /** Fresh, empty files at the paths (whatever is there now — a symlink, another file — is unlinked). */
  private create(): void {
    this.close();
    for (const file of this.files) {
      file.fd = createFresh(file.path);
      const st = fstatSync(file.fd, { bigint: true });
      file.ino = st.ino;
      file.dev = st.dev;
    }
    for (const [path, text] of this.setFiles) {
      const fd = createFresh(path);
      this.writeTo(fd, Buffer.from(text), 0);
      closeSync(fd);
    }
    this.size = 0;
    this.stale = true;
  }

  /**
   * Brings the mirror to the image's journal position: by the entries since, returning the lines
   * they changed, or (another journal, an earlier position, entries folded away) rebuilt, returning
   * undefined.
   */
  private syncMirror(image: LineImage): Set<number> | undefined {
    const journal = image.journal;
    if (this.mirror && this.journal === journal && image.position >= this.position && this.position >= journal.start) {
      const changed = new Set<number>();
      for (let p = this.position; p < image.position; p++) {
        const line = journal.lineAt(p);
        this.mirror.set(journal.contentAt(p), line * LINE_BYTES);
        changed.add(line);
      }
      this.position = image.position;
      return changed;
    }
    if (!this.mirror || this.mirror.length !== journal.imageBytes) this.mirror = Buffer.alloc(journal.imageBytes);
    journal.materialize(image.position, this.mirror);
    this.journal = journal;
    this.position = image.position;
    return undefined;
  }

  /** Writes the given lines (ascending) as the file should hold them, contiguous runs in one call. */
  private writeLines(lines: number[], size: number): void {
    const mirror = this.mirror!;
    for (let i = 0; i < lines.length; ) {
      const first = lines[i]!;
      const run: Uint8Array[] = [];
      let line = first;
      // a run stops where another pool file starts: one write goes to one file
      while (i < lines.length && lines[i] === line && (line === first || !this.startsFile(line))) {
        const content = this.overrides.get(line) ?? mirror.subarray(line * LINE_BYTES, (line + 1) * LINE_BYTES);
        const room = size - line * LINE_BYTES;
        if (room > 0) run.push(room < LINE_BYTES ? content.subarray(0, room) : content);
        i++;
        line++;
      }
      if (run.length === 1) this.writeAt(run[0]!, first * LINE_BYTES);
      else if (run.length > 1) {
        const file = this.fileAt(first * LINE_BYTES);
        if (file) writevSync(file.fd, run, first * LINE_BYTES - file.base);
      }
      this.stats.lines += line - first;
    }
  }

  /** Whether a pool file of the layout starts at this line. */
  private startsFile(line: number): boolean {
    return this.layout?.files.some((f) => f.base === line * LINE_BYTES) ?? false;
  }

  /** The slot file holding flat offset `position` (none: the gap between two pool files). */
  private fileAt(position: number): SlotFile | undefined {
    if (!this.layout) return this.files[0];
    const at = locate(this.layout, position);
    return at ? this.files[this.layout.files.indexOf(at.file)] : undefined;
  }

  /** Writes flat image bytes at `position`: each piece to the file it falls in. */
  private writeAt(bytes: Uint8Array, position: number): void {
    if (!this.layout) {
      this.writeTo(this.files[0]!.fd, bytes, position);
      return;
    }
    const end = position + bytes.length;
    for (const file of this.files) {
      const from = Math.max(position, file.base);
      const to = Math.min(end, file.base + file.fixedSize!);
      if (from < to) this.writeTo(file.fd, bytes.subarray(from - position, to - position), from - file.base);
    }
  }

  private writeTo(fd: number, bytes: Uint8Array, position: number): void {
    for (let done = 0; done < bytes.length; ) done += writeSync(fd, bytes, done, bytes.length - done, position + done);
  }

  private resize(size: number): void {
    if (size !== this.size) for (const file of this.files) ftruncateSync(file.fd, file.fixedSize ?? size);
    this.size = size;
  }
}

function slotFile(path: string, base: number, fixedSize?: number): SlotFile {
  return { path, fd: -1, ino: 0n, dev: 0n, base, ...(fixedSize !== undefined ? { fixedSize } : {}) };
}

/** A fresh file at `path`, opened read-write; whatever was there (a symlink, another file) is unlinked. */
function createFresh(path: string): number {
  try {
    unlinkSync(path);
  } catch {
    /* nothing there */
  }
  return openSync(path, constants.O_RDWR | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
}

const probed = new Map<string, boolean>();

/**
 * Does a write through a shared mapping of a file in `dir` move the file's mtime off a value set with
 * futimes? Tried once per directory with libpmem's own mapping (what checks use); false when it
 * cannot be tried — then every image is written whole, which is always right.
 */
export function mtimeMovesOnMappedWrites(dir: string): boolean {
  const known = probed.get(dir);
  if (known !== undefined) return known;
  const path = join(dir, `.slot-probe-${process.pid}`);
  let moves = false;
  try {
    const fd = openSync(path, constants.O_RDWR | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
    try {
      ftruncateSync(fd, 4096);
      futimesSync(fd, SENTINEL_SECONDS, SENTINEL_SECONDS);
      // Read first: where a read fault maps the page writable (tmpfs), the write that follows
      // takes no fault and the mtime does not move — recovery reads before it writes.
      const pool = Pool.open(path);
      pool.writeU8(100, pool.readU8(100) ^ 1);
      pool.close();
      moves = fstatSync(fd, { bigint: true }).mtimeNs !== SENTINEL_NS;
    } finally {
      closeSync(fd);
      unlinkSync(path);
    }
  } catch {
    moves = false;
  }
  probed.set(dir, moves);
  return moves;
}
