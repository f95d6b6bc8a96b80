// The reporters by kind, and writing the reports a run asked for. Each reporter is isolated:
// one that throws is logged and the others still write.
import { writeFileSync } from 'node:fs';
import type { Report, Reporter } from '../core/api.js';
import { htmlReporter } from './html-report.js';
import { jsonReporter } from './json-report.js';
import { junitReporter } from './junit-report.js';
import { sarifReporter } from './sarif-report.js';
import { textReporter } from './text-report.js';

export const REPORTERS: Record<string, Reporter> = {
  json: jsonReporter,
  text: textReporter,
  junit: junitReporter,
  sarif: sarifReporter,
  html: htmlReporter,
};

export interface ReportRequest {
  kind: string;
  path: string;
}

/** Writes every requested report; returns the failures (kind and reason) instead of throwing. */
export function writeReports(report: Report, requests: readonly ReportRequest[]): string[] {
  const failures: string[] = [];
  for (const { kind, path } of requests) {
    try {
      const text = REPORTERS[kind]!.render(report);
      if (path === '-') process.stdout.write(text);
      else writeFileSync(path, text);
    } catch (err) {
      failures.push(`${kind} report to ${path}: ${(err as Error).message}`);
    }
  }
  return failures;
}
