// A real report for the reporter tests: the real pipeline on built-in scenarios that find
// every persistency class the TS scenarios have (missing flush, missing fence, torn write),
// plus a consistent collate result. Memoized per test process.
import type { Finding, Report } from '../../core/api.js';
import { runScenarios } from '../../harness/cli/run-scenarios.js';
import { findBuiltIn } from '../../scenarios/index.js';

export const SCENARIOS = ['basic', 'list-append-buggy', 'fence-flag-buggy', 'torn16-buggy'];

let cached: Promise<Report> | undefined;

export function realReport(): Promise<Report> {
  cached ??= runScenarios(
    SCENARIOS.map((name) => {
      const entry = findBuiltIn(name);
      if (!entry) throw new Error(`built-in scenario ${name} is missing`);
      return entry;
    }),
    { jobs: 2, seed: '0', timeoutMs: 10000 },
  );
  return cached;
}

/** Text no report should break on: markup, quotes, XML-forbidden controls, a lone surrogate, emoji. */
export const HOSTILE = 'a</script><!-- & "q" \'s\' ]]> \u0001\u0008\u000b\u001f \uD800 \u{1F600} <b>x</b>';

/** The real report with hostile text in a finding's check detail, outputs, sites and a perf finding. */
export function hostileReport(report: Report): Report {
  const copy = structuredClone(report) as Report;
  const result = copy.results.find((r) => r.findings.length > 0)!;
  const f: Finding = result.findings[0]!;
  f.failure = { kind: 'check-failed', detail: HOSTILE };
  f.actual = HOSTILE;
  f.expected = HOSTILE;
  f.lostStores = [
    { seq: 1, offset: 72, size: 8, site: 'not a site' },
    ...f.lostStores,
    { seq: 2, offset: 80, size: 8, site: '/abs/dir with space/n.c:42' },
  ];
  f.sites = { ...f.sites, lost: ['not a site', ...f.sites.lost, '/abs/dir with space/n.c:42'] };
  result.groups[0]!.output = HOSTILE;
  result.perfFindings.push({
    kind: 'idle-fence',
    count: 2,
    event: { kind: 'fence', seq: 3, variant: 'sfence', site: 'scenarios/native/x.c:7' },
  });
  copy.findings = copy.results.flatMap((r) => r.findings);
  return copy;
}
