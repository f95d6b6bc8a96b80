// `pmfit replay ID --scenario NAME`: rebuild one crash image from its replay id, optionally save
// it, re-run the check on it, and say which stores the image kept and which it lost. The work is
// harness/judge/replay.ts's (the one replay path); this file picks the subject and prints.
import { existsSync } from 'node:fs';
import { EXIT, UsageError } from '../../../core/support/errors.js';
import { renderReplay } from '../../../reports/replay-report.js';
import { resolveScenario } from '../../../scenarios/load/file.js';
import { type ReplaySubject, replayId } from '../../judge/replay.js';
import { nativeScenarioCheck, nativeScenarioTarget } from '../run-scenarios.js';
import { replaySavedCommand } from './replay-saved.js';
import { makeTempDir, removeTempDir } from '../../../core/support/temp-dir.js';

export interface ReplayArgs {
  id: string;
  scenario?: string;
  out?: string;
  timeout: number;
  'any-trace'?: boolean;
  yes?: boolean;
}

export async function replayCommand(argv: ReplayArgs): Promise<number> {
  if (argv.id.endsWith('.json') || existsSync(argv.id))
    return replaySavedCommand(argv.id, { timeoutMs: argv.timeout, yes: argv.yes ?? false });
  if (!argv.scenario)
    throw new UsageError('--scenario NAME is needed to replay an id (or give the file of a saved failure)');
  const found = await resolveScenario(argv.scenario);
  if (!found)
    throw new UsageError(
      `unknown scenario '${argv.scenario}' (run 'pmfit list' to see the built-in ones, or name a scenario file: ./NAME.ts)`,
    );
  // A native scenario's pool starts in a directory of its own, removed after the replay.
  const dir = makeTempDir();
  try {
    const on: ReplaySubject =
      found.kind === 'native' || found.kind === 'native-file'
        ? {
            kind: 'native',
            target: nativeScenarioTarget(found, dir),
            check: nativeScenarioCheck(found),
            oracle: found.oracle,
            models: ['adr', 'eadr'],
          }
        : { kind: 'ts', entry: found };
    const record = await replayId({
      id: argv.id,
      subject: found.name,
      on,
      timeoutMs: argv.timeout,
      ...(argv['any-trace'] ? { anyTrace: true } : {}),
      ...(argv.out ? { out: argv.out } : {}),
    });
    process.stdout.write(renderReplay(record));
    return record.verdict.status === 'consistent' ? EXIT.clean : EXIT.finding;
  } finally {
    removeTempDir(dir);
  }
}
