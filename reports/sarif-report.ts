// The SARIF 2.1.0 report, for code-scanning views: one rule per finding class and per performance
// kind, one result per finding located at the source line of its first lost store, with the other
// lost stores and the stores persisted early as related locations.
import type { Finding, FindingKind, LostStore, PerfFinding, Report, Reporter, ScenarioResult } from '../core/api.js';

export const SARIF_SCHEMA = 'https://json.schemastore.org/sarif-2.1.0.json';

type Level = 'error' | 'note';

interface Rule {
  id: FindingKind | PerfFinding['kind'] | 'crash';
  name: string;
  short: string;
  level: Level;
}

export const SARIF_RULES: readonly Rule[] = [
  {
    id: 'missing-flush',
    name: 'MissingFlush',
    short:
      'A store was still pending in the cache at the crash: its line was never flushed before a later store depending on it became durable.',
    level: 'error',
  },
  {
    id: 'missing-fence',
    name: 'MissingFence',
    short: 'A flushed store was not yet durable at the crash: no fence ordered it before a later store.',
    level: 'error',
  },
  {
    id: 'ordering',
    name: 'Ordering',
    short: 'Stores became durable in an order the recovery code does not tolerate.',
    level: 'error',
  },
  {
    id: 'torn-write',
    name: 'TornWrite',
    short: 'A store wider than 8 bytes (or unaligned) was only partly durable at the crash.',
    level: 'error',
  },
  {
    id: 'inconsistent',
    name: 'Inconsistent',
    short: 'The recovery check judged a crash image inconsistent.',
    level: 'error',
  },
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
  {
    id: 'redundant-flush',
    name: 'RedundantFlush',
    short: 'A flush of a line whose stores were already flushed.',
    level: 'note',
  },
  { id: 'clean-flush', name: 'CleanFlush', short: 'A flush of a line with no pending store.', level: 'note' },
  { id: 'idle-fence', name: 'IdleFence', short: 'A fence with nothing to order.', level: 'note' },
  {
    id: 'never-durable',
    name: 'NeverDurable',
    short: 'A store that never became durable before the snippet ended.',
    level: 'note',
  },
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
    ...f.lostStores.map((s) => ({ s, role: 'lost' })),
    ...f.keptStores.map((s) => ({ s, role: 'persisted early' })),
  ].flatMap(({ s, role }) => {
    const loc = physicalLocation(s.site);
    return loc ? [{ s, role, loc }] : [];
  });
  // The primary location is the first lost store whose site parses; else the first kept one.
  const [primary, ...related] = located;
  return {
    ruleId: ruleOf(f.kind),
    ruleIndex: ruleIndex(ruleOf(f.kind)),
    level: 'error' as Level,
    message: { text: `${f.message}\nReplay: ${f.replayCommand}` },
    locations: primary
      ? [{ physicalLocation: primary.loc, message: { text: storeText(primary.role, primary.s) } }]
      : [],
    relatedLocations: related.map(({ s, role, loc }, i) => ({
      id: i + 1,
      physicalLocation: loc,
      message: { text: storeText(role, s) },
    })),
    partialFingerprints: { 'pmfitFinding/v1': `${f.scenario}:${f.model}:${f.replayId}` },
    properties: {
      scenario: f.scenario,
      model: f.model,
      strategy: f.strategy,
      class: f.class,
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
  const loc = physicalLocation(p.site);
  return {
    ruleId: p.kind,
    ruleIndex: ruleIndex(p.kind),
    level: 'note' as Level,
    message: { text: p.message },
    locations: loc ? [{ physicalLocation: loc }] : [],
    partialFingerprints: { 'pmfitPerf/v1': `${r.scenario}:${r.model}:${p.kind}:${p.seq}` },
    properties: { scenario: r.scenario, model: r.model, seq: p.seq },
  };
}

function storeText(role: string, s: LostStore): string {
  return `${role}: store #${s.seq} [${s.offset}, +${s.size}) (cache line ${Math.floor(s.offset / 64)})`;
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

/** `crash:SIGSEGV` findings share the rule `crash`; the signal is in the message. */
function ruleOf(kind: FindingKind): Rule['id'] {
  return kind.startsWith('crash:') ? 'crash' : kind;
}
