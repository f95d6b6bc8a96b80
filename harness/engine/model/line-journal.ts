// A journal of the line changes of one image as a run walks its trace (the durable image for adr,
// the executed one for eadr): every change appends (line, its new 64 bytes) under a global counter.
// A crash image is then a position in the journal plus the few lines it overrides (a LineImage),
// and a checker holding the image of an earlier position brings its copy up to date by writing only
// the lines changed since. Entries older than every image still in flight are folded into a base
// copy (trim), so memory stays bounded by what is in flight, not by the run's history.
import type { LineImage, LineJournalView } from '../../../core/api.js';
import { LINE_BYTES } from './units.js';

const INITIAL_ENTRIES = 1024;

export class LineJournal implements LineJournalView {
  /** The image at position `start`, padded to whole lines. */
  private readonly base: Buffer;
  private lines = new Int32Array(INITIAL_ENTRIES);
  private bytes = new Uint8Array(INITIAL_ENTRIES * LINE_BYTES);
  private first = 0;
  private count = 0;

  /** `initial`: the image at position 0, a multiple of LINE_BYTES long; copied. */
  constructor(initial: Uint8Array) {
    this.base = Buffer.from(initial);
  }

  /** Oldest position an image can still be materialized at. */
  get start(): number {
    return this.first;
  }

  /** The position after the last change: what a LineImage made now refers to. */
  get end(): number {
    return this.first + this.count;
  }

  get imageBytes(): number {
    return this.base.length;
  }

  /** Appends a change: `line` now holds `content` (LINE_BYTES, copied). */
  record(line: number, content: Uint8Array): void {
    if (this.count === this.lines.length) this.grow();
    this.lines[this.count] = line;
    this.bytes.set(content, this.count * LINE_BYTES);
    this.count++;
  }

  lineAt(position: number): number {
    return this.lines[position - this.first]!;
  }

  contentAt(position: number): Uint8Array {
    const at = (position - this.first) * LINE_BYTES;
    return this.bytes.subarray(at, at + LINE_BYTES);
  }

  /** Writes the image at `position` (start ≤ position ≤ end) into `target` (imageBytes long). */
  materialize(position: number, target: Uint8Array): void {
    if (position < this.first || position > this.end)
      throw new RangeError(`journal position ${position} is outside [${this.first}, ${this.end}]`);
    target.set(this.base);
    for (let p = this.first; p < position; p++) target.set(this.contentAt(p), this.lineAt(p) * LINE_BYTES);
  }

  /** Folds the entries before `position` into the base: no image before it can be asked for any more. */
  trim(position: number): void {
    const upTo = Math.min(position, this.end);
    if (upTo <= this.first) return;
    for (let p = this.first; p < upTo; p++) this.base.set(this.contentAt(p), this.lineAt(p) * LINE_BYTES);
    const dropped = upTo - this.first;
    this.lines.copyWithin(0, dropped, this.count);
    this.bytes.copyWithin(0, dropped * LINE_BYTES, this.count * LINE_BYTES);
    this.count -= dropped;
    this.first = upTo;
  }

  /** Entries kept (not yet folded into the base). */
  get size(): number {
    return this.count;
  }

  private grow(): void {
    const lines = new Int32Array(this.lines.length * 2);
    lines.set(this.lines);
    const bytes = new Uint8Array(this.bytes.length * 2);
    bytes.set(this.bytes);
    this.lines = lines;
    this.bytes = bytes;
  }
}

/** An image of `journal` at its current end with `overrides` (line → LINE_BYTES of content). */
export function lineImage(
  journal: LineJournal,
  size: number,
  overrideLines: readonly number[] = [],
  overrideContents: readonly Uint8Array[] = [],
): LineImage {
  return { kind: 'lines', size, journal, position: journal.end, overrideLines, overrideContents };
}

/** The bytes of a LineImage, whole: for checkers that keep no copy of their own. */
export function imageBytes(image: LineImage): Buffer {
  const padded = Buffer.alloc(image.journal.imageBytes);
  image.journal.materialize(image.position, padded);
  image.overrideLines.forEach((line, i) => padded.set(image.overrideContents[i]!, line * LINE_BYTES));
  return padded.subarray(0, image.size);
}

/** `image` as bytes whether it came as bytes or as lines. */
export function wholeImage(image: Buffer | LineImage): Buffer {
  return Buffer.isBuffer(image) ? image : imageBytes(image);
}

/**
 * One fixed image (a journal with no changes) that can be handed to a checker again and again: what
 * the benchmarks use for the bare fork-server loop, where the slot then writes nothing.
 */
export function fixedImage(image: Buffer): LineImage {
  let journal = fixedJournals.get(image);
  if (!journal) {
    const padded = Buffer.alloc(Math.ceil(image.length / LINE_BYTES) * LINE_BYTES);
    padded.set(image);
    fixedJournals.set(image, (journal = new LineJournal(padded)));
  }
  return lineImage(journal, image.length);
}
const fixedJournals = new WeakMap<Buffer, LineJournal>();
