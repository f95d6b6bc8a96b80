// `pmfit replay ID --scenario NAME`: rebuild one crash image from its replay id, optionally save
// it, re-run the check on it, and say which stores the image kept and which it lost.
import { existsSync, writeFileSync } from 'node:fs';
import { replayNative } from './check.js';
import { replaySavedCommand } from './replay-saved.js';
import { nativeScenarioCheck, nativeScenarioTarget, type NativeEntry } from '../run-scenarios.js';
import { resolveScenario } from '../../../scenarios/load/file.js';
import { oracleReference } from '../../engine/engine.js';
import { EXIT, UsageError, requireNewFile } from '../../../core/support/errors.js';
import { renderReplay } from '../../../reports/replay-report.js';
import { type RebuiltImage, rebuildImage } from '../../engine/model/image-builder.js';
import { judge } from '../../judge/oracle.js';
import { parseReplayId } from '../../engine/replay-id.js';
import { makeTempDir, removeTempDir } from '../../../core/support/temp-dir.js';
import { TsCheckPool } from '../../check/ts-pool.js';
import { loadScenario, recordScenario } from '../../../icount/ts-record.js';

export interface ReplayArgs {
  id: string;
  scenario?: string;
  out?: string;
  timeout: number;
}

export async function replayCommand(argv: ReplayArgs): Promise<number> {
  if (argv.id.endsWith('.json') || (existsSync(argv.id) && !parseReplayId(argv.id)))
    return replaySavedCommand(argv.id, argv.timeout);
  if (!argv.scenario)
    throw new UsageError('--scenario NAME is needed to replay an id (or give the file of a saved failure)');
  const choice = parseReplayId(argv.id);
  if (!choice)
    throw new UsageError(`'${argv.id}' is not a replay id (expected MODEL@POINT or MODEL@POINT/LINE:KEPT,...)`);
  const found = await resolveScenario(argv.scenario);
  if (!found)
    throw new UsageError(
      `unknown scenario '${argv.scenario}' (run 'pmfit list' to see the built-in ones, or name a scenario file: ./NAME.ts)`,
    );
  if (found.kind === 'native' || found.kind === 'native-file')
    return replayNativeScenario(found, { ...argv, scenario: argv.scenario });
  const entry = found;
  if (argv.out) requireNewFile(argv.out, '--out');
  const scenario = await loadScenario(entry);
  const dir = makeTempDir();
  const checker = new TsCheckPool({
    scenarioModule: entry.module,
    exportName: entry.exportName,
    jobs: 1,
    timeoutMs: argv.timeout,
  });
  try {
    const { trace, initial } = recordScenario(scenario, dir);
    let rebuilt: RebuiltImage;
    try {
      rebuilt = rebuildImage(trace, initial, choice);
    } catch (err) {
      throw new UsageError(`replay id ${argv.id} does not fit scenario ${scenario.name}: ${(err as Error).message}`);
    }
    if (argv.out) writeFileSync(argv.out, rebuilt.image);
    const outcome = await checker.check(Buffer.from(rebuilt.image));
    const verdict = judge(scenario.oracle, outcome, await oracleReference(scenario.oracle, trace, initial, checker));
    process.stdout.write(
      renderReplay({
        id: argv.id,
        subject: scenario.name,
        oracle: scenario.oracle,
        choice,
        trace,
        kept: rebuilt.kept,
        lost: rebuilt.lost,
        ...(argv.out ? { out: argv.out } : {}),
        outcome,
        verdict,
      }),
    );
    return verdict.status === 'consistent' ? EXIT.clean : EXIT.finding;
  } finally {
    await checker.close();
    removeTempDir(dir);
  }
}

async function replayNativeScenario(entry: NativeEntry, argv: ReplayArgs & { scenario: string }): Promise<number> {
  const dir = makeTempDir();
  try {
    return await replayNative({
      target: nativeScenarioTarget(entry, dir),
      check: nativeScenarioCheck(entry),
      oracle: entry.oracle,
      id: argv.id,
      timeoutMs: argv.timeout,
      subject: entry.name,
      ...(argv.out ? { out: argv.out } : {}),
    });
  } finally {
    removeTempDir(dir);
  }
}
