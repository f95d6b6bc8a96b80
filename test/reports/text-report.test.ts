// The text report of a hand-made report: one entry per bug, worded once, in the order the README
// documents — headline, fix and its verification, crash points, witness, stores, replay — then the
// lints grouped with their counts.
import test from 'ava';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isOwnReport } from '../../reports/index.js';
import { textReporter } from '../../reports/text-report.js';
import { FINDINGS, sampleReport } from './sample-report.js';

test('a bug reads: headline, fix, verification, crash points, witness, expected/actual, stores, replay', (t) => {
  const text = textReporter.render(sampleReport());
  t.true(
    text.includes(
      [
        'FINDING [missing-flush] flag-data (adr): the check failed: flag set but data is 0 — lost stores at data.c:7, persisted early at flag.c:9; at 2 crash points (4-5), 3 failing images',
        '  fix: flush the line written at data.c:7 (pmem_flush or pmem_persist) before the fence at flag.c:10',
        '  verified: the 3 failing images pass with this change',
        '  crash points 4-5 (2 points)',
        '  witness: crash point 4 (instructions 40-49, after #3 clwb line 65 at flag.c:12)',
        '  actual:',
        '    flag=1 data=0',
        '  lost (still pending at the crash):',
        '    #0 [4168, +8) line 65 at data.c:7',
        '    and 2 more lost stores the bug does not depend on',
        '  persisted early (kept before they were durable):',
        '    #1 [0, +8) line 0 at flag.c:9',
        "  replay: pmfit replay 'adr@4/0:1~ab12cd' --scenario flag-data",
      ].join('\n'),
    ),
    text,
  );
});

test('one entry per bug, each with its own fix verdict; a bug without a fix has no fix line', (t) => {
  const text = textReporter.render(sampleReport());
  t.is((text.match(/^FINDING /gm) ?? []).length, FINDINGS.length);
  t.is((text.match(/^ {2}replay: /gm) ?? []).length, FINDINGS.length);
  t.regex(
    text,
    /^FINDING \[crash:SIGSEGV\] flag-data \(adr\): the check was killed by SIGSEGV \(the image shows missing-fence\) — lost stores by memcpy called at data\.c:8, persisted early at flag\.c:9; at 3 crash points \(6, 9-10\), 3 failing images\n {2}fix: add a fence \(pmem_drain\) after the flush at data\.c:9\n {2}not sufficient: 1 of 3 failing images pass with this change\n {2}crash points 6, 9-10 \(3 points\)\n {2}witness: crash point 6 \(instructions 40-49, after #5 store \[8, \+24\) line 0 = (01){16}… pc=0x401a2b\)$/m,
  );
  t.regex(
    text,
    /^FINDING \[unknown\] flag-data \(adr\): the check could not give a verdict: worker exited \(the image shows inconsistent\); at crash point 0, 1 failing image\n {2}witness: crash point 0 \(instructions 40-49, before the first event\)\n {2}replay: /m,
  );
  t.regex(
    text,
    /^ {2}fix: the store at rec\.c:5 is torn: [^\n]*\n {2}not verified: a merged shard report has no checker$/m,
  );
  t.regex(
    text,
    /^ {2}fix: persist the store at log\.c:20 before the store at log\.c:24 \(a fence after the flush at log\.c:21\)\n {2}verified: the failing image passes with this change$/m,
  );
  t.is((text.match(/^ {2}fix: /gm) ?? []).length, FINDINGS.filter((f) => f.fix).length);
});

test('a torn store is named torn, and each of its parts shows the whole store', (t) => {
  const text = textReporter.render(sampleReport());
  t.regex(
    text,
    /^FINDING \[torn-write\] flag-data \(adr\): the check failed: record torn — torn store at rec\.c:5; at crash point 2, 1 failing image$/m,
  );
  t.true(
    text.includes(
      [
        '  lost (still pending at the crash):',
        '    #1 [8, +8) of the 16-byte store [0, +16) line 0 at rec.c:5',
        '  persisted early (kept before they were durable):',
        '    #1 [0, +8) of the 16-byte store [0, +16) line 0 at rec.c:5',
      ].join('\n'),
    ),
  );
  t.true(text.includes('    and 1 more store persisted early the bug does not depend on'));
});

test('results, groups, grouped lints and the summary line', (t) => {
  const text = textReporter.render(sampleReport());
  t.true(text.startsWith('== flag-data — model adr, strategy extremes, oracle exit: inconsistent\n'));
  t.true(
    text.includes('   7 crash points, 12 images, 9 distinct checked, 5 bugs; coverage 50.0% of 24 allowed images'),
  );
  t.true(text.includes('Output for iterations: 0-39\n  flag=0 data=0'));
  t.true(
    text.includes(
      [
        'lints (2, not failures):',
        '  [idle-fence] ×66 fence with no flush or non-temporal store to order at flag.c:10 (first: #2 sfence)',
        '  [redundant-flush] ×1 line flushed again with no store since the last flush by pmem_persist called at data.c:8 (library code; first: #7 clwb line 65)',
        '  4 lint entries from library code not shown (--lint all)',
      ].join('\n'),
    ),
    text,
  );
  t.true(
    text.includes(
      '== basic — model adr, strategy extremes, oracle exit: consistent\n   7 crash points, 12 images, 9 distinct checked, 0 bugs;',
    ),
  );
  t.true(text.endsWith('pmfit: inconsistent: 5 bug(s); 14 crash points, 24 images, 18 distinct checked, 77 ms\n'));
});

test('pmfit recognises its own text report by the summary line (so a re-run may write over it)', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pmfit-text-'));
  try {
    const path = join(dir, 'r.txt');
    writeFileSync(path, textReporter.render(sampleReport()));
    t.true(isOwnReport('text', path));
    writeFileSync(path, 'pmfit: inconsistent: 3 finding(s); 1 crash points\n');
    t.true(isOwnReport('text', path), 'a report from before schema 3');
    writeFileSync(path, 'notes\npmfit: inconsistent: 3 bugs\n');
    t.false(isOwnReport('text', path));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a store listed both lost and persisted early without its parts is said to be torn', (t) => {
  const report = sampleReport();
  const f = report.findings[3]!;
  const whole = { seq: 1, offset: 0, size: 16, site: 'rec.c:5' };
  f.lostStores = [whole];
  f.keptStores = [whole];
  const text = textReporter.render(report);
  t.regex(text, /— torn store at rec\.c:5; /);
  t.is(text.split('#1 [0, +16) line 0 at rec.c:5 (torn: part of it lost, part persisted)').length - 1, 2);
});

test('the text report shows lints listed per event as one line per kind and place', (t) => {
  const report = sampleReport();
  const first = report.results[0]!.perfFindings[0]!;
  report.results[0]!.perfFindings.push({ ...first, count: 4, event: { ...first.event, seq: 40 } });
  const text = textReporter.render(report);
  t.true(
    text.includes(
      'lints (2, not failures):\n  [idle-fence] ×70 fence with no flush or non-temporal store to order at flag.c:10 (first: #2 sfence)',
    ),
    text,
  );
});
