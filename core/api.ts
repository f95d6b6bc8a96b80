// The contract: every type that crosses a module boundary in pmfit lives here.
// Scenarios and reporters import only this file; they never reach into the engine.
// This module is types only — it emits no code.

// ---------------------------------------------------------------- the trace

export type FlushKind = 'clflush' | 'clflushopt' | 'clwb';
export type FenceKind = 'sfence' | 'mfence' | 'locked';
export type MarkerKind = 'start' | 'stop' | 'user';

/** Fields every trace event carries. */
export interface EventBase {
  /** Position in program order, 0-based and consecutive. */
  seq: number;
  /** Instructions executed (native) or pool calls made (TS) when the event happened. */
  icount: number;
  /** Program counter of the instruction (native); 0 for TS events. */
  pc: number;
  /**
   * The user's line the event comes from (`file:line`): a TS call site outside pmfit, or for a native
   * event the instruction's own line when it lies in the user's code, else the line of the innermost
   * call from the user's code that led to it (docs/trace-format.md, "User frames").
   */
  site?: string;
  /**
   * Native: when `site` is a caller's line, the function outside the user's code whose instruction
   * it was (`memcpy`, `pmem_memcpy_nodrain`), so a report reads "memcpy called at f.c:12".
   */
  via?: string;
  /**
   * Native: no frame of the user's code was live when the event happened (the loader, libc's start-up
   * and exit handlers). Such events still count for the model; lints leave them out by default.
   */
  outsideUserCode?: boolean;
  /**
   * Native, as read from the trace: the user's call instruction that led to the event, when the
   * event's own instruction is outside the user's code (a frame record; `site` is its line).
   */
  callerPc?: number;
  /** Native, as read: the first instruction of the function that call entered (`via` names it). */
  calleePc?: number;
  /** Which pool of the trace header the event touches. */
  pool: number;
  /**
   * Native: the thread that made the event (docs/trace-format.md, kind 10): 0 the program's first
   * thread, then in the order the threads were created. Absent means 0 (the event table keeps it in a column).
   */
  thread?: number;
}

export interface StoreEvent extends EventBase {
  kind: 'store';
  /** Byte offset in the pool file. */
  offset: number;
  data: Uint8Array;
  nonTemporal: boolean;
}

export interface FlushEvent extends EventBase {
  kind: 'flush';
  /** Any address inside the flushed cache line, as a pool offset. */
  offset: number;
  flushKind: FlushKind;
}

export interface FenceEvent extends EventBase {
  kind: 'fence';
  fenceKind: FenceKind;
}

export interface MsyncEvent extends EventBase {
  kind: 'msync';
  offset: number;
  length: number;
}

export interface MarkerEvent extends EventBase {
  kind: 'marker';
  markerKind: MarkerKind;
  name: string;
}

export type TraceEvent = StoreEvent | FlushEvent | FenceEvent | MsyncEvent | MarkerEvent;

import type { EventTable } from './trace/event-table.js';
export type { EventTable };

export interface PoolDescriptor {
  id: number;
  path: string;
  size: number;
  /** The pool's name (`--pool NAME=FILE`; `{NAME}` in commands); absent: the one default pool. */
  name?: string;
  /** This file's index among its poolset's parts; absent for a plain pool file. */
  part?: number;
  /** Part 0 of a poolset: the set's lines before its parts (PMEMPOOLSET, OPTION ...). */
  setHead?: string[];
  /** Digest of the pool's content before the snippet (a forked child's trace gives none), and (relative to the trace) where to read it. */
  initialImage?: { sha256?: string; file?: string };
}

/** Where a pool was mapped while the program ran (native traces). */
export interface PoolMapping {
  pool: number;
  base: number;
  length: number;
  fileOffset: number;
}

export interface TraceHeader {
  formatVersion: number;
  source: 'ts' | 'native';
  /** The program (native) or scenario (TS) that produced the trace. */
  program: string[];
  pools: PoolDescriptor[];
  // The fields below are written by the native tracer only (docs/trace-format.md, "Header extras").
  /** Load bias of the main binary, 0 unless it is PIE: a pc minus mainBase is what addr2line takes. */
  mainBase?: number;
  /** The main binary as QEMU loaded it. */
  mainPath?: string;
  /** Host minus guest address in QEMU user mode (0 for x86-64 on x86-64). */
  guestBase?: number;
  /** How the traced window was chosen: icount markers (`auto`), the whole run, or --from/--to. */
  window?: 'auto' | 'whole' | 'function';
  /** The trace comes from a `qemu -singlestep` run (every flush address exact). */
  singlestep?: boolean;
}

/**
 * The code of one file the traced program ran (native traces, object records): where its executable
 * range was, its load bias (a pc minus `bias` is what addr2line takes), and whether it is the user's.
 */
export interface CodeObject {
  path: string;
  bias: number;
  start: number;
  end: number;
  /** Its code is the user's (the default rule or --user-code): events are attributed to its lines. */
  user: boolean;
  /** The program's main binary. */
  main: boolean;
}

/**
 * A whole trace in memory: what the engine consumes. `events` is columnar and read-only
 * (core/trace/event-table.ts): `events.get(i)` gives one event as a TraceEvent object.
 */
export interface Trace {
  header: TraceHeader;
  mappings: PoolMapping[];
  events: EventTable;
  /** Native traces: the code objects the program mapped (docs/trace-format.md, "User frames"). */
  objects?: CodeObject[];
}

// ---------------------------------------------------------------- the model

// The names are one tuple each (the CLI's choices derive from them too).
import type { ModelName, OracleName, StrategyName } from './support/names.js';
export type { ModelName, OracleName, StrategyName };

/** A position in the event stream: the crash happens after `index` events. */
export interface CrashPoint {
  index: number;
  /** Instruction counts this point stands for (inclusive range). */
  icountFrom: number;
  icountTo: number;
  /** The event just before the crash, if any. */
  lastEvent?: TraceEvent;
}

// ---------------------------------------------------------------- checking

/**
 * What a check observed on one crash image, as produced by every check pool: the check ran to the
 * end and passed or failed by its own judgement, was killed by a signal, ran past its time limit
 * twice (a first time-out is re-run on a fresh worker or process), or could not run at all (the
 * verdict is then unknown, never a pass). `output` is the check's stdout (or the string a TS check
 * returns), bounded, with the image's path replaced by `{pool}`.
 */
export type CheckOutcome =
  | { kind: 'passed'; output: string }
  /** `detail`: why, in the check's words (its last stderr line or exit status; a TS check's `detail`). */
  | { kind: 'failed'; output: string; detail?: string }
  /** `signal`: the signal's name (`SIGSEGV`); `detail`: the check's last stderr line, if any. */
  | { kind: 'crashed'; output: string; signal: string; detail?: string }
  /** `limitMs`: the time limit each of the `attempts` ran past. */
  | { kind: 'timed-out'; output: string; limitMs: number; attempts: number }
  /** `error`: why the check could not run or threw (the check itself failed, not the image). */
  | { kind: 'error'; output: string; error: string };

export type CheckOutcomeKind = CheckOutcome['kind'];

/** What a TypeScript scenario's check returns (a plain string means consistent). */
export interface CheckResult {
  /** The state's canonical description: collated, compared by the atomic and ops oracles. */
  output: string;
  /** The check's own judgement: false is a finding under the exit oracle. */
  passed: boolean;
  /** Why the check did not pass, in the check's words. */
  detail?: string;
}

/**
 * The changes of one image, line by line, as a run moves on (harness/engine/model/line-journal.ts):
 * position p is the image after the first p changes.
 */
export interface LineJournalView {
  /** Oldest position still kept; an image before it cannot be rebuilt any more. */
  readonly start: number;
  readonly end: number;
  /** Bytes of the whole (line-padded) image. */
  readonly imageBytes: number;
  /** The line the change at `position` wrote, and its new 64 bytes. */
  lineAt(position: number): number;
  contentAt(position: number): Uint8Array;
  /** Writes the image at `position` into `target`. */
  materialize(position: number, target: Uint8Array): void;
}

/**
 * A crash image as the lines that differ: the journal's image at `position` with a few 64-byte lines
 * replaced. A checker that keeps its own copy writes only what changed since the image it held last.
 */
export interface LineImage {
  kind: 'lines';
  /** Bytes of the image (the pool's size; the journal's image may be padded past it). */
  size: number;
  journal: LineJournalView;
  position: number;
  /** Lines replaced, ascending, and their contents (immutable: shared between images). */
  overrideLines: readonly number[];
  overrideContents: readonly Uint8Array[];
}

/** Runs the program's recovery and check on a private copy of one crash image. */
export interface Checker {
  /**
   * Takes ownership of `image`: the caller must not use it afterwards (it may be transferred). A
   * LineImage's journal position must not be trimmed away before the check resolves.
   */
  check(image: Buffer | LineImage): Promise<CheckOutcome>;
  close(): Promise<void>;
}

/**
 * How a crash image failed, as data (reporters word it): what the check or the oracle said.
 * `check-error` is the only one that leaves the verdict unknown.
 */
export type Failure =
  /** The check judged the state inconsistent (exit status, or a TS check's report), in its own words. */
  | { kind: 'check-failed'; detail?: string }
  /** The check was killed by a signal (`SIGSEGV`). */
  | { kind: 'check-crashed'; signal: string }
  /** The check ran past `limitMs` on each of its `attempts` (a time-out is re-run once before it counts). */
  | { kind: 'check-timed-out'; limitMs?: number; attempts?: number }
  /** The check itself could not run or threw: the verdict is unknown, never a pass. */
  | { kind: 'check-error'; error: string }
  /** atomic oracle: the check passed, but the state is neither the one before nor the one after the snippet. */
  | { kind: 'not-before-or-after' }
  /** ops oracle: the check passed, but the state is not the one at any boundary the crash allows. */
  | { kind: 'not-at-boundary' };

/** A verdict is a tagged union, never a boolean (Jepsen's valid? true|false|unknown). */
export type Verdict =
  | { status: 'consistent' }
  | { status: 'inconsistent'; failure: Exclude<Failure, { kind: 'check-error' }>; expected?: string; actual?: string }
  | { status: 'unknown'; failure: Extract<Failure, { kind: 'check-error' }> };

// ---------------------------------------------------------------- results

/**
 * Which persistency bug a failing image shows, decided from the pending stores it kept and lost
 * (harness/engine/classify.ts): `inconsistent` when it lost nothing, `unclassified` when no rule fits.
 */
export type FindingClass =
  | 'missing-flush'
  | 'missing-fence'
  | 'ordering'
  | 'torn-write'
  | 'inconsistent'
  | 'unclassified';

/** One trace event named as data: what a finding shows as "the event before the crash". */
export interface EventRef {
  kind: TraceEvent['kind'];
  seq: number;
  /** store, msync: the first byte; flush: the flushed line's first byte. Absent for fences and markers. */
  offset?: number;
  /** Several pool files: the file `offset` is in (offsets are then the file's own). */
  pool?: string;
  /** store, msync: bytes written or synced. */
  size?: number;
  /** The instruction's flavour: flush or fence kind, marker kind, `non-temporal` for a movnt store. */
  variant?: FlushKind | FenceKind | MarkerKind | 'non-temporal';
  /** store: the first (at most 16) bytes written, in hex. */
  bytes?: string;
  /** marker: its name. */
  name?: string;
  site?: string;
  /** The library function that ran the instruction when `site` is the user's call of it. */
  via?: string;
  /** Native events without a resolved site: the instruction's address. */
  pc?: number;
}

/**
 * Flushes or fences from one place that do no work, or stores from one place never made durable
 * (from the trace alone), grouped by kind and site: one entry per (kind, site) with a count.
 */
export interface PerfFinding {
  kind: 'redundant-flush' | 'clean-flush' | 'idle-fence' | 'never-durable';
  /** The first event of this kind from this place. */
  event: EventRef;
  /** How many events of this kind came from this place. */
  count: number;
  /** The place is outside the user's code (listed only with `--lint all`). */
  library?: boolean;
}

/**
 * A store a crash image lost (still pending) or kept before it was durable. `offset`/`size` are the
 * bytes in this list; a store torn across the two lists has `store` with its whole range.
 */
export interface LostStore {
  seq: number;
  offset: number;
  /** Several pool files: the file `offset` (and `store.offset`) is in; offsets are then the file's own. */
  pool?: string;
  size: number;
  /** The whole store, when only part of it is in this list (a torn store). */
  store?: { offset: number; size: number };
  site?: string;
  /** The library function that made the store, when `site` is the user's call of it. */
  via?: string;
  pc?: number;
  /** The thread that made the store (absent: thread 0); reports name it when the trace has several. */
  thread?: number;
}

/**
 * The change pmfit suggests for a bug, as data (reports/format.ts words it), and whether re-simulating
 * the recorded trace with the change made the bug's failing images pass:
 * - `flush`: flush the `lines` written by `stores` before the fence `anchor` (missing-flush);
 * - `persist`: make `stores` durable right after they are written: flush + fence (missing-flush with
 *   no later fence to flush before, or when flushing before that fence is not enough);
 * - `fence`: a fence right after the flush (or non-temporal store) `anchor` (missing-fence, ordering);
 * - `atomic`: publish `stores` with one aligned 8-byte store, or guard them with a checksum or a
 *   valid flag (torn-write); verified when every failing image passes with the store whole and lost.
 */
export interface FixSuggestion {
  kind: 'flush' | 'persist' | 'fence' | 'atomic';
  /** The stores the change makes durable (or atomic). */
  stores: LostStore[];
  /** Their cache lines. */
  lines: number[];
  /** Several pool files: the file of each of `lines` (lines are then the file's own). */
  linePools?: string[];
  /** flush: the fence to flush before; fence: the flush after which to fence; ordering: the store to persist before. */
  anchor?: EventRef;
  /** ordering: the later store that persisted first. */
  before?: LostStore;
  verification: FixVerification;
}

export type FixVerification =
  /** Every one of the bug's `images` failing images passed when rebuilt from the changed trace. */
  | { status: 'verified'; images: number }
  /** `passed` of the `images` passed: the change alone does not fix the bug. */
  | { status: 'not-sufficient'; images: number; passed: number }
  /** Not re-simulated, and why (kept for consumers of schema 3; pmfit itself omits `fix` when it cannot verify one). */
  | { status: 'not-checked'; reason: string };

/** Where one bug shows at one crash point: the smallest failing image there. */
export interface BugOccurrence {
  crashPoint: number;
  icountFrom: number;
  icountTo: number;
  /** Failing images of this bug at this point. */
  images: number;
  replayId: string;
}

/**
 * One bug: the failing crash images of a run that share a class and the program sites they depend on
 * (harness/judge/bugs.ts; README, "One finding per bug"). Its witness — the smallest failing image,
 * minimised by re-simulation — is described by the fields from `crashPoint` to `replayCommand`.
 */
export interface Finding {
  /** The persistency bug (the one class field), confirmed by re-simulation where the run had a checker. */
  class: FindingClass;
  /** The user sites the bug is identified by: of the stores lost, and of those persisted too early. */
  sites: { lost: string[]; kept: string[] };
  /** What the check or oracle said about the witness. */
  failure: Failure;
  scenario: string;
  model: ModelName;
  strategy: StrategyName;
  /** The crash points where the bug shows, as inclusive ranges of point numbers, ascending. */
  crashPoints: Array<[from: number, to: number]>;
  /** How many crash points those ranges hold, and how many distinct failing images the bug has. */
  pointCount: number;
  failingImages: number;
  /** The witness: its crash point and instruction range. */
  crashPoint: number;
  icountFrom: number;
  icountTo: number;
  /** The event just before the witness's crash; absent at crash point 0. */
  lastEvent?: EventRef;
  /** What the oracle accepts there, and what the check printed on the witness. */
  expected?: string;
  actual?: string;
  /** The stores the bug depends on that the witness lost (still pending at the crash). */
  lostStores: LostStore[];
  /** The stores the bug depends on that the witness persisted before they were durable. */
  keptStores: LostStore[];
  /** Stores the witness also lost or kept early that the bug does not depend on (counted, not listed). */
  otherLost: number;
  otherKept: number;
  /** The witness's cache lines lost and 8-byte units lost. */
  lostLines: number;
  lostUnits: number;
  /** MODEL@POINT[/LINES][~TRACE]: see README, Replay ids. */
  replayId: string;
  /** The one shell command that replays it, quoted (harness/engine/replay-id.ts). */
  replayCommand: string;
  /** The change that should fix it, verified by re-simulation; absent when no persistency change applies. */
  fix?: FixSuggestion;
  /** Every crash point where the bug shows (per-point detail, in point order). */
  occurrences: BugOccurrence[];
}

/** An inclusive range of instruction counts. */
export type IcountRange = [from: number, to: number];

/** One group of crash points whose images gave the same output (allcounts' collation). */
export interface OutputGroup {
  output: string;
  /** The instruction counts at which a crash gave this output, merged, ascending. */
  iterations: IcountRange[];
  /** How many crash images gave it. */
  images: number;
}

export interface RunSummary {
  verdict: 'consistent' | 'inconsistent' | 'unknown';
  crashPoints: number;
  images: number;
  distinctImages: number;
  findings: number;
  wallMs: number;
}

/** How much of the model's state space a strategy looked at. */
export interface Coverage {
  /** Images the model allows, summed over crash points. */
  stateSpace: number;
  /** Images the strategy generated (before dedupe), over stateSpace, at most 1. */
  fraction: number;
  /** Crash points `exhaustive` could only sample (state space above --max-states). */
  partialPoints: number[];
  /** `--points unique`: crash points not checked because the event before them came from a place seen often. */
  skippedPoints?: number;
}

export interface ScenarioResult {
  scenario: string;
  model: ModelName;
  strategy: StrategyName;
  oracle: OracleName;
  seed: string;
  summary: RunSummary;
  coverage: Coverage;
  groups: OutputGroup[];
  findings: Finding[];
  /** Lints of the user's code, one per (kind, site); with `--lint all` also those of library sites. */
  perfFindings: PerfFinding[];
  /** Lint entries from outside the user's code left out of `perfFindings` (shown with `--lint all`). */
  libraryPerfFindings?: number;
  /** True when the run was interrupted (Ctrl-C) before every crash point was checked. */
  incomplete?: boolean;
  /** How the run went, for the reader: e.g. whether checks ran through the fork server. */
  notes?: string[];
  /** Which share of the crash points this result covers (`--shard K/N`); absent for a whole run. */
  shard?: { index: number; count: number };
  /** The raw per-point record a sharded run keeps, so `pmfit merge` can rebuild the whole run. */
  log?: RunLog;
}

/** One distinct image checked: what it kept and lost where it first appeared, and its outcome. */
export interface ImageRecord {
  /** The id without its trace digest (RunLog.traceDigest holds it). */
  replayId: string;
  /** The crash point where the image first appeared. */
  firstPoint: number;
  outcome: CheckOutcome;
  /**
   * What the image lost and kept: filled in only for images that fail somewhere (describing
   * an image costs its pending units; most pass, and the engine checks them without it).
   */
  class?: FindingClass;
  lostLines?: number;
  lostUnits?: number;
  lostStores?: LostStore[];
  keptStores?: LostStore[];
}

/** What an image kept and lost (harness/engine/describe-images.ts). */
export type ImageDescription = Required<
  Pick<ImageRecord, 'class' | 'lostLines' | 'lostUnits' | 'lostStores' | 'keptStores'>
>;

/** An image record with its description filled in (harness/engine/describe-images.ts). */
export type DescribedImage = ImageRecord & ImageDescription;

/** One crash point: its instruction range, the digests of its images, and where it fails the event before it. */
export interface PointRecord {
  index: number;
  icountFrom: number;
  icountTo: number;
  /** The event before the crash — kept only for points with a failing image (memory). */
  lastEvent?: EventRef;
  images: string[];
  stateSpace: number;
  partial: boolean;
  /** ops oracle: the boundaries whose outputs a crash here may show (indexes into reference.boundaries). */
  allowed?: [from: number, to: number];
}

/**
 * The crash points of a run, ascending, stored compactly (harness/engine/point-table.ts): records are
 * made on demand, and JSON.stringify writes them as an array of PointRecord.
 */
export interface PointList extends Iterable<PointRecord> {
  readonly length: number;
  /** Images shown at each point, summed; and the state space, summed. */
  readonly imageCount: number;
  readonly stateSpace: number;
  /** The record of crash point `index`, if the run checked it. */
  atPoint(index: number): PointRecord | undefined;
  /** Keeps the event before crash point `index` (the judge describes the failing points only). */
  describe(index: number, lastEvent: EventRef): void;
  /** The crash points exhaustive could only sample. */
  partialPoints(): number[];
  /**
   * Every point with its images by number in the run's ImageList, without making records or keys:
   * the judge's walks over all points (keys are made only for the few images it keeps).
   */
  shapes(): Iterable<PointShape>;
  toJSON(): PointRecord[];
}

/** A crash point as PointList.shapes gives it. */
export interface PointShape {
  index: number;
  icountFrom: number;
  icountTo: number;
  allowed?: [from: number, to: number];
  imageIds: ArrayLike<number>;
}

/**
 * The distinct images of a run by key (their digest), in the order first seen, stored compactly
 * (harness/engine/image-table.ts): records are made on demand, and JSON.stringify writes them as
 * an object of ImageRecord by key.
 */
export interface ImageList extends Iterable<[key: string, image: ImageRecord]> {
  readonly size: number;
  has(key: string): boolean;
  /** A fresh record of the image (changing it changes nothing in the list). */
  get(key: string): ImageRecord | undefined;
  keys(): IterableIterator<string>;
  /** By the image's number (0, 1, ... in the order first seen), as PointList.shapes gives them. */
  keyOf(id: number): string;
  recordOf(id: number): ImageRecord;
  outcomeOf(id: number): CheckOutcome;
  /** Fills in what the image kept and lost (the judge describes the failing images only). */
  describe(key: string, description: ImageDescription): void;
  toJSON(): Record<string, ImageRecord>;
}

/** Everything the engine observed; a ScenarioResult is computed from it alone (harness/judge/finalize.ts). */
export interface RunLog {
  scenario: string;
  model: ModelName;
  strategy: StrategyName;
  oracle: OracleName;
  seed: string;
  /** The replay command, quoted, with `'{id}'` where the quoted replay id goes. */
  replayTemplate: string;
  /** The short digest of the trace's shape that replay ids carry (set by the judge). */
  traceDigest?: string;
  /** Several pool files: how the flat image is cut into them (set by the judge; ids name files). */
  layout?: import('./pool-layout.js').PoolLayout;
  reference: { before?: string; after?: string; boundaries?: string[] };
  points: PointList;
  images: ImageList;
  perfFindings: PerfFinding[];
  incomplete?: boolean;
  /** Crash points not checked because their place was seen often enough (`points: unique`). */
  skippedPoints?: number;
}

export interface Report {
  schemaVersion: number;
  tool: { name: 'pmfit'; version: string };
  summary: RunSummary;
  /** True when some result was interrupted before every crash point was checked. */
  incomplete?: boolean;
  results: ScenarioResult[];
  findings: Finding[];
}

export interface Reporter {
  kind: string;
  render(report: Report): string;
}

// ---------------------------------------------------------------- scenarios

/** The pool API a TypeScript scenario programs against (implemented by core/pool.ts). */
export type { Pool } from './pool.js';
import type { Pool } from './pool.js';

/** A crash test written in TypeScript on the Pool API. */
export interface TsScenario {
  name: string;
  description: string;
  /** Bytes in the pool the scenario works on (a multiple of 64). */
  poolSize: number;
  /** How a check's outcome becomes a verdict; `collate` only groups outputs. */
  oracle: OracleName;
  /** Models `pmfit run` uses when the command line names none (default: adr). */
  models?: ModelName[];
  /** Untraced set-up before the snippet (formatting the pool, say). */
  setup?(pool: Pool): void;
  /** The snippet under test: everything it does to the pool is traced. */
  run(pool: Pool): void;
  /**
   * Recovery and check on a private copy of one crash image. Return the state's canonical
   * description (collated, compared by the atomic oracle) and whether it is consistent;
   * a plain string means consistent. Throwing means the check itself failed (verdict unknown).
   */
  check(pool: Pool): CheckResult | string;
}
