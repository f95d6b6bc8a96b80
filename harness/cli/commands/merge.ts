// `pmfit merge SHARD.json...`: combine the JSON reports of `--shard K/N` runs into the report the
// unsharded run would have written.
import { existsSync, readFileSync } from 'node:fs';
import type { Report } from '../../../core/api.js';
import { writeReports } from '../../../reports/index.js';
import { textReporter } from '../../../reports/text-report.js';
import { EXIT, UsageError } from '../../../core/support/errors.js';
import { mergeShards } from '../../judge/merge.js';
import { buildReport } from '../../../reports/json-report.js';
import { parseReportRequests } from './run.js';

export function mergeCommand(argv: { files: string[]; report: string[]; quiet: boolean }): number {
  const requests = parseReportRequests(argv.report);
  const reports = argv.files.map(readReport);
  const { results, wallMs } = mergeShards(reports);
  const merged = buildReport(results, wallMs);
  if (!argv.quiet) process.stdout.write(textReporter.render(merged));
  for (const failure of writeReports(merged, requests)) process.stderr.write(`pmfit: ${failure}\n`);
  if (merged.incomplete) return EXIT.interrupted;
  return merged.summary.findings > 0 ? EXIT.finding : EXIT.clean;
}

function readReport(path: string): Report {
  if (!existsSync(path)) throw new UsageError(`shard report ${path} does not exist`);
  try {
    const report = JSON.parse(readFileSync(path, 'utf8')) as Report;
    if (!Array.isArray(report.results)) throw new Error('no results');
    return report;
  } catch (err) {
    throw new UsageError(`${path} is not a pmfit JSON report: ${(err as Error).message}`);
  }
}
