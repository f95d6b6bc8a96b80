// The SARIF 2.1.0 report, for code-scanning views: one rule per finding class (its help text says
// the usual fix) and per lint kind, one result per bug located at its user sites — the lines of the
// stores it lost first, then those of the stores persisted early — with the fix and its verification
// in the message. A bug's fingerprint is its class and its sites, each site as its file and a hash
// of the text of that source line, so moving unrelated lines above it keeps the alert the same one.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import type { Finding, FindingClass, LostStore, PerfFinding, Report, Reporter, ScenarioResult } from '../core/api.js';
import {
  CLASS_DESCRIPTION,
  CLASS_HELP,
  KEPT_TITLE,
  LOST_TITLE,
  PERF_DESCRIPTION,
  findingHeadline,
  findingLabel,
  fixText,
  isUserSite,
  perfText,
  storeText,
  verificationText,
} from './format.js';
import { groupedLints } from './lints.js';

export const SARIF_SCHEMA = 'https://json.schemastore.org/sarif-2.1.0.json';

type Level = 'error' | 'note';

interface Rule {
  id: FindingClass | PerfFinding['kind'] | 'crash' | 'timeout' | 'unknown';
  name: string;
  short: string;
  help: string;
  level: Level;
}

const CLASS_RULES: Array<[FindingClass, string]> = [
  ['missing-flush', 'MissingFlush'],
  ['missing-fence', 'MissingFence'],
  ['ordering', 'Ordering'],
  ['torn-write', 'TornWrite'],
  ['inconsistent', 'Inconsistent'],
  ['unclassified', 'Unclassified'],
];

const PERF_RULES: Array<[PerfFinding['kind'], string]> = [
  ['redundant-flush', 'RedundantFlush'],
  ['clean-flush', 'CleanFlush'],
  ['idle-fence', 'IdleFence'],
  ['never-durable', 'NeverDurable'],
];

const sentence = (text: string) => `${text[0]!.toUpperCase()}${text.slice(1)}.`;

export const SARIF_RULES: readonly Rule[] = [
  ...CLASS_RULES.map(([id, name]) => ({
    id,
    name,
    short: CLASS_DESCRIPTION[id],
    help: CLASS_HELP[id],
    level: 'error' as Level,
  })),
  {
    id: 'crash',
    name: 'CheckCrashed',
    short: 'The recovery check was killed by a signal on a crash image.',
    help: 'The recovery check was killed by a signal on a crash image: recovery trusts data a crash can leave half-written. The result names the class the image shows and the fix for it; replay the witness to debug the check.',
    level: 'error',
  },
  {
    id: 'timeout',
    name: 'CheckTimedOut',
    short: 'The recovery check ran out of time on a crash image.',
    help: 'The recovery check ran out of time on a crash image (twice): recovery may loop on data a crash left inconsistent. The result names the class the image shows and the fix for it.',
    level: 'error',
  },
  {
    id: 'unknown',
    name: 'Unknown',
    short: 'The check could not give a verdict on a crash image.',
    help: 'The check could not run on a crash image, so its verdict is unknown: fix the check (the message says why), then run pmfit again.',
    level: 'error',
  },
  ...PERF_RULES.map(([id, name]) => ({
    id,
    name,
    short: sentence(PERF_DESCRIPTION[id]),
    help: `${sentence(PERF_DESCRIPTION[id])} A lint from the trace alone: it costs time, never consistency.`,
    level: 'note' as Level,
  })),
];

/**
 * The SARIF reporter, reading source lines for fingerprints relative to the working directory and
 * then to each of `sourceRoots` (a scenario file's directory, when the caller knows it).
 */
export function sarifReporterFor(sourceRoots: readonly string[] = []): Reporter {
  return { kind: 'sarif', render: (report) => renderSarif(report, new SourceLines(sourceRoots)) };
}

export const sarifReporter: Reporter = sarifReporterFor();

function renderSarif(report: Report, sources: SourceLines): string {
  const results = report.results.flatMap((r) => [
    ...r.findings.map((f) => findingResult(f, sources)),
    ...groupedLints(r.perfFindings).map((p) => perfResult(r, p, sources)),
  ]);
  const log = {
    $schema: SARIF_SCHEMA,
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: report.tool.name,
            version: report.tool.version,
            semanticVersion: report.tool.version,
            rules: SARIF_RULES.map((r) => ({
              id: r.id,
              name: r.name,
              shortDescription: { text: r.short },
              fullDescription: { text: r.help },
              help: { text: r.help },
              defaultConfiguration: { level: r.level },
              properties: {
                tags:
                  r.level === 'error'
                    ? ['crash-consistency', 'persistent-memory']
                    : ['performance', 'persistent-memory'],
              },
            })),
          },
        },
        columnKind: 'utf16CodeUnits',
        results,
        properties: { verdict: report.summary.verdict, summary: report.summary },
      },
    ],
  };
  return `${JSON.stringify(log, null, 2)}\n`;
}

function ruleIndex(id: string): number {
  return SARIF_RULES.findIndex((r) => r.id === id);
}

/**
 * The text of source lines, read once per file: relative paths are tried against the working
 * directory, then each root. A file that cannot be read gives no text (the site string stands in).
 */
export class SourceLines {
  private readonly files = new Map<string, string[] | undefined>();
  constructor(private readonly roots: readonly string[] = []) {}

  line(file: string, line: number): string | undefined {
    if (!this.files.has(file)) this.files.set(file, this.read(file));
    return this.files.get(file)?.[line - 1];
  }

  private read(file: string): string[] | undefined {
    const candidates = isAbsolute(file) ? [file] : [resolve(file), ...this.roots.map((root) => resolve(root, file))];
    for (const path of candidates) {
      try {
        return readFileSync(path, 'utf8').split(/\r?\n/);
      } catch {
        // not there: the next candidate
      }
    }
    return undefined;
  }
}

/** A site as the fingerprint sees it: `file#HASH` of the trimmed line's text, else the site string. */
export function siteKey(site: string, sources: SourceLines): string {
  const parsed = parseSite(site);
  const text = parsed ? sources.line(parsed.file, parsed.line) : undefined;
  if (!parsed || text === undefined) return site;
  return `${parsed.file}#${sha256(text.trim()).slice(0, 16)}`;
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/**
 * A bug's fingerprint: its class and its user sites (lost, then kept) by file and line text — no
 * ids, points or counts; addresses (`pc=0x…`) count only for a bug with no user line.
 */
export function bugFingerprint(f: Pick<Finding, 'class' | 'sites'>, sources: SourceLines): string {
  const user = [...f.sites.lost, ...f.sites.kept].some(isUserSite);
  const keys = (sites: readonly string[]) =>
    [...new Set(sites.filter((s) => !user || isUserSite(s)).map((s) => siteKey(s, sources)))].sort();
  return sha256(JSON.stringify([f.class, keys(f.sites.lost), keys(f.sites.kept)]));
}

function findingResult(f: Finding, sources: SourceLines) {
  const storesAt = (stores: readonly LostStore[], site: string) => stores.filter((s) => s.site === site);
  // One location per user site, lost first: the lines a code-scanning view annotates.
  const located = [
    ...f.sites.lost.map((site) => ({ site, role: LOST_TITLE, stores: storesAt(f.lostStores, site) })),
    ...f.sites.kept.map((site) => ({ site, role: KEPT_TITLE, stores: storesAt(f.keptStores, site) })),
  ].flatMap(({ site, role, stores }) => {
    const loc = physicalLocation(site);
    return loc ? [{ loc, text: locationText(role, site, stores) }] : [];
  });
  const anchor = f.fix?.anchor ? physicalLocation(f.fix.anchor.site) : undefined;
  const fix = f.fix ? `\n${fixText(f.fix)}\n${verificationText(f.fix.verification)}` : '';
  return {
    ruleId: ruleOf(f),
    ruleIndex: ruleIndex(ruleOf(f)),
    level: 'error' as Level,
    message: { text: `${findingHeadline(f)}${fix}\nReplay: ${f.replayCommand}` },
    locations: located.map(({ loc, text }) => ({ physicalLocation: loc, message: { text } })),
    relatedLocations: anchor ? [{ id: 1, physicalLocation: anchor, message: { text: fixText(f.fix!) } }] : [],
    partialFingerprints: { 'pmfitBug/v1': bugFingerprint(f, sources) },
    properties: {
      scenario: f.scenario,
      model: f.model,
      strategy: f.strategy,
      class: f.class,
      failure: f.failure,
      sites: f.sites,
      crashPoints: f.crashPoints,
      pointCount: f.pointCount,
      failingImages: f.failingImages,
      crashPoint: f.crashPoint,
      icountFrom: f.icountFrom,
      icountTo: f.icountTo,
      replayId: f.replayId,
      replayCommand: f.replayCommand,
      ...(f.fix ? { fix: { kind: f.fix.kind, verification: f.fix.verification } } : {}),
      ...(f.expected !== undefined ? { expected: f.expected } : {}),
      ...(f.actual !== undefined ? { actual: f.actual } : {}),
    },
  };
}

function perfResult(r: ScenarioResult, p: PerfFinding, sources: SourceLines) {
  const loc = physicalLocation(p.event.site);
  const site = p.event.site ? siteKey(p.event.site, sources) : `pc=${p.event.pc ?? 0}`;
  return {
    ruleId: p.kind,
    ruleIndex: ruleIndex(p.kind),
    level: 'note' as Level,
    message: { text: perfText(p) },
    locations: loc ? [{ physicalLocation: loc }] : [],
    partialFingerprints: { 'pmfitLint/v1': sha256(JSON.stringify([p.kind, site])) },
    properties: { scenario: r.scenario, model: r.model, count: p.count, seq: p.event.seq },
  };
}

function locationText(role: string, site: string, stores: readonly LostStore[]): string {
  return stores.length > 0 ? `${role}: ${stores.map(storeText).join('; ')}` : `${role}: at ${site}`;
}

export interface Site {
  file: string;
  line: number;
  column?: number;
}

/** Parses `file:line:col` (TS call sites) or `file:line` (native, from addr2line); undefined otherwise. */
export function parseSite(site: string | undefined): Site | undefined {
  if (!site) return undefined;
  const m = /^(.+?):(\d+):(\d+)$/.exec(site) ?? /^(.+?):(\d+)$/.exec(site);
  if (!m) return undefined;
  const line = Number(m[2]);
  if (!(line >= 1) || m[1]!.startsWith('??')) return undefined;
  const column = m[3] !== undefined ? Number(m[3]) : undefined;
  return { file: m[1]!, line, ...(column !== undefined && column >= 1 ? { column } : {}) };
}

function physicalLocation(siteText: string | undefined) {
  const site = parseSite(siteText);
  if (!site) return undefined;
  const path = site.file.replace(/\\/g, '/');
  const absolute = path.startsWith('/') || /^[A-Za-z]:\//.test(path);
  const artifactLocation = absolute
    ? { uri: `file://${path.startsWith('/') ? '' : '/'}${encodeURI(path)}` }
    : { uri: encodeURI(path.replace(/^\.\//, '')), uriBaseId: '%SRCROOT%' };
  return { artifactLocation, region: { startLine: site.line, ...(site.column ? { startColumn: site.column } : {}) } };
}

/** A check that died has its own rule (`crash`, `timeout`, `unknown`); otherwise the class is the rule. */
function ruleOf(f: Finding): Rule['id'] {
  const label = findingLabel(f);
  return label.startsWith('crash:') ? 'crash' : (label as Rule['id']);
}
