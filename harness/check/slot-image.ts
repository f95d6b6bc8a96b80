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
  private fd = -1;
  private ino = 0n;
  private dev = 0n;
  /** Bytes the file is sized to; -1 when unknown. */
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

  constructor(readonly path: string) {
    this.detectsWrites = mtimeMovesOnMappedWrites(dirname(path));
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
    futimesSync(this.fd, SENTINEL_SECONDS, SENTINEL_SECONDS);
  }

  /** After a check ran on the file: notes whether it wrote to it, so the next image is written whole. */
  checked(): void {
    if (!this.detectsWrites) {
      this.stale = true;
      return;
    }
    try {
      const st = fstatSync(this.fd, { bigint: true });
      if (st.mtimeNs !== SENTINEL_NS || Number(st.size) !== this.size) this.stale = true;
    } catch {
      this.stale = true;
    }
  }

  close(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }

  /** Is the path still our file: the same inode, a regular file, not a symlink? */
  private intact(): boolean {
    try {
      const st = lstatSync(this.path, { bigint: true });
      return st.isFile() && st.ino === this.ino && st.dev === this.dev;
    } catch {
      return false;
    }
  }

  /** A fresh, empty file at the path (whatever is there now — a symlink, another file — is unlinked). */
  private create(): void {
    this.close();
    try {
      unlinkSync(this.path);
    } catch {
      /* nothing there */
    }
    this.fd = openSync(
      this.path,
      constants.O_RDWR | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
      0o600,
    );
    const st = fstatSync(this.fd, { bigint: true });
    this.ino = st.ino;
    this.dev = st.dev;
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
      while (i < lines.length && lines[i] === line) {
        const content = this.overrides.get(line) ?? mirror.subarray(line * LINE_BYTES, (line + 1) * LINE_BYTES);
        const room = size - line * LINE_BYTES;
        if (room > 0) run.push(room < LINE_BYTES ? content.subarray(0, room) : content);
        i++;
        line++;
      }
      if (run.length === 1) this.writeAt(run[0]!, first * LINE_BYTES);
      else if (run.length > 1) writevSync(this.fd, run, first * LINE_BYTES);
      this.stats.lines += line - first;
    }
  }

  private writeAt(bytes: Uint8Array, position: number): void {
    for (let done = 0; done < bytes.length; )
      done += writeSync(this.fd, bytes, done, bytes.length - done, position + done);
  }

  private resize(size: number): void {
    if (size !== this.size) ftruncateSync(this.fd, size);
    this.size = size;
  }
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
