// `pmfit check --pool FILE --check CMD -- PROGRAM ARGS`: crash-test a native program, or with
// `--replay ID` rebuild one of its crash images and re-run the check on it.
import type { ModelName, OracleName } from '../../../core/api.js';
import { buildReport } from '../../../reports/json-report.js';
import { EXIT, UsageError } from '../../../core/support/errors.js';
import { createLogger } from '../../../core/support/log.js';
import { checkNative } from '../native-runner.js';
import { replayId } from '../../judge/replay.js';
import { type CheckArgv, checkSettings } from '../options.js';
import type { NativeTarget } from '../../../icount/target.js';
import { renderReplay } from '../../../reports/replay-report.js';
import { pmfitCommandWith } from '../../../core/support/shell-quote.js';
import { parseReportRequests, requireFailuresDir, requireNewOutput } from '../output-paths.js';
import { logSeed, parseShard, withRunControls } from '../run-controls.js';
import { checkCommandOf, nativeInputs, targetFrom, type NativeArgs } from './native-options.js';

type CheckArgs = CheckArgv &
  NativeArgs & {
    check: string;
    replay?: string;
    out?: string;
    'any-trace'?: boolean;
    'save-trace'?: string;
    runs?: number;
  };

export async function checkCommand(argv: CheckArgs): Promise<number> {
  const shard = parseShard(argv.shard);
  const target = targetFrom(argv);
  // The markers --ops-between writes mean something only to the ops oracle: with another, the
  // operations would be traced and then ignored — refused rather than passed unnoticed.
  if (target.opsBetween && (argv.oracle ?? 'exit') !== 'ops')
    throw new UsageError(
      '--ops-between needs --oracle ops (each call of the function is one operation of that oracle)',
    );
  const check = checkCommandOf(argv);
  const protect = nativeInputs(target, check);
  if (argv.replay) {
    if (argv.out) requireNewOutput(argv.out, '--out', protect);
    return replayNative(argv, target, check);
  }
  if (argv.out) throw new UsageError('--out goes with --replay: it names the file for the rebuilt image');
  if (argv.runs !== undefined && argv.runs > 1 && argv['save-trace'])
    throw new UsageError('--save-trace keeps one trace: give it without --runs');
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
        ...(argv.runs !== undefined ? { runs: argv.runs } : {}),
        onProgress: controls.progress.update(target.program),
      });
      return buildReport(results, Date.now() - started);
    },
    requests,
    log,
  );
}

type NativeCheckModels = Parameters<typeof checkNative>[1]['models'];

/** `--replay ID`: the one replay path (harness/judge/replay.ts), on this command's program and check. */
async function replayNative(argv: CheckArgs, target: NativeTarget, check: string): Promise<number> {
  const record = await replayId({
    id: argv.replay!,
    subject: target.program,
    on: {
      kind: 'native',
      target,
      check,
      oracle: (argv.oracle ?? 'exit') as OracleName,
      models: (argv.model ?? ['adr']) as ModelName[],
    },
    timeoutMs: argv.timeout,
    ...(argv['any-trace'] ? { anyTrace: true } : {}),
    ...(argv.out ? { out: argv.out } : {}),
  });
  process.stdout.write(renderReplay(record));
  return record.verdict.status === 'consistent' ? EXIT.clean : EXIT.finding;
}
