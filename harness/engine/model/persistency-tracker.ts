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
  /** Bumped whenever a line starts or stops having pending units. */
  private membership = 0;
  /** Lines whose pending units the last event changed and that are still pending, in the order met. */
  private changed: number[] = [];

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

  /** A number that changes whenever any line's durable bytes, pending units or flushing marks change. */
  get version(): number {
    return this.nextVersion;
  }

  /** Lines with stores not yet durable, each with its units in program order. */
  get pendingLines(): ReadonlyMap<number, readonly PendingUnit[]> {
    return this.pending;
  }

  /**
   * The lines whose pending units the last event that changed anything changed (a store added to
   * them, a fence or msync made some durable) and that still hold pending units: what is new about
   * the current state.
   */
  get changedLines(): readonly number[] {
    return this.changed;
  }

  /** A number that changes whenever the set of lines with pending units changes. */
  get pendingSetVersion(): number {
    return this.membership;
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
    const before = this.beginChange();
    this.applyEvent(event);
    this.endChange(before);
  }

  /** Applies event `i` of a table, from its columns (no event object: the engine's hot loop). */
  applyAt(events: EventTable, i: number): void {
    const before = this.beginChange();
    this.applyColumns(events, i);
    this.endChange(before);
  }

  // An event that changes nothing (a flush, a marker, a fence with nothing to drain) leaves the
  // last change's lines in place: they describe the state, whichever points were visited.
  private beginChange(): { version: number; changed: number[] } {
    const before = { version: this.nextVersion, changed: this.changed };
    this.changed = [];
    return before;
  }

  private endChange(before: { version: number; changed: number[] }): void {
    if (this.nextVersion === before.version) this.changed = before.changed;
  }

  private applyEvent(event: TraceEvent): void {
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

  private applyColumns(events: EventTable, i: number): void {
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
      if (!list) {
        this.pending.set(line, (list = []));
        this.membership++;
      }
      list.push({ ...unit, flushing: false });
      this.versions.set(line, this.nextVersion++);
      this.noteChanged(line);
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
    let marked = false;
    for (const unit of units) {
      if (unit.flushing) continue;
      unit.flushing = true;
      unit.flushedBy = seq;
      marked = true;
    }
    this.awaitingFence.add(line);
    // Which lines await a fence is part of the state the strategies read (extremes): a new state,
    // though no line's bytes changed (so no line version moves).
    if (marked) this.nextVersion++;
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
    else if (this.pending.delete(line)) this.membership++;
    // Only lines with units a fence would drain await one (msync or clflush may have drained it).
    if (!rest.some((u) => u.flushing || u.nonTemporal)) this.awaitingFence.delete(line);
    this.versions.set(line, this.nextVersion++);
    if (durable.length > 0 && rest.length > 0) this.noteChanged(line);
  }

  private noteChanged(line: number): void {
    if (!this.changed.includes(line)) this.changed.push(line);
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
