// Walks a trace in program order and keeps, after each event, what the x86 persistency model
// says about the pool: the executed image (every store so far), the durable image (only stores
// made durable by clflush, clwb/clflushopt + fence, non-temporal + fence, or msync), and each
// cache line's pending stores in program order. Both images keep incremental digests.
import type { TraceEvent } from '../../../core/api.js';
import { EventKind, type EventTable, FLUSH_KIND_CODES } from '../../../core/trace/event-table.js';
import { mixLine } from './image-hash.js';
import type { LineJournal } from './line-journal.js';
import type { StoreUnit } from './units.js';
import { LINE_BYTES, lineOf, splitStoreBytes } from './units.js';

export interface PendingUnit extends StoreUnit {
  /** A clwb/clflushopt of the line came after it: durable at the next fence. */
  flushing: boolean;
  /** Sequence number of that flush. */
  flushedBy?: number;
}

/** The flush kind code of clflush (FLUSH_KIND_CODES): the one flush that persists by itself. */
const CLFLUSH = FLUSH_KIND_CODES.indexOf('clflush');

export class PersistencyTracker {
  readonly executed: Buffer;
  readonly durable: Buffer;
  readonly executedDigest: Uint32Array;
  readonly durableDigest: Uint32Array;
  private readonly pending = new Map<number, PendingUnit[]>();
  /** Lines holding units that the next fence makes durable (flushing or non-temporal). */
  private readonly awaitingFence = new Set<number>();
  /** Bumped whenever a line's durable content or pending units change: a cache key for images. */
  private readonly versions = new Map<number, number>();
  private nextVersion = 1;

  /**
   * `journals`: where to record every change of the durable (adr images) or executed (eadr images)
   * lines, for checkers that keep their own copy of the image and take only the lines that change.
   */
  constructor(
    initial: Buffer,
    initialDigest: Uint32Array,
    readonly journals: { durable?: LineJournal; executed?: LineJournal } = {},
  ) {
    this.executed = Buffer.from(initial);
    this.durable = Buffer.from(initial);
    this.executedDigest = Uint32Array.from(initialDigest);
    this.durableDigest = Uint32Array.from(initialDigest);
  }

  /** A number that changes whenever any line's durable bytes or pending units change. */
  get version(): number {
    return this.nextVersion;
  }

  /** Lines with stores not yet durable, each with its units in program order. */
  get pendingLines(): ReadonlyMap<number, readonly PendingUnit[]> {
    return this.pending;
  }

  /** A number that changes whenever the line's durable bytes or pending units change. */
  lineVersion(line: number): number {
    return this.versions.get(line) ?? 0;
  }

  /** Lines whose next fence would make something durable (for the trace's performance rules). */
  get linesAwaitingFence(): ReadonlySet<number> {
    return this.awaitingFence;
  }

  /** Applies an event given as an object (a simulated fix's inserted flush or fence, a test's event). */
  apply(event: TraceEvent): void {
    switch (event.kind) {
      case 'store':
        return this.store(event.seq, event.offset, event.data, event.nonTemporal);
      case 'flush':
        return this.flush(event.seq, event.offset, event.flushKind === 'clflush');
      case 'fence':
        return this.fence();
      case 'msync':
        return this.msync(event.offset, event.length);
      case 'marker':
        return;
    }
  }

  /** Applies event `i` of a table, from its columns (no event object: the engine's hot loop). */
  applyAt(events: EventTable, i: number): void {
    switch (events.kind(i)) {
      case EventKind.store:
        return this.store(i, events.offset(i), events.data(i), events.nonTemporal(i));
      case EventKind.flush:
        return this.flush(i, events.offset(i), events.flags(i) === CLFLUSH);
      case EventKind.fence:
        return this.fence();
      case EventKind.msync:
        return this.msync(events.offset(i), events.size(i));
      case EventKind.marker:
        return;
    }
  }

  private store(seq: number, offset: number, data: Uint8Array, nonTemporal: boolean): void {
    if (offset + data.length > this.executed.length) {
      throw new RangeError(
        `store #${seq} at [${offset}, ${offset + data.length}) is outside the pool of ${this.executed.length} bytes`,
      );
    }
    const units = splitStoreBytes(seq, offset, data, nonTemporal);
    for (const unit of units) {
      const line = lineOf(unit.offset);
      // A non-temporal store to a cached line first writes the line back: its earlier stores become
      // durable, and the per-line prefix order of what is still pending holds.
      if (unit.nonTemporal && unit.part === 0) this.persist(line, () => true);
      else if (unit.nonTemporal && lineOf(units[unit.part - 1]!.offset) !== line) this.persist(line, () => true);
      writeLine(this.executed, this.executedDigest, line, [unit], this.journals.executed);
      let list = this.pending.get(line);
      if (!list) this.pending.set(line, (list = []));
      list.push({ ...unit, flushing: false });
      this.versions.set(line, this.nextVersion++);
      if (unit.nonTemporal) this.awaitingFence.add(line);
    }
  }

  private flush(seq: number, offset: number, clflush: boolean): void {
    const line = lineOf(offset);
    const units = this.pending.get(line);
    if (!units) return;
    if (clflush) {
      this.persist(line, () => true);
      return;
    }
    for (const unit of units) {
      if (unit.flushing) continue;
      unit.flushing = true;
      unit.flushedBy = seq;
    }
    this.awaitingFence.add(line);
  }

  private fence(): void {
    for (const line of this.awaitingFence) this.persist(line, (u) => u.flushing || u.nonTemporal);
    this.awaitingFence.clear();
  }

  private msync(offset: number, length: number): void {
    const last = lineOf(offset + Math.max(length, 1) - 1);
    for (const line of [...this.pending.keys()]) {
      if (line >= lineOf(offset) && line <= last) this.persist(line, () => true);
    }
  }

  /** Makes the units of `line` that match durable, in program order. */
  private persist(line: number, matches: (u: PendingUnit) => boolean): void {
    const units = this.pending.get(line);
    if (!units) return;
    const durable = units.filter(matches);
    const rest = units.filter((u) => !matches(u));
    if (durable.length > 0) writeLine(this.durable, this.durableDigest, line, durable, this.journals.durable);
    if (rest.length > 0) this.pending.set(line, rest);
    else this.pending.delete(line);
    this.versions.set(line, this.nextVersion++);
  }
}

/** Writes units into one line of an image, keeping the image's digest current. */
export function writeLine(
  image: Buffer,
  digest: Uint32Array,
  line: number,
  units: readonly StoreUnit[],
  journal?: LineJournal,
): void {
  mixLine(digest, line, image, -1);
  for (const unit of units) image.set(unit.data, unit.offset);
  mixLine(digest, line, image, 1);
  journal?.record(line, image.subarray(line * LINE_BYTES, (line + 1) * LINE_BYTES));
}

export { LINE_BYTES };
