// `pmfit check --pool FILE --check CMD -- PROGRAM ARGS`: crash-test a native program, or with
// `--replay ID` rebuild one of its crash images and re-run the check on it.
import type { OracleName } from '../../../core/api.js';
import { buildReport } from '../../../reports/json-report.js';
import { oracleReference } from '../../engine/engine.js';
import { EXIT, UsageError } from '../../../core/support/errors.js';
import { ExternalCheckPool } from '../../check/external-pool.js';
import { createLogger } from '../../../core/support/log.js';
import { checkNative, rebuildNativeImage } from '../native-runner.js';
import { type CheckArgv, checkSettings } from '../options.js';
import { NATIVE_ENV, type NativeTarget } from '../../../icount/target.js';
import { judge } from '../../judge/oracle.js';
import { parseReplayId } from '../../engine/replay-id.js';
import { renderReplay } from '../../../reports/replay-report.js';
import { pmfitCommandWith } from '../../../core/support/shell-quote.js';
import { makeTempDir, removeTempDir } from '../../../core/support/temp-dir.js';
import { type ProtectedPaths, parseReportRequests, requireFailuresDir, requireNewOutput } from '../output-paths.js';
import { logSeed, parseShard, withRunControls } from '../run-controls.js';
import { checkCommandOf, nativeInputs, targetFrom, type NativeArgs } from './native-options.js';

type CheckArgs = CheckArgv & NativeArgs & { check: string; replay?: string; out?: string; 'save-trace'?: string };

export async function checkCommand(argv: CheckArgs): Promise<number> {
  const shard = parseShard(argv.shard);
  const target = targetFrom(argv);
  const check = checkCommandOf(argv);
  const protect = nativeInputs(target, check);
  if (argv.replay)
    return replayNative({
      target,
      check,
      oracle: (argv.oracle ?? 'exit') as OracleName,
      id: argv.replay,
      timeoutMs: argv.timeout,
      subject: target.program,
      protect,
      ...(argv.out ? { out: argv.out } : {}),
    });
  if (argv.out) throw new UsageError('--out goes with --replay: it names the file for the rebuilt image');
  const requests = parseReportRequests(argv.report, protect);
  if (argv['save-failures']) requireFailuresDir(argv['save-failures'], protect);
  const saveTrace = argv['save-trace'];
  if (saveTrace) requireNewOutput(saveTrace, '--save-trace', protect);
  const log = createLogger(argv['log-level']);
  logSeed(log, argv);
  return withRunControls(
    argv,
    async (controls) => {
      const started = Date.now();
      const { results } = await checkNative(target, {
        ...checkSettings(argv, log, { signal: controls.signal, ...(shard ? { shard } : {}) }),
        name: target.program,
        check,
        oracle: (argv.oracle ?? 'exit') as OracleName,
        models: argv.model ? (argv.model as NativeCheckModels) : ['adr'],
        replayCommand: (id) => pmfitCommandWith(['--replay', id]),
        ...(saveTrace ? { saveTrace } : {}),
        onProgress: controls.progress.update(target.program),
      });
      return buildReport(results, Date.now() - started);
    },
    requests,
  );
}

type NativeCheckModels = Parameters<typeof checkNative>[1]['models'];

export interface NativeReplay {
  target: NativeTarget;
  check: string;
  oracle: OracleName;
  id: string;
  out?: string;
  timeoutMs: number;
  subject: string;
  /** The files the run reads, which --out must not name. */
  protect?: ProtectedPaths;
}

/** Traces the program again, rebuilds the image with replay id `id`, and re-runs the check on it. */
export async function replayNative(r: NativeReplay): Promise<number> {
  const choice = parseReplayId(r.id);
  if (!choice) throw new UsageError(`'${r.id}' is not a replay id (expected MODEL@POINT or MODEL@POINT/LINE:KEPT,...)`);
  if (r.out) requireNewOutput(r.out, '--out', r.protect);
  let replayed: Awaited<ReturnType<typeof rebuildNativeImage>>;
  try {
    replayed = await rebuildNativeImage(r.target, choice, r.timeoutMs, r.out);
  } catch (err) {
    if (err instanceof RangeError)
      throw new UsageError(`replay id ${r.id} does not fit this program's trace: ${err.message}`);
    throw err;
  }
  const dir = makeTempDir();
  try {
    const checker = new ExternalCheckPool({ command: r.check, jobs: 1, timeoutMs: r.timeoutMs, dir, env: NATIVE_ENV });
    const outcome = await checker.check(replayed.rebuilt.image);
    const verdict = judge(
      r.oracle,
      outcome,
      await oracleReference(r.oracle, replayed.traced.trace, replayed.traced.initial, checker),
    );
    const { kept, lost } = replayed.rebuilt;
    process.stdout.write(
      renderReplay({
        id: r.id,
        subject: r.subject,
        oracle: r.oracle,
        choice,
        trace: replayed.traced.trace,
        kept,
        lost,
        ...(r.out ? { out: r.out } : {}),
        outcome,
        verdict,
      }),
    );
    return verdict.status === 'consistent' ? EXIT.clean : EXIT.finding;
  } finally {
    removeTempDir(dir);
  }
}
