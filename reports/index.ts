// The reporters by kind, writing the reports a run asked for, and recognising pmfit's own earlier
// reports. Each reporter is isolated: one that throws is reported and the others still write.
//
// pmfit writes a report only to a new file or over a file that is already a pmfit report of the
// same kind (a CI job that re-runs into the same path); never over anything else, so never over a
// pool, a program or a user's file. What counts as "a pmfit report of that kind" is looked at in
// the file itself (isOwnReport). A report is written to a temporary file beside it and renamed
// into place, so a failed write never leaves half a report, and a symbolic link is replaced, not
// written through.
import { closeSync, openSync, readSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { Report, Reporter } from '../core/api.js';
import { htmlReporter } from './html-report.js';
import { jsonReporter } from './json-report.js';
import { junitReporter } from './junit-report.js';
import { sarifReporter, sarifReporterFor } from './sarif-report.js';
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

/** A report larger than this is not read back to recognise it (it is then not overwritten). */
const MAX_RECOGNISED_BYTES = 256 * 1024 * 1024;

/**
 * Is the file at `path` a report pmfit wrote, of this kind? JSON: an object whose tool.name is
 * 'pmfit'; SARIF: a log whose first run's tool.driver.name is 'pmfit'; JUnit: the XML prolog then
 * `<testsuites name="pmfit"`; HTML: pmfit's generator meta tag and its embedded report; text:
 * its last line is pmfit's summary line (`pmfit: VERDICT: N bug(s); ...`, or `N finding(s)` from before schema 3).
 */
export function isOwnReport(kind: string, path: string): boolean {
  const size = statSync(path).size;
  if (size === 0 || size > MAX_RECOGNISED_BYTES) return false;
  const text = readText(path, size);
  switch (kind) {
    case 'json':
      return parsed(text)?.tool?.name === 'pmfit';
    case 'sarif':
      return parsed(text)?.runs?.[0]?.tool?.driver?.name === 'pmfit';
    case 'junit':
      return /^<\?xml [^\n]*\?>\n<testsuites name="pmfit" /.test(text);
    case 'html':
      return (
        text.startsWith('<!DOCTYPE html>') &&
        text.includes('<meta name="generator" content="pmfit ') &&
        text.includes('<script type="application/json" id="pmfit-report">')
      );
    case 'text':
      return /(^|\n)pmfit: [a-z]+: \d+ (finding|bug)\(s\); [^\n]*\n$/.test(text);
    default:
      return false;
  }
}

function readText(path: string, size: number): string {
  const buffer = Buffer.alloc(size);
  const fd = openSync(path, 'r');
  try {
    readSync(fd, buffer, 0, size, 0);
  } finally {
    closeSync(fd);
  }
  return buffer.toString('utf8');
}

// biome-ignore lint/suspicious/noExplicitAny: a probe of untrusted JSON, every step optional
function parsed(text: string): any {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Where the SARIF reporter looks for the source lines of relative sites after the working directory. */
export interface ReportContext {
  /** The directories of the run's scenario files. */
  sourceRoots?: readonly string[];
}

/** Writes every requested report; returns the failures (path and reason) instead of throwing. */
export function writeReports(
  report: Report,
  requests: readonly ReportRequest[],
  context: ReportContext = {},
): string[] {
  const failures: string[] = [];
  for (const { kind, path } of requests) {
    try {
      const reporter =
        kind === 'sarif' && context.sourceRoots ? sarifReporterFor(context.sourceRoots) : REPORTERS[kind]!;
      const text = reporter.render(report);
      if (path === '-') process.stdout.write(text);
      else replaceFile(path, text);
    } catch (err) {
      failures.push(`could not write the ${kind} report to ${path}: ${(err as Error).message}`);
    }
  }
  return failures;
}

/** Writes `text` into a new file beside `path`, then renames it over `path`. */
function replaceFile(path: string, text: string): void {
  const temp = join(dirname(path), `.${basename(path)}.pmfit-${process.pid}.tmp`);
  try {
    writeFileSync(temp, text, { flag: 'wx' });
    renameSync(temp, path);
  } catch (err) {
    rmSync(temp, { force: true });
    throw err;
  }
}
