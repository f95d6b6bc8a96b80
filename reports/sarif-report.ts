// The SARIF 2.1.0 report, for code-scanning views: one rule per finding class and per performance
// kind, one result per finding located at the source line of its first lost store, with the other
// lost stores and the stores persisted early as related locations.
import type { Finding, FindingClass, LostStore, PerfFinding, Report, Reporter, ScenarioResult } from '../core/api.js';
import {
  CLASS_DESCRIPTION,
  KEPT_TITLE,
  LOST_TITLE,
  PERF_DESCRIPTION,
  findingHeadline,
  findingLabel,
  perfText,
  storeText,
} from './format.js';

export const SARIF_SCHEMA = 'https://json.schemastore.org/sarif-2.1.0.json';

type Level = 'error' | 'note';

interface Rule {
  id: FindingClass | PerfFinding['kind'] | 'crash' | 'timeout' | 'unknown';
  name: string;
  short: string;
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
  ...CLASS_RULES.map(([id, name]) => ({ id, name, short: CLASS_DESCRIPTION[id], level: 'error' as Level })),
  {
    id: 'crash',
    name: 'CheckCrashed',
    short: 'The recovery check was killed by a signal on a crash image.',
    level: 'error',
  },
  {
    id: 'timeout',
    name: 'CheckTimedOut',
    short: 'The recovery check ran out of time on a crash image.',
    level: 'error',
  },
  { id: 'unknown', name: 'Unknown', short: 'The check could not give a verdict on a crash image.', level: 'error' },
  ...PERF_RULES.map(([id, name]) => ({ id, name, short: sentence(PERF_DESCRIPTION[id]), level: 'note' as Level })),
];

export const sarifReporter: Reporter = {
  kind: 'sarif',
  render: (report: Report) => {
    const results = report.results.flatMap((r) => [
      ...r.findings.map(findingResult),
      ...r.perfFindings.map((p) => perfResult(r, p)),
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
  },
};

function ruleIndex(id: string): number {
  return SARIF_RULES.findIndex((r) => r.id === id);
}

function findingResult(f: Finding) {
  const located = [
    ...f.lostStores.map((s) => ({ s, role: LOST_TITLE })),
    ...f.keptStores.map((s) => ({ s, role: KEPT_TITLE })),
  ].flatMap(({ s, role }) => {
    const loc = physicalLocation(s.site);
    return loc ? [{ s, role, loc }] : [];
  });
  // The primary location is the first lost store whose site parses; else the first kept one.
  const [primary, ...related] = located;
  return {
    ruleId: ruleOf(f),
    ruleIndex: ruleIndex(ruleOf(f)),
    level: 'error' as Level,
    message: { text: `${findingHeadline(f)}\nReplay: ${f.replayCommand}` },
    locations: primary
      ? [{ physicalLocation: primary.loc, message: { text: locationText(primary.role, primary.s) } }]
      : [],
    relatedLocations: related.map(({ s, role, loc }, i) => ({
      id: i + 1,
      physicalLocation: loc,
      message: { text: locationText(role, s) },
    })),
    partialFingerprints: { 'pmfitFinding/v1': `${f.scenario}:${f.model}:${f.replayId}` },
    properties: {
      scenario: f.scenario,
      model: f.model,
      strategy: f.strategy,
      class: f.class,
      failure: f.failure,
      crashPoint: f.crashPoint,
      icountFrom: f.icountFrom,
      icountTo: f.icountTo,
      replayId: f.replayId,
      replayCommand: f.replayCommand,
      ...(f.expected !== undefined ? { expected: f.expected } : {}),
      ...(f.actual !== undefined ? { actual: f.actual } : {}),
    },
  };
}

function perfResult(r: ScenarioResult, p: PerfFinding) {
  const loc = physicalLocation(p.event.site);
  return {
    ruleId: p.kind,
    ruleIndex: ruleIndex(p.kind),
    level: 'note' as Level,
    message: { text: perfText(p) },
    locations: loc ? [{ physicalLocation: loc }] : [],
    partialFingerprints: { 'pmfitPerf/v1': `${r.scenario}:${r.model}:${p.kind}:${p.event.seq}` },
    properties: { scenario: r.scenario, model: r.model, seq: p.event.seq },
  };
}

function locationText(role: string, s: LostStore): string {
  return `${role}: ${storeText(s)}`;
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
