// `pmfit merge SHARD.json...`: combine the JSON reports of `--shard K/N` runs into the report the
// unsharded run would have written. Every shard is read as untrusted input: its shape is checked
// before anything uses it, and the shards must come from one run (see harness/judge/merge.ts).
import { readFileSync, statSync } from 'node:fs';
import type { Report } from '../../../core/api.js';
import { UsageError } from '../../../core/support/errors.js';
import { mergeShards } from '../../judge/merge.js';
import { type LintMode, withLints } from '../../judge/lints.js';
import { buildReport } from '../../../reports/json-report.js';
import { ProtectedPaths, parseReportRequests } from '../output-paths.js';
import { finishRun } from '../run-controls.js';

/** A shard report larger than this is refused rather than read into memory. */
const MAX_SHARD_BYTES = 512 * 1024 * 1024;

export function mergeCommand(argv: {
  files: string[];
  report: string[];
  quiet: boolean;
  lint: LintMode;
  'fail-on'?: string;
}): number {
  const protect = new ProtectedPaths();
  for (const file of argv.files) protect.add(file, 'a shard report being merged');
  const requests = parseReportRequests(argv.report, protect);
  const reports = argv.files.map(readReport);
  const { results, wallMs } = mergeShards(reports, argv.files);
  const shown = results.map((r) => withLints(r, argv.lint));
  return finishRun(buildReport(shown, wallMs), { quiet: argv.quiet, 'fail-on': argv['fail-on'] }, requests);
}

function readReport(path: string): Report {
  let text: string;
  try {
    const stat = statSync(path);
    if (!stat.isFile()) throw new UsageError(`shard report ${path} is not a regular file`);
    if (stat.size > MAX_SHARD_BYTES)
      throw new UsageError(`shard report ${path} is larger than ${MAX_SHARD_BYTES} bytes`);
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if (err instanceof UsageError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    throw new UsageError(
      `shard report ${path} ${code === 'ENOENT' ? 'does not exist' : `cannot be read: ${(err as Error).message}`}`,
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`${path} is not a pmfit JSON report: ${(err as Error).message}`);
  }
  const report = value as { tool?: { name?: unknown } };
  if (typeof value !== 'object' || value === null || report.tool?.name !== 'pmfit')
    throw new UsageError(`${path} is not a pmfit JSON report (no tool.name "pmfit")`);
  return value as Report;
}
