// The HTML report: one self-contained file (inline CSS and JS, no network, no external fonts)
// that embeds the JSON report and renders it — a summary, per result one card per bug (its sites,
// crash-point ranges, the fix and its verification, the replay command), an SVG timeline per cache
// line of the stores each bug's witness lost and kept, a detail panel, the lints grouped with
// their counts, and the allcounts collation collapsed. Static HTML carries everything,
// each finding's detail pre-rendered in a <template>; the script only swaps the selected one in,
// so every word stays in reports/format.ts.
import type { Finding, LostStore, Report, Reporter, ScenarioResult } from '../core/api.js';
import {
  KEPT_TITLE,
  LOST_TITLE,
  bugCount,
  bugName,
  bugSitesText,
  crashPointsText,
  extentText,
  findingLabel,
  findingSummary,
  fixText,
  libraryLintsText,
  linesText,
  otherStoresText,
  percentText,
  perfText,
  pointText,
  rangeText,
  siteText,
  storeText,
  TORN_NOTE,
  tornSeqs,
  tornText,
  verificationText,
} from './format.js';
import { groupedLints } from './lints.js';
import { formatRanges } from './ranges.js';

const LINE = 64;
/** At most this many cache-line rows per timeline; the rest is counted in a note. */
const MAX_ROWS = 40;

export const htmlReporter: Reporter = {
  kind: 'html',
  render: (report: Report) => {
    const title = `pmfit report — ${report.summary.verdict}`;
    return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="pmfit ${esc(report.tool.version)}">
<title>${esc(title)}</title>
<style>${CSS}</style>
</head>
<body>
${renderHeader(report)}
<main>
${renderSummaryTable(report)}
${report.results.map(renderResult).join('\n')}
</main>
<footer>pmfit ${esc(report.tool.version)} · report schema ${report.schemaVersion} · the report's JSON is embedded in this file (script#pmfit-report)</footer>
<script type="application/json" id="pmfit-report">${embedJson(report)}</script>
<script>${SCRIPT}</script>
</body>
</html>
`;
  },
};

/** The report as JSON that is safe inside a <script> element: no `<`, `>`, `&` or line separators raw. */
export function embedJson(report: Report): string {
  return JSON.stringify(report)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

function esc(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

function verdictBadge(verdict: string): string {
  return `<span class="badge v-${esc(verdict)}">${esc(verdict)}</span>`;
}

function renderHeader(report: Report): string {
  const s = report.summary;
  const stat = (n: number, label: string) => `<div class="stat"><b>${n}</b><span>${label}</span></div>`;
  return `<header class="top v-${esc(s.verdict)}-edge">
<h1>pmfit ${verdictBadge(s.verdict)}</h1>
<div class="stats">${stat(s.findings, 'bugs')}${stat(report.results.length, 'results')}${stat(s.crashPoints, 'crash points')}${stat(s.images, 'images')}${stat(s.distinctImages, 'distinct images')}${stat(s.wallMs, 'ms')}</div>
</header>`;
}

function resultId(i: number): string {
  return `result-${i}`;
}

function renderSummaryTable(report: Report): string {
  const rows = report.results.map((r, i) => {
    const s = r.summary;
    return `<tr><td><a href="#${resultId(i)}">${esc(r.scenario)}</a></td><td>${esc(r.model)}</td><td>${esc(r.strategy)}</td><td>${esc(r.oracle)}</td><td class="n">${s.crashPoints}</td><td class="n">${s.images}</td><td class="n">${s.distinctImages}</td><td class="n${s.findings > 0 ? ' bad' : ''}">${s.findings}</td><td class="n">${percentText(r.coverage.fraction)}</td><td class="n">${s.wallMs}</td><td>${verdictBadge(s.verdict)}</td></tr>`;
  });
  return `<section class="card"><h2>Summary</h2>
<table class="summary"><thead><tr><th>scenario</th><th>model</th><th>strategy</th><th>oracle</th><th class="n">crash points</th><th class="n">images</th><th class="n">distinct</th><th class="n">bugs</th><th class="n">coverage</th><th class="n">wall ms</th><th>verdict</th></tr></thead>
<tbody>${rows.join('\n')}</tbody></table></section>`;
}

function renderResult(result: ScenarioResult, r: number): string {
  const s = result.summary;
  const c = result.coverage;
  const partial = c.partialPoints.length > 0 ? ` · ${c.partialPoints.length} crash point(s) only sampled` : '';
  const findings = result.findings.length
    ? `<div class="findings-grid">
<ol class="findings">${result.findings.map((f, i) => renderFinding(f, r, i)).join('\n')}</ol>
<aside class="detail" id="detail-${r}" aria-live="polite">${renderDetail(result.findings[0]!)}</aside>
</div>
${result.findings.map((f, i) => `<template id="detail-${r}-${i}">${renderDetail(f)}</template>`).join('\n')}`
    : `<p class="ok">Every crash image checked was consistent.</p>`;
  return `<section class="card result v-${esc(s.verdict)}-edge" id="${resultId(r)}" data-result="${r}">
<h2>${esc(result.scenario)} <span class="tag">model ${esc(result.model)}</span><span class="tag">strategy ${esc(result.strategy)}</span><span class="tag">oracle ${esc(result.oracle)}</span> ${verdictBadge(s.verdict)}</h2>
<p class="meta">${s.crashPoints} crash points · ${s.images} images (${s.distinctImages} distinct checked) · ${bugCount(s.findings)} · coverage ${percentText(c.fraction)} of ${c.stateSpace} allowed images${partial} · seed ${esc(result.seed)} · ${s.wallMs} ms</p>
${result.findings.length ? renderTimeline(result, r) : ''}
${findings}
${renderPerf(result)}
${renderGroups(result)}
</section>`;
}

function renderFinding(f: Finding, r: number, i: number): string {
  const sites = bugSitesText(f);
  return `<li><button type="button" class="finding${i === 0 ? ' selected' : ''}" data-result="${r}" data-finding="${i}">
${badge(f)} <span class="where">${esc(extentText(f))}</span>
<span class="msg">${esc(findingSummary(f))}</span>${sites ? `<span class="sites">${esc(sites)}</span>` : ''}${renderFix(f)}</button>
<div class="replay"><code>${esc(f.replayCommand)}</code></div></li>`;
}

/** The fix sentence and whether pmfit verified it, coloured by the verification. */
function renderFix(f: Finding): string {
  if (!f.fix) return '';
  const v = f.fix.verification.status;
  return `<span class="fix">${esc(fixText(f.fix))}</span><span class="verif v-${v}">${esc(verificationText(f.fix.verification))}</span>`;
}

function badge(f: Finding): string {
  const label = findingLabel(f);
  return `<span class="kind k-${esc(label.replace(/:.*/, ''))}">${esc(label)}</span>`;
}

/** The detail of one bug: what failed, the fix, its crash points, its witness (the event before the crash once, the stores), the replay. */
function renderDetail(f: Finding): string {
  const torn = tornSeqs(f);
  const table = (title: string, cls: string, stores: LostStore[], others: number, lost: boolean) =>
    stores.length === 0 && others === 0
      ? ''
      : `<h4 class="${cls}">${title} (${stores.length})</h4><table class="stores"><thead><tr><th>#</th><th>bytes</th><th>cache line</th><th>site</th></tr></thead><tbody>${stores
          .map(
            (s) =>
              `<tr><td>${s.seq}</td><td>${rangeText(s.offset, s.size)}${tornText(s) || torn.has(s.seq) ? ` <span class="dim">${esc(tornText(s) || TORN_NOTE)}</span>` : ''}</td><td>${linesText(s.offset, s.size)}</td><td>${esc(siteText(s) ?? '—')}</td></tr>`,
          )
          .join(
            '',
          )}</tbody></table>${others > 0 ? `<p class="note">${esc(otherStoresText(others, lost, stores.length > 0))}</p>` : ''}`;
  const pre = (label: string, text: string | undefined) =>
    text === undefined ? '' : `<h4>${label}</h4><pre>${esc(text || '(no output)')}</pre>`;
  const sites = bugSitesText(f);
  return `<h3>${badge(f)} ${esc(crashPointsText(f))}</h3>
<p class="msg">${esc(findingSummary(f))}</p>
${sites ? `<p class="sites">${esc(sites)}</p>` : ''}
${f.fix ? `<h4>fix</h4><p>${renderFix(f)}</p>` : ''}
<h4>witness</h4>
<p class="last">${esc(pointText(f))}</p>
${pre('expected', f.expected)}${pre('actual', f.actual)}
${table(LOST_TITLE, 'lost', f.lostStores, f.otherLost, true)}
${table(KEPT_TITLE, 'kept', f.keptStores, f.otherKept, false)}
<h4>replay</h4><pre class="cmd">${esc(f.replayCommand)}</pre>`;
}

interface Mark {
  finding: number;
  seq: number;
  line: number;
  lost: boolean;
  kept: boolean;
  text: string;
}

/** Lines a store touches (a store can straddle cache lines). */
function linesOf(s: LostStore): number[] {
  const first = Math.floor(s.offset / LINE);
  const last = Math.floor((s.offset + Math.max(1, s.size) - 1) / LINE);
  return Array.from({ length: last - first + 1 }, (_, k) => first + k);
}

function collectMarks(findings: readonly Finding[]): Mark[] {
  const marks = new Map<string, Mark>();
  findings.forEach((f, i) => {
    for (const [stores, lost] of [
      [f.lostStores, true],
      [f.keptStores, false],
    ] as const) {
      for (const s of stores) {
        for (const line of linesOf(s)) {
          const key = `${i}/${s.seq}/${line}`;
          const m = marks.get(key) ?? { finding: i, seq: s.seq, line, lost: false, kept: false, text: '' };
          if (lost) m.lost = true;
          else m.kept = true;
          m.text += `${m.text ? '\n' : ''}${lost ? 'lost' : 'kept'} ${storeText(s)}`;
          marks.set(key, m);
        }
      }
    }
  });
  return [...marks.values()];
}

/**
 * One row per cache line that some finding's image lost or kept a store on. x is the event index:
 * event #s occupies the cell [s, s+1), crash point c is the boundary after c events. Only the
 * window around the marks and crash points is drawn, so long traces stay readable.
 */
function renderTimeline(result: ScenarioResult, r: number): string {
  const marks = collectMarks(result.findings);
  const allLines = [...new Set(marks.map((m) => m.line))].sort((a, b) => a - b);
  const lines = allLines.slice(0, MAX_ROWS);
  const shown = marks.filter((m) => m.line <= lines[lines.length - 1]!);
  const xs = [...shown.flatMap((m) => [m.seq, m.seq + 1]), ...result.findings.map((f) => f.crashPoint)];
  const from = Math.max(0, Math.min(...xs) - 1);
  const to = Math.min(Math.max(result.summary.crashPoints - 1, Math.max(...xs)), Math.max(...xs) + 1);
  const span = Math.max(1, to - from);
  const labelW = 180;
  const plotW = 900;
  const rowH = 24;
  const top = 26;
  const width = labelW + plotW + 20;
  const height = top + lines.length * rowH + 24;
  const cell = plotW / span;
  const x = (v: number) => labelW + (v - from) * cell;
  const rowY = (line: number) => top + lines.indexOf(line) * rowH;
  const parts: string[] = [];
  lines.forEach((line, k) => {
    const y = top + k * rowH;
    parts.push(`<rect class="row${k % 2 ? ' odd' : ''}" x="${labelW}" y="${y}" width="${plotW}" height="${rowH}"/>`);
    parts.push(
      `<text class="lbl" x="${labelW - 8}" y="${y + rowH / 2 + 4}" text-anchor="end">line ${line} · ${rangeText(line * LINE, LINE)}</text>`,
    );
  });
  const step = Math.max(1, Math.ceil(span / 20));
  for (let v = Math.ceil(from / step) * step; v <= to; v += step) {
    parts.push(
      `<line class="tick" x1="${x(v)}" x2="${x(v)}" y1="${top}" y2="${top + lines.length * rowH + 4}"/><text class="axis" x="${x(v)}" y="${height - 6}" text-anchor="middle">${v}</text>`,
    );
  }
  const w = Math.max(2, cell - 2);
  result.findings.forEach((f, i) => {
    const group: string[] = [];
    for (const m of shown.filter((m) => m.finding === i)) {
      const y = rowY(m.line) + 3;
      const h = rowH - 6;
      const mx = x(m.seq) + (cell - w) / 2;
      const title = `<title>${esc(m.text)}</title>`;
      if (m.lost && m.kept) {
        group.push(
          `<g class="mark">${title}<rect class="kept" x="${mx}" y="${y}" width="${w}" height="${h / 2}" rx="2"/><rect class="lost" x="${mx}" y="${y + h / 2}" width="${w}" height="${h / 2}" rx="2"/></g>`,
        );
      } else {
        group.push(
          `<rect class="mark ${m.lost ? 'lost' : 'kept'}" x="${mx}" y="${y}" width="${w}" height="${h}" rx="2">${title}</rect>`,
        );
      }
    }
    const cx = x(f.crashPoint);
    group.push(`<line class="crash" x1="${cx}" x2="${cx}" y1="${top - 6}" y2="${top + lines.length * rowH}"/>`);
    group.push(`<text class="crash-lbl" x="${cx}" y="${top - 10}" text-anchor="middle">crash ${f.crashPoint}</text>`);
    parts.push(
      `<g class="fgroup${i === 0 ? ' selected' : ''}" data-result="${r}" data-finding="${i}"><title>${esc(`${bugName(f)} — witness: ${pointText(f)}`)}</title>${group.join('')}</g>`,
    );
  });
  const more =
    allLines.length > lines.length
      ? `<p class="note">${allLines.length - lines.length} more cache line(s) not drawn.</p>`
      : '';
  return `<figure class="timeline">
<svg viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="stores lost and kept per cache line, by event index">
${parts.join('\n')}
<text class="axis" x="${labelW - 26}" y="${height - 6}" text-anchor="end">events →</text>
</svg>
<figcaption><span class="sw lost"></span> lost: pending at the crash, not in the image · <span class="sw kept"></span> kept: persisted before it was durable · <span class="sw crash"></span> crash point (after that many events) · click a bug or its witness's crash line to see that image's stores</figcaption>
${more}
</figure>`;
}

function renderPerf(result: ScenarioResult): string {
  const library = result.libraryPerfFindings ?? 0;
  const lints = groupedLints(result.perfFindings);
  if (lints.length === 0 && library === 0) return '';
  const items = lints.map((p) => `<li><span class="kind perf">${esc(p.kind)}</span> ${esc(perfText(p))}</li>`);
  if (library > 0) items.push(`<li class="dim">${esc(libraryLintsText(library))}</li>`);
  return `<details class="perf"><summary>Lints (${lints.length}, not failures)</summary><ul>${items.join('')}</ul></details>`;
}

function renderGroups(result: ScenarioResult): string {
  if (result.groups.length === 0) return '';
  const body = result.groups
    .map(
      (g) =>
        `<div class="group"><div class="iters">Output for iterations: ${esc(formatRanges(g.iterations))} <span class="dim">(${g.images} image${g.images === 1 ? '' : 's'})</span></div><pre>${esc(g.output || '(no output)')}</pre></div>`,
    )
    .join('\n');
  return `<details class="groups"><summary>Output groups (${result.groups.length}) — allcounts collation</summary>${body}</details>`;
}

const CSS = `
:root{--fg:#1f2328;--dim:#59636e;--bg:#f6f8fa;--card:#fff;--line:#d1d9e0;--ok:#1a7f37;--bad:#cf222e;--unk:#9a6700;--lost:#d1242f;--kept:#2da44e;--crash:#0550ae;
--sans:system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue","DejaVu Sans",Arial,sans-serif;--mono:ui-monospace,SFMono-Regular,Menlo,Consolas,"DejaVu Sans Mono",monospace}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg);font:14px/1.5 var(--sans)}
header.top{background:var(--card);border-bottom:1px solid var(--line);border-top:5px solid var(--dim);padding:14px 28px;display:flex;align-items:center;gap:32px;flex-wrap:wrap}
h1{font-size:22px;margin:0;display:flex;align-items:center;gap:10px}
h2{font-size:17px;margin:0 0 6px;display:flex;align-items:center;gap:6px;flex-wrap:wrap}
h3{font-size:15px;margin:0 0 6px}
h4{font-size:12px;text-transform:uppercase;letter-spacing:.04em;color:var(--dim);margin:12px 0 4px}
.stats{display:flex;gap:26px}
.stat b{display:block;font-size:20px;font-variant-numeric:tabular-nums}
.stat span{color:var(--dim);font-size:12px}
main{max-width:1240px;margin:0 auto;padding:18px 20px}
.card{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:16px 18px;margin-bottom:18px}
.result{border-left:5px solid var(--line)}
.v-consistent-edge{border-left-color:var(--ok);border-top-color:var(--ok)}
.v-inconsistent-edge{border-left-color:var(--bad);border-top-color:var(--bad)}
.v-unknown-edge{border-left-color:var(--unk);border-top-color:var(--unk)}
header.top.v-consistent-edge{border-top-color:var(--ok)}header.top.v-inconsistent-edge{border-top-color:var(--bad)}header.top.v-unknown-edge{border-top-color:var(--unk)}
.badge{display:inline-block;padding:1px 9px;border-radius:999px;font-size:12px;font-weight:600;color:#fff;vertical-align:middle}
.v-consistent{background:var(--ok)}.v-inconsistent{background:var(--bad)}.v-unknown{background:var(--unk)}
.tag{font-size:12px;font-weight:500;background:#eef1f4;border:1px solid var(--line);border-radius:4px;padding:0 6px;color:var(--dim)}
.meta{color:var(--dim);margin:0 0 10px;font-size:13px}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:5px 8px;border-bottom:1px solid #eaeef2;font-size:13px}
th{color:var(--dim);font-weight:600;font-size:12px}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
td.bad{color:var(--bad);font-weight:700}
a{color:var(--crash);text-decoration:none}a:hover{text-decoration:underline}
.ok{color:var(--ok);margin:4px 0}
.findings-grid{display:grid;grid-template-columns:minmax(0,1fr) minmax(0,1fr);gap:16px;align-items:start}
ol.findings{list-style:none;margin:0;padding:0}
ol.findings li{margin-bottom:10px}
button.finding{all:unset;display:block;cursor:pointer;border:1px solid var(--line);border-radius:6px 6px 0 0;padding:8px 10px;width:100%;box-sizing:border-box}
button.finding:hover{background:#f6f8fa}
button.finding.selected{border-color:var(--crash);box-shadow:0 0 0 2px #0550ae33;background:#f5f9ff}
button.finding:focus-visible{outline:2px solid var(--crash)}
.kind{display:inline-block;font:600 12px var(--mono);padding:0 6px;border-radius:4px;background:#ffebe9;color:var(--bad);border:1px solid #ffcecb}
.kind.perf{background:#ddf4ff;color:var(--crash);border-color:#b6e3ff}
.k-crash,.k-timeout,.k-unknown{background:#fff8c5;color:var(--unk);border-color:#eed888}
.where{color:var(--dim);font-size:12px}
.msg{display:block;margin-top:4px;word-break:break-word}
.sites{display:block;color:var(--dim);font:12px var(--mono);margin-top:2px;word-break:break-word}
.fix{display:block;margin-top:4px;font-weight:600;word-break:break-word}
.verif{display:block;font-size:12px}.verif.v-verified{color:var(--ok)}.verif.v-not-sufficient{color:var(--bad)}.verif.v-not-checked{color:var(--unk)}
.replay{border:1px solid var(--line);border-top:none;border-radius:0 0 6px 6px;background:#f6f8fa;padding:4px 10px}
code,pre{font:12.5px/1.45 var(--mono)}
pre{background:#f6f8fa;border:1px solid #eaeef2;border-radius:6px;padding:6px 8px;margin:0;white-space:pre-wrap;word-break:break-word}
pre.cmd{background:#1f2328;color:#f0f3f6;border-color:#1f2328}
.detail{border:1px solid var(--line);border-radius:6px;padding:10px 12px;position:sticky;top:10px}
.detail .last{color:var(--dim);font:12px var(--mono);margin:4px 0}
.detail h4.lost{color:var(--lost)}.detail h4.kept{color:var(--kept)}
table.stores td{font:12px var(--mono)}
.timeline{margin:4px 0 14px;overflow-x:auto}
.timeline svg{display:block;max-width:100%;height:auto;font-family:var(--sans)}
.timeline figcaption{color:var(--dim);font-size:12px;margin-top:4px}
.sw{display:inline-block;width:10px;height:10px;border-radius:2px;vertical-align:-1px}
.sw.lost{background:var(--lost)}.sw.kept{background:var(--kept)}.sw.crash{background:var(--crash);width:3px}
svg .row{fill:#fafbfc}svg .row.odd{fill:#f1f3f5}
svg .lbl{font:11.5px var(--mono);fill:var(--fg)}
svg .axis{font-size:11px;fill:var(--dim)}
svg .tick{stroke:#d8dee4;stroke-width:1}
svg .lost{fill:var(--lost)}svg .kept{fill:var(--kept)}
svg .crash{stroke:var(--crash);stroke-width:2.5}
svg .crash-lbl{font-size:11px;font-weight:600;fill:var(--crash)}
svg .fgroup{cursor:pointer}
svg.has-selection .fgroup:not(.selected){opacity:.25}
svg.has-selection .fgroup:not(.selected) .mark,svg.has-selection .fgroup:not(.selected) .crash-lbl{display:none}
details{margin-top:10px}
summary{cursor:pointer;color:var(--dim);font-weight:600;font-size:13px}
.group{margin:8px 0}
.iters{font:12.5px var(--mono);margin-bottom:2px}
.dim{color:var(--dim)}
.note{color:var(--dim);font-size:12px}
footer{color:var(--dim);font-size:12px;text-align:center;padding:8px 0 24px}
@media (max-width:900px){.findings-grid{grid-template-columns:1fr}}
`;

// Selection: clicking a finding (its list entry or its crash line) highlights it in the timeline
// and shows its pre-rendered detail (a <template>): the script writes no text of its own.
const SCRIPT = `
(function () {
  'use strict';
  var report = JSON.parse(document.getElementById('pmfit-report').textContent);
  function select(r, i) {
    var tpl = document.getElementById('detail-' + r + '-' + i);
    var panel = document.getElementById('detail-' + r);
    if (!tpl || !panel) return;
    panel.replaceChildren(tpl.content.cloneNode(true));
    panel.setAttribute('data-finding', String(i));
    document.querySelectorAll('[data-result="' + r + '"][data-finding]').forEach(function (e) {
      e.classList.toggle('selected', e.getAttribute('data-finding') === String(i));
      if (e.classList.contains('fgroup') && e.getAttribute('data-finding') === String(i)) e.parentNode.appendChild(e);
    });
  }
  document.querySelectorAll('.timeline svg').forEach(function (s) { s.classList.add('has-selection'); });
  document.addEventListener('click', function (ev) {
    var t = ev.target.closest && ev.target.closest('[data-finding]');
    if (t && t.hasAttribute('data-result')) select(Number(t.getAttribute('data-result')), Number(t.getAttribute('data-finding')));
  });
  report.results.forEach(function (res, r) { if (res.findings.length) select(r, 0); });
  document.body.setAttribute('data-ready', 'true');
})();
`;
