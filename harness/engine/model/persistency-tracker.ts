// Walks a trace in program order and keeps, after each event, what the x86 persistency model
// says about the pool: the executed image (every store so far), the durable image (only stores
// made durable by clflush, clwb/clflushopt + fence, non-temporal + fence, or msync), and each
// cache line's pending stores in program order. Both images keep incremental digests.
//
// Threads (events carry `thread`, absent = 0; the trace's order is the order they executed): a
// fence orders only its own thread's flushes and non-temporal stores, so a clwb/clflushopt is made
// durable by the next fence of the thread that issued it, a non-temporal store by the next fence of
// its thread. A flush writes back every store of its line that came before it in the trace,
// whichever thread made it (in a program whose threads synchronise, a store ordered before the
// flush has left its thread's store buffer); clflush, msync and the write-back before a
// non-temporal store stay immediate; a line's stores persist in the trace's order (a prefix).
import type { TraceEvent } from '../../../core/api.js';
import { EventKind, type EventTable, FLUSH_KIND_CODES } from '../../../core/trace/event-table.js';
import { mixLine } from './image-hash.js';
import type { LineJournal } from './line-journal.js';
import type { StoreUnit } from './units.js';
import { LINE_BYTES, lineOf, splitStoreBytes } from './units.js';

export interface PendingUnit extends StoreUnit {
  /** A clwb/clflushopt of the line came after it: durable at the next fence of that flush's thread. */
  flushing: boolean;
  /** Sequence number of that flush (the first one, when several threads flushed the line). */
  flushedBy?: number;
  /** The thread that made the store, when not thread 0. */
  thread?: number;
  /**
   * With threads: every thread that flushed the line after the store (a fence of any of them makes
   * it durable). Absent when only thread 0 did, so a one-thread trace's units are as before.
   */
  flushThreads?: number[];
}

const NO_LINES: ReadonlySet<number> = new Set();

/** The flush kind code of clflush (FLUSH_KIND_CODES): the one flush that persists by itself. */
const CLFLUSH = FLUSH_KIND_CODES.indexOf('clflush');

/** The thread of an event or unit: absent means thread 0. */
function threadOf(x: { thread?: number }): number {
  return x.thread ?? 0;
}

/**
 * Would a fence of `thread` make `unit` durable: the unit is its non-temporal store, or a flush of
 * the thread came after the unit? (A flush's threads include every later flush's: a fence of one
 * thread makes a prefix of each line's units durable.)
 */
function fenceOrders(unit: PendingUnit, thread: number): boolean {
  if (unit.nonTemporal && threadOf(unit) === thread) return true;
  if (!unit.flushing) return false;
  return unit.flushThreads ? unit.flushThreads.includes(thread) : thread === 0;
}

export class PersistencyTracker {
  readonly executed: Buffer;
  readonly durable: Buffer;
  readonly executedDigest: Uint32Array;
  readonly durableDigest: Uint32Array;
  private readonly pending = new Map<number, PendingUnit[]>();
  /** Per thread, the lines holding units that its next fence makes durable (flushing or non-temporal). */
  private readonly awaitingFence = new Map<number, Set<number>>();
  /** Every thread's awaiting lines together (linesAwaitingFence), rebuilt when read after a change. */
  private awaitingUnion: Set<number> | undefined = new Set();
  /** Bumped whenever a line's durable content or pending units change: a cache key for images. */
  private readonly versions = new Map<number, number>();
  private nextVersion = 1;
  /** Bumped whenever a line starts or stops having pending units. */
  private membership = 0;
  /** Lines whose pending units the last event changed and that are still pending, in the order met. */
  private changed: number[] = [];
  /**
   * The version at which the event that made `changed` began, and at which the event being applied
   * began: a line noted by a later event starts a new list (a change always moves the version, so
   * no two changing events begin at the same one). Nothing is allocated for an event that changes nothing.
   */
  private changedFrom = -1;
  private eventStart = 0;

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

  /** Lines that some thread's next fence would make something of durable (the performance rules). */
  get linesAwaitingFence(): ReadonlySet<number> {
    if (!this.awaitingUnion) {
      this.awaitingUnion = new Set();
      for (const lines of this.awaitingFence.values()) for (const line of lines) this.awaitingUnion.add(line);
    }
    return this.awaitingUnion;
  }

  /** Lines whose units a fence of `thread` would make durable (an idle fence has none). */
  linesAwaitingFenceOf(thread: number): ReadonlySet<number> {
    return this.awaitingFence.get(thread) ?? NO_LINES;
  }

  private awaitFence(thread: number, line: number): void {
    let lines = this.awaitingFence.get(thread);
    if (!lines) this.awaitingFence.set(thread, (lines = new Set()));
    lines.add(line);
    this.awaitingUnion = undefined;
  }

  /** Applies an event given as an object (a simulated fix's inserted flush or fence, a test's event). */
  apply(event: TraceEvent): void {
    this.eventStart = this.nextVersion;
    this.applyEvent(event);
    this.endEvent();
  }

  /** Applies event `i` of a table, from its columns (no event object: the engine's hot loop). */
  applyAt(events: EventTable, i: number): void {
    this.eventStart = this.nextVersion;
    this.applyColumns(events, i);
    this.endEvent();
  }

  // An event that changes nothing (a flush, a marker, a fence with nothing to drain) leaves the
  // last change's lines in place: they describe the state, whichever points were visited. One that
  // changed something without noting a line (a fence that drained lines whole) leaves none.
  private endEvent(): void {
    if (this.nextVersion !== this.eventStart && this.changedFrom !== this.eventStart) this.startChanges();
  }

  /** A fresh list of changed lines for the event being applied. */
  private startChanges(): void {
    this.changed = [];
    this.changedFrom = this.eventStart;
  }

  private applyEvent(event: TraceEvent): void {
    const thread = threadOf(event);
    switch (event.kind) {
      case 'store':
        return this.store(event.seq, event.offset, event.data, event.nonTemporal, thread);
      case 'flush':
        return this.flush(event.seq, event.offset, event.flushKind === 'clflush', thread);
      case 'fence':
        return this.fence(thread);
      case 'msync':
        return this.msync(event.offset, event.length);
      case 'marker':
        return;
    }
  }

  private applyColumns(events: EventTable, i: number): void {
    const thread = events.thread(i);
    switch (events.kind(i)) {
      case EventKind.store:
        return this.store(i, events.offset(i), events.data(i), events.nonTemporal(i), thread);
      case EventKind.flush:
        return this.flush(i, events.offset(i), events.flags(i) === CLFLUSH, thread);
      case EventKind.fence:
        return this.fence(thread);
      case EventKind.msync:
        return this.msync(events.offset(i), events.size(i));
      case EventKind.marker:
        return;
    }
  }

  private store(seq: number, offset: number, data: Uint8Array, nonTemporal: boolean, thread: number): void {
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
      list.push({ ...unit, flushing: false, ...(thread ? { thread } : {}) });
      this.versions.set(line, this.nextVersion++);
      this.noteChanged(line);
      if (unit.nonTemporal) this.awaitFence(thread, line);
    }
  }

  private flush(seq: number, offset: number, clflush: boolean, thread: number): void {
    const line = lineOf(offset);
    const units = this.pending.get(line);
    if (!units) return;
    if (clflush) {
      this.persist(line, () => true);
      return;
    }
    let marked = false;
    for (const unit of units) {
      if (!unit.flushing) {
        unit.flushing = true;
        unit.flushedBy = seq;
        if (thread !== 0) unit.flushThreads = [thread];
        marked = true;
      } else if (!fenceOrders(unit, thread)) {
        // already awaiting another thread's fence: now this thread's too
        unit.flushThreads = [...(unit.flushThreads ?? [0]), thread];
        marked = true;
      }
    }
    this.awaitFence(thread, line);
    // Which lines await a fence is part of the state the strategies read (extremes): a new state,
    // though no line's bytes changed (so no line version moves).
    if (marked) this.nextVersion++;
  }

  private fence(thread: number): void {
    const lines = this.awaitingFence.get(thread);
    if (!lines) return;
    this.awaitingFence.delete(thread);
    this.awaitingUnion = undefined;
    for (const line of lines) this.persist(line, (u) => fenceOrders(u, thread));
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
    // Only lines with units a thread's fence would drain await that thread's fence (msync, clflush
    // or another thread's fence may have drained it).
    for (const [thread, lines] of this.awaitingFence) {
      if (lines.has(line) && !rest.some((u) => fenceOrders(u, thread))) {
        lines.delete(line);
        this.awaitingUnion = undefined;
      }
    }
    this.versions.set(line, this.nextVersion++);
    if (durable.length > 0 && rest.length > 0) this.noteChanged(line);
  }

  private noteChanged(line: number): void {
    if (this.changedFrom !== this.eventStart) this.startChanges();
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
