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
  /** Source location: a TS call site, or a native pc resolved to file:line when known. */
  site?: string;
  /** Which pool of the trace header the event touches. */
  pool: number;
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

export interface PoolDescriptor {
  id: number;
  path: string;
  size: number;
  /** Digest of the pool's content before the snippet, and (relative to the trace) where to read it. */
  initialImage?: { sha256: string; file?: string };
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
}

/** A whole trace in memory: what the engine consumes. */
export interface Trace {
  header: TraceHeader;
  mappings: PoolMapping[];
  events: TraceEvent[];
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

/** What a check observed on one crash image. */
export interface CheckOutcome {
  /** The check's output (stdout, or the string a TS check returns). */
  output: string;
  /** The check's own judgement: exit status 0 / a TS check that did not report a problem. */
  passed: boolean;
  /** Why the check did not pass, in the check's words. */
  detail?: string;
  /** Set when the check process was killed by a signal (`SIGSEGV`) or ran out of time (`timeout`). */
  crash?: string;
  /** Set when the check itself could not run or threw: the verdict is unknown, never a pass. */
  error?: string;
}

/** Runs the program's recovery and check on a private copy of one crash image. */
export interface Checker {
  /** Takes ownership of `image`: the caller must not use it afterwards (it may be transferred). */
  check(image: Buffer): Promise<CheckOutcome>;
  close(): Promise<void>;
}

/** A verdict is a tagged union, never a boolean (Jepsen's valid? true|false|unknown). */
export type Verdict =
  | { status: 'consistent' }
  | { status: 'inconsistent'; reason: string; expected?: string; actual?: string }
  | { status: 'unknown'; error: string };

// ---------------------------------------------------------------- results

export type FindingKind =
  | 'inconsistent'
  | 'missing-flush'
  | 'missing-fence'
  | 'ordering'
  | 'torn-write'
  /** The check was killed by a signal: `crash:SIGSEGV`. */
  | `crash:${string}`
  | 'timeout'
  | 'unknown';

/** A flush or fence that does no work, or a store never made durable (from the trace alone). */
export interface PerfFinding {
  kind: 'redundant-flush' | 'clean-flush' | 'idle-fence' | 'never-durable';
  seq: number;
  message: string;
  site?: string;
}

export interface LostStore {
  seq: number;
  offset: number;
  size: number;
  site?: string;
}

export interface Finding {
  /** `crash`/`timeout`/`unknown` when the check died or could not judge; else the persistency class. */
  kind: FindingKind;
  /** Which persistency bug the image shows, decided from its kept and lost stores. */
  class: FindingKind;
  scenario: string;
  model: ModelName;
  strategy: StrategyName;
  crashPoint: number;
  icountFrom: number;
  icountTo: number;
  replayId: string;
  replayCommand: string;
  message: string;
  /** The check's or oracle's reason, without the crash point: the same bug at many points shares it. */
  reason: string;
  expected?: string;
  actual?: string;
  lostStores: LostStore[];
  /** Stores the image persisted although they were not yet durable (adr). */
  keptStores: LostStore[];
  /** The event just before the crash, rendered. */
  lastEvent?: string;
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
  perfFindings: PerfFinding[];
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
  replayId: string;
  /** The crash point where the image first appeared. */
  firstPoint: number;
  outcome: CheckOutcome;
  class: FindingKind;
  lostLines: number;
  lostUnits: number;
  lostStores: LostStore[];
  keptStores: LostStore[];
}

/** One crash point: its instruction range, the digests of its images, and where it fails the event before it. */
export interface PointRecord {
  index: number;
  icountFrom: number;
  icountTo: number;
  /** The event before the crash, rendered — kept only for points with a failing image. */
  lastEvent?: string;
  images: string[];
  stateSpace: number;
  partial: boolean;
  /** ops oracle: the boundaries whose outputs a crash here may show (indexes into reference.boundaries). */
  allowed?: [from: number, to: number];
}

/** Everything the engine observed; a ScenarioResult is computed from it alone (harness/judge/finalize.ts). */
export interface RunLog {
  scenario: string;
  model: ModelName;
  strategy: StrategyName;
  oracle: OracleName;
  seed: string;
  /** The replay command with `{id}` where the replay id goes. */
  replayTemplate: string;
  reference: { before?: string; after?: string; boundaries?: string[] };
  points: PointRecord[];
  images: Record<string, ImageRecord>;
  perfFindings: PerfFinding[];
  incomplete?: boolean;
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
  check(pool: Pool): CheckOutcome | string;
}
