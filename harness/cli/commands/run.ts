// `pmfit run <scenario...>`: crash-test built-in scenarios and print the collated result.
import { dirname, resolve } from 'node:path';
import { allScenarios, type RunnableScenarioEntry } from '../../../scenarios/index.js';
import { UsageError } from '../../../core/support/errors.js';
import { createLogger } from '../../../core/support/log.js';
import { ensureNativeBuilt } from '../../../core/support/native-build.js';
import { resolveScenario } from '../../../scenarios/load/file.js';
import { type CheckArgv, checkSettings } from '../options.js';
import { ProtectedPaths, parseReportRequests, requireFailuresDir } from '../output-paths.js';
import { logSeed, parseShard, withRunControls } from '../run-controls.js';
import { runScenarios } from '../run-scenarios.js';
import { userCodeOf } from './native-options.js';

/** Built-in names, `all`, or scenario files (a path: a slash, or a .ts/.js/.mjs name; a built-in's name wins), loaded and validated. */
async function resolveScenarios(names: readonly string[]): Promise<RunnableScenarioEntry[]> {
  if (names.length === 1 && names[0] === 'all') return allScenarios;
  const entries: RunnableScenarioEntry[] = [];
  for (const name of names) {
    const entry = await resolveScenario(name);
    if (!entry)
      throw new UsageError(
        `unknown scenario '${name}' (run 'pmfit list' to see the built-in ones, or name a scenario file: ./NAME.ts)`,
      );
    entries.push(entry);
  }
  return entries;
}

/** The files a scenario run reads: the scenario files and a native spec's pool, program and commands. */
function scenarioInputs(entries: readonly RunnableScenarioEntry[]): ProtectedPaths {
  const protect = new ProtectedPaths();
  for (const entry of entries) {
    if ('file' in entry) protect.add(entry.file, 'a scenario file of this run');
    if (entry.kind !== 'native-file') continue;
    protect.add(entry.pool, 'the pool of a scenario of this run');
    protect.add(entry.program, 'the program of a scenario of this run');
    protect.addCommand(entry.init, 'a file of an init command of this run');
    protect.addCommand(entry.check, 'a file of a check command of this run');
    protect.addCommand(entry.args.join(' '), "a file of a program's arguments in this run");
  }
  return protect;
}

export async function runCommand(argv: CheckArgv & { scenario: string[]; 'user-code'?: string[] }): Promise<number> {
  const shard = parseShard(argv.shard);
  const userCode = userCodeOf(argv['user-code']);
  const entries = await resolveScenarios(argv.scenario);
  if (entries.some((e) => e.kind === 'native' || e.kind === 'native-file')) ensureNativeBuilt();
  const protect = scenarioInputs(entries);
  const requests = parseReportRequests(argv.report, protect);
  if (argv['save-failures']) requireFailuresDir(argv['save-failures'], protect);
  const log = createLogger(argv['log-level']);
  logSeed(log, argv);
  return withRunControls(
    argv,
    (controls) =>
      runScenarios(entries, {
        ...checkSettings(argv, log, { signal: controls.signal, ...(shard ? { shard } : {}) }),
        progress: controls.progress,
        ...userCode,
      }),
    requests,
    log,
    // SARIF fingerprints read a relative site's line from the working directory, then from here.
    { sourceRoots: [...new Set(entries.flatMap((e) => ('file' in e && e.file ? [dirname(resolve(e.file))] : [])))] },
  );
}
