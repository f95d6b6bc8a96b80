// `pmfit check --pool FILE --check CMD -- PROGRAM ARGS`: crash-test a native program, or with
// `--replay ID` rebuild one of its crash images and re-run the check on it.
import type { Argv } from 'yargs';
import type { ModelName, OracleName } from '../../../core/api.js';
import { buildReport } from '../../../reports/json-report.js';
import { EXIT, requireNewFile } from '../../../core/support/errors.js';
import { createLogger } from '../../../core/support/log.js';
import { checkNative } from '../native-runner.js';
import { replayId } from '../../judge/replay.js';
import { checkSettings } from '../options.js';
import type { NativeTarget } from '../../../icount/target.js';
import { renderReplay } from '../../../reports/replay-report.js';
import { pmfitCommandWith } from '../../../core/support/shell-quote.js';
import {
  checkCounts,
  logSeed,
  parseReportRequests,
  withCheckOptions,
  withRunControls,
  type CommonCheckOptions,
} from './run.js';
import { targetFrom, withNativeOptions, type NativeArgs } from './native-options.js';

type CheckArgs = CommonCheckOptions &
  NativeArgs & { check: string; replay?: string; out?: string; 'any-trace'?: boolean; 'save-trace'?: string };

export function checkBuilder<T>(y: Argv<T>) {
  return withNativeOptions(withCheckOptions(y))
    .option('check', {
      type: 'string',
      demandOption: true,
      describe: 'recovery + check command; {pool} stands for the crash image',
    })
    .option('replay', {
      type: 'string',
      describe: 'rebuild the crash image with this replay id and re-run the check on it',
    })
    .option('out', { type: 'string', describe: 'with --replay: write the image to this new file' })
    .option('any-trace', {
      type: 'boolean',
      describe: "with --replay: replay even when the id's trace digest differs from the program's trace",
    })
    .option('save-trace', { type: 'string', describe: 'keep the trace in this new file (see pmfit trace dump)' });
}

export async function checkCommand(argv: CheckArgs): Promise<number> {
  checkCounts(argv);
  const target = targetFrom(argv);
  if (argv.replay) return replayNative(argv, target);
  const requests = parseReportRequests(argv.report);
  const saveTrace = argv['save-trace'];
  if (saveTrace) requireNewFile(saveTrace, '--save-trace');
  const log = createLogger(argv['log-level']);
  logSeed(log, argv);
  return withRunControls(
    argv,
    async (controls) => {
      const started = Date.now();
      const { results } = await checkNative(target, {
        ...checkSettings(argv, log, controls),
        name: target.program,
        check: argv.check,
        oracle: (argv.oracle ?? 'exit') as OracleName,
        models: (argv.model ?? ['adr']) as ModelName[],
        replayCommand: (id) => pmfitCommandWith(['--replay', id]),
        ...(saveTrace ? { saveTrace } : {}),
        onProgress: controls.progress.update(target.program),
      });
      return buildReport(results, Date.now() - started);
    },
    requests,
    log,
  );
}

/** `--replay ID`: the one replay path (harness/judge/replay.ts), on this command's program and check. */
async function replayNative(argv: CheckArgs, target: NativeTarget): Promise<number> {
  const record = await replayId({
    id: argv.replay!,
    subject: target.program,
    on: {
      kind: 'native',
      target,
      check: argv.check,
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
