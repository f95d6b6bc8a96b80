import test from 'ava';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Report } from '../../core/api.js';
import { eventText, fixText } from '../../reports/format.js';
import { htmlReporter } from '../../reports/html-report.js';
import { colorHistogram, decodePng, tallRunPixels, type Png } from './png.js';
import { hostileReport, realReport } from './real-report.js';
import { FINDINGS, sampleReport } from './sample-report.js';

const run = promisify(execFile);
const CHROMIUM = '/usr/bin/chromium';
/** The timeline's colors (--lost, --kept in the reporter's CSS), drawn as solid rectangles. */
const LOST = '#d1242f';
const KEPT = '#2da44e';

function embedded(html: string): Report {
  const m = /<script type="application\/json" id="pmfit-report">([\s\S]*?)<\/script>/.exec(html);
  if (!m) throw new Error('no embedded report');
  return JSON.parse(m[1]!) as Report;
}

test('the HTML report is self-contained and embeds the JSON report exactly', async (t) => {
  const report = await realReport();
  const html = htmlReporter.render(report);
  t.notRegex(html, /https?:\/\//, 'no network references');
  t.notRegex(html, /<(link|img|iframe)\b|\bsrc=|@import|url\(/i, 'nothing loaded from elsewhere');
  t.deepEqual(embedded(html), JSON.parse(JSON.stringify(report)));
  for (const f of report.findings) t.true(html.includes(f.replayCommand.replace(/'/g, '&#39;')), f.replayId);
  t.is(
    (html.match(/<details class="groups">/g) ?? []).length,
    report.results.filter((r) => r.groups.length > 0).length,
  );
  t.notRegex(html, /<details[^>]* open/, 'output groups are collapsed');
  t.true(html.includes('Output for iterations: 0-3'));
});

test("each finding's detail names the event before the crash once, worded by reports/format.ts", async (t) => {
  const report = await realReport();
  const html = htmlReporter.render(report);
  report.results.forEach((result, r) =>
    result.findings.forEach((f, i) => {
      const detail = new RegExp(`<template id="detail-${r}-${i}">([\\s\\S]*?)</template>`).exec(html)?.[1];
      t.truthy(detail, `detail of finding ${i} of result ${r}`);
      const event = f.lastEvent ? `after ${eventText(f.lastEvent)}` : 'before the first event';
      const escaped = event.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
      t.is(detail!.split(escaped).length - 1, 1, `${f.replayId}: ${event}`);
      for (const s of f.lostStores) t.true(detail!.includes(`<td>${s.seq}</td><td>[${s.offset}, +${s.size})`));
    }),
  );
});

test('hostile text cannot close the script element or inject markup', async (t) => {
  const report = hostileReport(await realReport());
  const html = htmlReporter.render(report);
  t.is((html.match(/<\/script>/g) ?? []).length, 2, 'only the two script elements end');
  t.false(html.includes('<b>x</b>'));
  t.deepEqual(embedded(html), JSON.parse(JSON.stringify(report)));
});

async function chromium(args: string[], dir: string): Promise<string> {
  const profile = mkdtempSync(join(dir, 'profile-'));
  const { stdout } = await run(
    CHROMIUM,
    [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      `--user-data-dir=${profile}`,
      ...args,
    ],
    { timeout: 60_000, maxBuffer: 64 << 20 },
  );
  return stdout;
}

async function screenshot(html: string, dir: string, name: string): Promise<Png> {
  const page = join(dir, `${name}.html`);
  const png = join(dir, `${name}.png`);
  writeFileSync(page, html);
  await chromium([`--screenshot=${png}`, '--window-size=1200,1600', `file://${page}`], dir);
  return decodePng(readFileSync(png));
}

test('the HTML report renders in headless Chromium: timeline drawn, script ran', async (t) => {
  if (!existsSync(CHROMIUM)) {
    t.log(`SKIPPED: ${CHROMIUM} is absent (apt-get install -y chromium) — the HTML report was not rendered`);
    t.pass();
    return;
  }
  const report = await realReport();
  const dir = mkdtempSync(join(tmpdir(), 'pmfit-html-'));
  try {
    const blank = colorHistogram(await screenshot('<!DOCTYPE html><html><body></body></html>', dir, 'blank'));
    const html = htmlReporter.render(report);
    const shot = await screenshot(html, dir, 'report');
    const colors = colorHistogram(shot);
    // Store marks are solid blocks 18 px tall; legend swatches (10 px) and text do not reach 14.
    const lost = tallRunPixels(shot, LOST, 14);
    const kept = tallRunPixels(shot, KEPT, 14);
    t.log(
      `blank page: ${blank.size} color(s); report: ${colors.size} colors, ${lost} lost-red and ${kept} kept-green pixels in store marks`,
    );
    t.true(blank.size <= 2, 'the measure sees a blank page as blank');
    t.true(colors.size > 100, 'text, badges and the timeline give many colors');
    t.true(lost > 300, 'lost stores drawn in red on the timeline');
    t.true(kept > 300, 'kept stores drawn in green on the timeline');
    // The same page without its timelines must fail that measure.
    const bare = await screenshot(html.replace(/<svg[\s\S]*?<\/svg>/g, ''), dir, 'no-timeline');
    t.is(
      tallRunPixels(bare, LOST, 14) + tallRunPixels(bare, KEPT, 14),
      0,
      'the measure sees no marks without the timeline',
    );
    // The script parsed the embedded JSON and rebuilt each detail panel (it marks the panel it filled).
    const dom = await chromium(['--dump-dom', `file://${join(dir, 'report.html')}`], dir);
    t.true(dom.includes('data-ready="true"'), 'the script ran to its end');
    report.results.forEach((r, i) => {
      if (r.findings.length > 0)
        t.regex(dom, new RegExp(`id="detail-${i}"[^>]*data-finding="0"`), `detail panel of result ${i}`);
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('one card per bug with its crash-point ranges, fix, verification and witness stores; lints with counts', (t) => {
  const report = sampleReport();
  const html = htmlReporter.render(report);
  const esc = (s: string) =>
    s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/'/g, '&#39;');
  t.is((html.match(/<button type="button" class="finding/g) ?? []).length, FINDINGS.length);
  t.is((html.match(/<template id="detail-0-\d+">/g) ?? []).length, FINDINGS.length);
  const detail = (i: number) => new RegExp(`<template id="detail-0-${i}">([\\s\\S]*?)</template>`).exec(html)![1]!;
  t.true(detail(1).includes('crash points 6, 9-10 (3 points)'));
  t.true(html.includes(esc('at 3 crash points (6, 9-10), 3 failing images')));
  t.true(detail(0).includes(esc(fixText(FINDINGS[0]!.fix!))));
  t.true(
    detail(0).includes('<span class="verif v-verified">verified: the 3 failing images pass with this change</span>'),
  );
  t.true(
    detail(1).includes(
      '<span class="verif v-not-sufficient">not sufficient: 1 of 3 failing images pass with this change</span>',
    ),
  );
  t.true(
    detail(3).includes('<span class="verif v-not-checked">not verified: a merged shard report has no checker</span>'),
  );
  t.false(detail(2).includes('class="fix"'));
  t.true(detail(0).includes('and 2 more lost stores the bug does not depend on'));
  t.true(detail(1).includes('<td>memcpy called at data.c:8</td>'));
  t.true(detail(3).includes('<td>[8, +8) <span class="dim">of the 16-byte store [0, +16)</span></td>'));
  t.true(html.includes('<summary>Lints (2, not failures)</summary>'));
  t.true(html.includes(esc('[idle-fence] ×66 fence with no flush or non-temporal store to order at flag.c:10')));
  t.true(html.includes('4 lint entries from library code not shown (--lint all)'));
  t.true(html.includes('<div class="stat"><b>5</b><span>bugs</span></div>'));
});
