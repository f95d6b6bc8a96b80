// The text report of a hand-made report: every finding worded once, in the order the README
// documents, offsets and cache lines written one way.
import test from 'ava';
import { textReporter } from '../../reports/text-report.js';
import { FINDINGS, sampleReport } from './sample-report.js';

test('a finding reads: label, scenario, where (with the event before it), what failed, stores, replay', (t) => {
  const text = textReporter.render(sampleReport());
  t.true(
    text.includes(
      [
        'FINDING [missing-flush] flag-data (adr) at crash point 4 (instructions 40-49, after #3 clwb line 65 at flag.c:12): flag set but data is 0',
        '  actual:',
        '    flag=1 data=0',
        '  lost (still pending at the crash):',
        '    #0 [4168, +8) line 65 at data.c:7',
        '  persisted early (kept before they were durable):',
        '    #1 [0, +8) line 0 at flag.c:9',
        "  replay: pmfit replay 'adr@4/0:1~ab12cd' --scenario flag-data",
      ].join('\n'),
    ),
    text,
  );
});

test('a check that died is labelled by how it died, with the class it shows and the event once', (t) => {
  const text = textReporter.render(sampleReport());
  t.regex(
    text,
    /^FINDING \[crash:SIGSEGV\] flag-data \(adr\) at crash point 6 \(instructions 40-49, after #5 store \[8, \+24\) line 0 = (01){16}… pc=0x401a2b\): the check was killed by SIGSEGV \(the image shows missing-flush\)$/m,
  );
  t.regex(
    text,
    /^FINDING \[unknown\] flag-data \(adr\) at crash point 0 \(instructions 40-49, before the first event\): the check could not give a verdict: worker exited \(the image shows inconsistent\)$/m,
  );
  t.notRegex(text, /inconsistent state \(inconsistent\)/);
  // Each store of each finding is listed once: the lost line is written in one place.
  t.is(text.split('#0 [4168, +8) line 65 at data.c:7').length - 1, FINDINGS.filter((f) => f.lostStores.length).length);
});

test('results, groups, perf notes and the summary line', (t) => {
  const text = textReporter.render(sampleReport());
  t.true(text.startsWith('== flag-data — model adr, strategy extremes, oracle exit: inconsistent\n'));
  t.true(
    text.includes(
      '   7 crash points, 12 images, 9 distinct checked, 3 finding(s); coverage 50.0% of 24 allowed images',
    ),
  );
  t.true(text.includes('Output for iterations: 0-39\n  flag=0 data=0'));
  t.true(
    text.includes(
      'performance (1, not failures):\n  [idle-fence] fence with no flush or non-temporal store to order: #2 sfence at flag.c:10',
    ),
  );
  t.true(text.includes('== basic — model adr, strategy extremes, oracle exit: consistent'));
  t.true(text.endsWith('pmfit: inconsistent: 3 finding(s); 14 crash points, 24 images, 18 distinct checked, 77 ms\n'));
});
