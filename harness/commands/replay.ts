// `pmfit replay ID --scenario NAME`: rebuild one crash image from its replay id, optionally save
// it, re-run the check on it, and say which stores the image kept and which it lost.
import { existsSync, writeFileSync } from 'node:fs';
import type { Trace } from '../../core/api.js';
import { findBuiltIn } from '../../scenarios/index.js';
import { crashPointAt, describeEvent } from '../crash-points.js';
import { oracleReference } from '../engine.js';
import { EXIT, UsageError, requireParentDir } from '../errors.js';
import type { PendingUnit } from '../model/persistency-tracker.js';
import { rebuildImage } from '../model/image-builder.js';
import { judge } from '../oracle.js';
import { parseReplayId } from '../replay-id.js';
import { makeTempDir, removeTempDir } from '../temp-dir.js';
import { TsCheckPool } from '../ts-check-pool.js';
import { loadScenario, recordScenario } from '../ts-scenario.js';

export interface ReplayArgs {
  id: string;
  scenario: string;
  out?: string;
  timeout: number;
}

export async function replayCommand(argv: ReplayArgs): Promise<number> {
  const choice = parseReplayId(argv.id);
  if (!choice) throw new UsageError(`'${argv.id}' is not a replay id (expected MODEL@POINT or MODEL@POINT/LINE:KEPT,...)`);
  const entry = findBuiltIn(argv.scenario);
  if (!entry) throw new UsageError(`unknown scenario '${argv.scenario}' (run 'pmfit list' to see the built-in ones)`);
  if (argv.out && existsSync(argv.out)) throw new UsageError(`--out ${argv.out} already exists; pmfit never overwrites a file: name a new one`);
  if (argv.out) requireParentDir(argv.out, '--out');
  const scenario = await loadScenario(entry);
  const dir = makeTempDir();
  const checker = new TsCheckPool({ scenarioModule: entry.module, exportName: entry.exportName, jobs: 1, timeoutMs: argv.timeout, dir });
  try {
    const { trace, initial } = recordScenario(scenario, dir);
    let rebuilt;
    try {
      rebuilt = rebuildImage(trace, initial, choice);
    } catch (err) {
      throw new UsageError(`replay id ${argv.id} does not fit scenario ${scenario.name}: ${(err as Error).message}`);
    }
    if (argv.out) writeFileSync(argv.out, rebuilt.image);
    const outcome = await checker.check(Buffer.from(rebuilt.image));
    const verdict = judge(scenario.oracle, outcome, await oracleReference(scenario.oracle, trace, initial, checker));
    const point = crashPointAt(trace.events, choice.point);
    const lines = [
      `replay ${argv.id} of ${scenario.name} (model ${choice.model}, oracle ${scenario.oracle})`,
      `crash point ${point.index}: instructions ${point.icountFrom}-${point.icountTo}, after ${point.lastEvent ? describeEvent(point.lastEvent) : 'nothing (before the first event)'}`,
      ...storeLines('kept (not yet durable, persisted by this image)', rebuilt.kept, trace),
      ...storeLines('lost', rebuilt.lost, trace),
      ...(argv.out ? [`image written to ${argv.out}`] : []),
      'check output:',
      ...(outcome.output || '(no output)').split('\n').map((l) => `  ${l}`),
      `verdict: ${verdict.status}${verdict.status === 'inconsistent' ? ` — ${verdict.reason}` : verdict.status === 'unknown' ? ` — ${verdict.error}` : ''}`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
    return verdict.status === 'consistent' ? EXIT.clean : EXIT.finding;
  } finally {
    await checker.close();
    removeTempDir(dir);
  }
}

function storeLines(title: string, units: PendingUnit[], trace: Trace): string[] {
  const seqs = [...new Set(units.map((u) => u.seq))].sort((a, b) => a - b);
  if (seqs.length === 0) return [`${title}: none`];
  return [`${title}:`, ...seqs.map((seq) => `  ${describeEvent(trace.events[seq]!)}`)];
}
