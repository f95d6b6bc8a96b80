// `pmfit replay FILE`: re-run the check of a saved failure on the crash image stored in it, and
// say whether the failure still reproduces (exit 1) or is gone (exit 0).
import type { CheckOutcome, OracleName } from '../../../core/api.js';
import { findScenario, type ScenarioEntry } from '../../../scenarios/index.js';
import { EXIT, UsageError } from '../../../core/support/errors.js';
import { loadScenarioFile } from '../../../scenarios/load/file.js';
import { ExternalCheckPool } from '../../check/external-pool.js';
import { NATIVE_ENV } from '../../../icount/target.js';
import { judge, type OracleReference } from '../../judge/oracle.js';
import { loadSavedFailure, type SavedFailure } from '../../judge/saved-failures.js';
import { makeTempDir, removeTempDir } from '../../../core/support/temp-dir.js';
import { TsCheckPool } from '../../check/ts-pool.js';

export async function replaySavedCommand(path: string, timeoutMs: number): Promise<number> {
  const { saved, image } = loadSavedFailure(path);
  const outcome = await runSavedCheck(saved, image, timeoutMs);
  const verdict = judge(saved.oracle as OracleName, outcome, reference(saved));
  const f = saved.finding;
  const lines = [
    `replay of saved failure ${path}`,
    `${f.kind} in ${saved.scenario} (model ${saved.model}, strategy ${saved.strategy}, seed ${saved.seed}), replay id ${saved.replayId}`,
    `found by: ${saved.commandLine}`,
    `trace digest: ${saved.traceDigest}`,
    `crash point ${f.crashPoint}: instructions ${f.icountFrom}-${f.icountTo}${f.lastEvent ? `, after ${f.lastEvent}` : ''}`,
    ...f.lostStores.map((s) => `  lost #${s.seq} [${s.offset}, +${s.size})${s.site ? ` at ${s.site}` : ''}`),
    ...f.keptStores.map((s) => `  persisted early #${s.seq} [${s.offset}, +${s.size})${s.site ? ` at ${s.site}` : ''}`),
    'check output:',
    ...(outcome.output || '(no output)').split('\n').map((l) => `  ${l}`),
    `verdict: ${verdict.status}${verdict.status === 'inconsistent' ? ` — ${verdict.reason}` : verdict.status === 'unknown' ? ` — ${verdict.error}` : ''}`,
    {
      consistent: 'the failure no longer reproduces',
      inconsistent: 'the failure reproduces',
      unknown: 'the check could not give a verdict: the failure is neither confirmed nor gone',
    }[verdict.status],
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  return verdict.status === 'consistent' ? EXIT.clean : EXIT.finding;
}

async function loadTsScenarioFile(file: string): Promise<ScenarioEntry> {
  const entry = await loadScenarioFile(file);
  if (entry.kind === 'native-file')
    throw new UsageError(`${file} now holds a native scenario, not the TS scenario the failure was saved from`);
  return entry;
}

async function runSavedCheck(saved: SavedFailure, image: Buffer, timeoutMs: number): Promise<CheckOutcome> {
  if (saved.check.kind === 'command') {
    const dir = makeTempDir();
    try {
      return await new ExternalCheckPool({
        command: saved.check.command,
        jobs: 1,
        timeoutMs,
        dir,
        env: NATIVE_ENV,
      }).check(image);
    } finally {
      removeTempDir(dir);
    }
  }
  // A built-in is found by name (the checkout may sit elsewhere); a scenario file is loaded again
  // (a .ts one was transpiled into a temporary directory that is gone).
  const builtIn = findScenario(saved.check.scenario);
  const entry = saved.check.file
    ? await loadTsScenarioFile(saved.check.file)
    : builtIn && builtIn.kind !== 'native'
      ? builtIn
      : saved.check;
  const checker = new TsCheckPool({ scenarioModule: entry.module, exportName: entry.exportName, jobs: 1, timeoutMs });
  try {
    return await checker.check(image);
  } finally {
    await checker.close();
  }
}

function reference(saved: SavedFailure): OracleReference {
  if (saved.oracle === 'atomic') return { before: saved.accepted[0]!, after: saved.accepted[1]! };
  if (saved.oracle === 'ops') return { allowed: saved.accepted };
  return {};
}
