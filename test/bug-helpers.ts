// Shared by the one-finding-per-bug tests (issue 10): building native test programs the way
// scenarios/native/native.mk builds the twins, and crash-testing programs and scenario files
// through the real CLI with a JSON report.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import type { Finding, Report } from '../core/api.js';
import { REPO, pmfit } from './helpers.js';

/** The flags of the x86 twins in scenarios/native/native.mk (NATIVE_CFLAGS + NATIVE_X86_CFLAGS). */
export const NATIVE_CFLAGS = [
  '-std=gnu11',
  '-O1',
  '-g',
  '-Wall',
  '-Wextra',
  `-I${join(REPO, 'icount')}`,
  `-I${join(REPO, 'scenarios', 'native')}`,
  '-mclwb',
  '-msse2',
];

/**
 * Compiles one C source (a path relative to the repo, so sites read `test/fixtures/native/x.c:N`,
 * or an absolute one) with npool.c into `out`; `after`: more sources and libraries (`-lpmem`).
 */
export function buildNative(source: string, out: string, extra: string[] = [], after: string[] = []): string {
  execFileSync(
    'cc',
    [...NATIVE_CFLAGS, ...extra, '-o', out, source, join(REPO, 'scenarios', 'native', 'npool.c'), ...after],
    { cwd: isAbsolute(source) ? undefined : REPO, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  return out;
}

/** `pmfit check` of a native program following the contract (PROG init|run|check POOL), as a JSON report. */
export function checkNative(
  dir: string,
  program: string,
  size: number,
  options: { models?: string[]; strategy?: string; args?: string[]; extra?: string[] } = {},
): { status: number | null; report: Report; path: string } {
  const path = join(dir, `r-${Math.random().toString(36).slice(2)}.json`);
  const r = pmfit([
    'check',
    '--pool',
    join(dir, `${Math.random().toString(36).slice(2)}.pool`),
    '--size',
    String(size),
    '--init',
    `${program} init {pool}`,
    '--check',
    `${program} check {pool}`,
    ...(options.models ?? []).flatMap((m) => ['--model', m]),
    ...(options.strategy ? ['--strategy', options.strategy] : []),
    ...(options.extra ?? []),
    '--quiet',
    '--report',
    `json=${path}`,
    '--',
    program,
    'run',
    '{pool}',
    ...(options.args ?? []),
  ]);
  if (!existsSync(path)) throw new Error(`no report (exit ${r.status}): ${r.stderr}`);
  return { status: r.status, report: JSON.parse(readFileSync(path, 'utf8')) as Report, path };
}

/** `pmfit run ARGS` with a JSON report. */
export function runJson(
  dir: string,
  args: string[],
  options: { cwd?: string; env?: Record<string, string> } = {},
): { status: number | null; report: Report; path: string } {
  const path = join(dir, `r-${Math.random().toString(36).slice(2)}.json`);
  const r = pmfit(['run', ...args, '--quiet', '--report', `json=${path}`], options);
  if (!existsSync(path)) throw new Error(`no report (exit ${r.status}): ${r.stderr}`);
  return { status: r.status, report: JSON.parse(readFileSync(path, 'utf8')) as Report, path };
}

/**
 * The findings pmfit gives without re-simulation: `pmfit merge` of a run's one shard (`--shard 1/1`),
 * grouped from the run's log alone — what a test's premise is checked against.
 */
export function unsimulated(dir: string, shardReport: string): Report {
  const path = join(dir, `m-${Math.random().toString(36).slice(2)}.json`);
  const r = pmfit(['merge', shardReport, '--quiet', '--report', `json=${path}`]);
  if (!existsSync(path)) throw new Error(`no merged report (exit ${r.status}): ${r.stderr}`);
  return JSON.parse(readFileSync(path, 'utf8')) as Report;
}

/** A finding in a few words, for assertion messages. */
export function brief(f: Finding): string {
  return JSON.stringify({
    class: f.class,
    model: f.model,
    sites: f.sites,
    fix: f.fix && { kind: f.fix.kind, verification: f.fix.verification },
    pointCount: f.pointCount,
  });
}

/** The file and line of a site (`file:line` or `file:line:column`). */
export function fileLine(site: string | undefined): { file: string; line: number } | undefined {
  const m = /^(.*?):(\d+)(?::\d+)?$/.exec(site ?? '');
  return m ? { file: m[1]!, line: Number(m[2]) } : undefined;
}
