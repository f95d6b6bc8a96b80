// Issue 10: the fix a finding suggests is real. For each buggy twin the test patch below does what
// the finding's `fix` says at the line it names (asserted first against the finding itself), is
// applied to a copy of the scenario's source in a temp dir, and pmfit must then report the copy
// clean (the unpatched twins fail: one-finding-per-bug.test.ts).
import test, { type ExecutionContext } from 'ava';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { Finding, FixSuggestion, Report } from '../../core/api.js';
import { runScenarios } from '../../harness/cli/run-scenarios.js';
import { findScenario } from '../../scenarios/index.js';
import { brief, buildNative, checkNative, fileLine, runJson } from '../bug-helpers.js';
import { REPO, tempDir } from '../helpers.js';

/** One source edit: the lines `line`..`line + expect.length - 1` must match `expect`, and are replaced by `with`. */
interface Edit {
  file: string;
  line: number;
  expect: RegExp[];
  with: (old: string[]) => string[];
}

/** Where the patch must be, from the finding: the fix's kind and the site it names. */
interface Patch {
  twin: string;
  kind: FixSuggestion['kind'];
  /** The site of the fix the patch implements: the first store's, or the anchor's. */
  site: (fix: FixSuggestion) => string | undefined;
  edit: Edit;
}

const after =
  (...added: string[]) =>
  (old: string[]) => [...old, ...added];

const patches: Patch[] = [
  {
    // persist: make the data stores durable right after they are written
    twin: 'flag-data-buggy',
    kind: 'persist',
    site: (fix) => fix.stores[0]?.site,
    edit: {
      file: 'scenarios/flag-publish.ts',
      line: 15,
      expect: [/pool\.writeU64\(DATA \+ 8 \* i, dataWord\(i\)\)/],
      with: after('  pool.persist(DATA, 8 * WORDS);'),
    },
  },
  {
    // fence: a fence right after the flush of the data
    twin: 'fence-flag-buggy',
    kind: 'fence',
    site: (fix) => fix.anchor?.site,
    edit: {
      file: 'scenarios/fence-flag.ts',
      line: 28,
      expect: [/pool\.flush\(DATA, 8 \* WORDS\)/],
      with: after('    pool.drain();'),
    },
  },
  {
    // fence: a fence right after the non-temporal store
    twin: 'nt-publish-buggy',
    kind: 'fence',
    site: (fix) => fix.anchor?.site,
    edit: {
      file: 'scenarios/nt-publish.ts',
      line: 11,
      expect: [/pool\.writeNonTemporal\(DATA \+ 8 \* i, word\)/],
      with: after('    pool.drain();'),
    },
  },
  {
    // atomic: publish the record with one aligned 8-byte store (write a fresh slot, then the index)
    twin: 'torn16-buggy',
    kind: 'atomic',
    site: (fix) => fix.stores[0]?.site,
    edit: {
      file: 'scenarios/torn16.ts',
      line: 55,
      expect: [/pool\.write\(SLOTS\[0\]!, record\(2n\)\)/, /pool\.persist\(SLOTS\[0\]!, 16\)/],
      with: () => [
        '    pool.write(SLOTS[1]!, record(2n));',
        '    pool.persist(SLOTS[1]!, 16);',
        '    pool.writeU64(INDEX, 1);',
        '    pool.persist(INDEX, 8);',
      ],
    },
  },
  {
    // persist: the node's fields (lines 30-32) durable right after they are written
    twin: 'list-append-buggy',
    kind: 'persist',
    site: (fix) => fix.stores[0]?.site,
    edit: {
      file: 'scenarios/linked-list.ts',
      line: 30,
      expect: [/NODE\.magic/, /NODE\.value/, /NODE\.next/],
      with: after('  pool.persist(node, NODE.bytes);'),
    },
  },
  {
    twin: 'native/flag-data-buggy',
    kind: 'persist',
    site: (fix) => fix.stores[0]?.site,
    edit: {
      file: 'scenarios/native/flag-data.c',
      line: 31,
      expect: [/x86pm_store64\(data \+ 8 \* i, flagpub_word\(i\)\)/],
      with: after('\tx86pm_clwb(data, 8 * FLAGPUB_WORDS);', '\tx86pm_sfence();'),
    },
  },
  {
    twin: 'native/fence-flag-buggy',
    kind: 'fence',
    site: (fix) => fix.anchor?.site,
    edit: {
      file: 'scenarios/native/fence-flag.c',
      line: 33,
      expect: [/x86pm_clwb\(data, 8 \* FLAGPUB_WORDS\)/],
      with: after('\tx86pm_sfence();'),
    },
  },
  {
    twin: 'native/nt-publish-buggy',
    kind: 'fence',
    site: (fix) => fix.anchor?.site,
    edit: {
      file: 'scenarios/native/nt-publish.c',
      line: 33,
      expect: [/_mm_stream_si64\(&data\[i\]/],
      with: after('\tx86pm_sfence();'),
    },
  },
  {
    // atomic: the finding names the 16-byte store inside torn16_write (line 62), which no change of
    // that one line can make atomic in place; the patch changes the only call of it in the buggy
    // run (the lines after the `#else`) to write the other slot and publish it with an 8-byte index.
    twin: 'native/torn16-buggy',
    kind: 'atomic',
    site: (fix) => fix.stores[0]?.site,
    edit: {
      file: 'scenarios/native/torn16.c',
      line: 62,
      expect: [/_mm_storeu_si128\(\(__m128i \*\)rec, v\)/],
      with: (old) => old,
    },
  },
  {
    // flush: the new node's lines flushed before the next fence (pmemalloc's, inside libpmem: the
    // anchor has no site of the program's own) — after the node's last store, its word's memcpy
    twin: 'native/binarytree-buggy',
    kind: 'flush',
    site: (fix) => fix.stores[0]?.site,
    edit: {
      file: 'scenarios/native/binarytree.c',
      line: 121,
      expect: [/np->left_ = 0;/, /np->right_ = 0;/, /np->count = 1;/, /memcpy\(np->word, word, len\);/],
      with: after('\tpmem_flush(np, sizeof(*np) + len);'),
    },
  },
];

/** The buggy run of native torn16 made atomic (its caller's edit, see above). */
const TORN16_CALLER: Edit = {
  file: 'scenarios/native/torn16.c',
  line: 100,
  expect: [/char \*rec = torn16_slot\(base, idx\);/, /^$/, /torn16_write\(rec, value\);/],
  with: () => [
    '\tchar *rec = torn16_slot(base, idx ^ 1);',
    '',
    '\ttorn16_write(rec, value);',
    '\tx86pm_clwb(rec, 16);',
    '\tx86pm_sfence();',
    '\tx86pm_store64(base + TORN16_IDX_OFF, idx ^ 1);',
    '\tx86pm_clwb(base + TORN16_IDX_OFF, 8);',
  ],
};

/** The source with the edits applied (each checked to be at its line first). */
function applyEdits(t: ExecutionContext, text: string, edits: readonly Edit[]): string {
  const lines = text.split('\n');
  // from the bottom up, so earlier line numbers stay right
  for (const edit of [...edits].sort((a, b) => b.line - a.line)) {
    const old = lines.slice(edit.line - 1, edit.line - 1 + edit.expect.length);
    edit.expect.forEach((re, i) => t.regex(old[i] ?? '', re, `${edit.file}:${edit.line + i}`));
    lines.splice(edit.line - 1, edit.expect.length, ...edit.with(old));
  }
  return lines.join('\n');
}

async function theFinding(t: ExecutionContext, twin: string): Promise<Finding> {
  const report = await runScenarios([findScenario(twin)!], { models: ['adr'], jobs: 2, seed: '0', timeoutMs: 20_000 });
  const findings = report.results[0]!.findings;
  t.is(findings.length, 1, findings.map(brief).join('\n'));
  return findings[0]!;
}

const clean = (report: Report) => report.results.every((r) => r.summary.verdict === 'consistent');

for (const patch of patches) {
  test(`${patch.twin}: the suggested ${patch.kind} fix, applied at the line it names, makes pmfit report the program clean`, async (t) => {
    t.timeout(180_000);
    const finding = await theFinding(t, patch.twin);
    t.is(finding.fix?.kind, patch.kind, brief(finding));
    t.is(finding.fix?.verification.status, 'verified', brief(finding));
    const at = fileLine(patch.site(finding.fix!));
    t.deepEqual(at, { file: patch.edit.file, line: patch.edit.line }, 'the fix names the line the patch changes');
    if (patch.twin === 'native/binarytree-buggy') {
      t.is(finding.fix!.anchor?.kind, 'fence', brief(finding));
      // the node's stores the program makes itself (its word's are libc's strcpy/memcpy: `pc=`
      // until the tracer attributes them to the calling line)
      for (const s of finding.fix!.stores.filter((s) => s.site))
        t.true([121, 122, 123, 124].includes(fileLine(s.site)?.line ?? 0), JSON.stringify(s));
    }
    if (patch.kind === 'persist' && patch.twin === 'list-append-buggy')
      t.deepEqual(
        [...new Set(finding.fix!.stores.map((s) => fileLine(s.site)?.line))],
        [30, 31, 32],
        'every store the fix persists is one the patch persists',
      );
    const dir = tempDir(t);
    const edits = patch.twin === 'native/torn16-buggy' ? [patch.edit, TORN16_CALLER] : [patch.edit];
    const original = readFileSync(join(REPO, patch.edit.file), 'utf8');
    const patched = applyEdits(t, original, edits);
    t.not(patched, original);

    if (patch.twin.startsWith('native/')) {
      const source = join(dir, basename(patch.edit.file));
      const prog = patch.twin.slice('native/'.length);
      // the tree runs on pmemalloc and libpmem (scenarios/native/native.mk), under eadr and adr
      const tree = prog === 'binarytree-buggy';
      const libs = tree ? [join(REPO, 'scenarios', 'native', 'pmemalloc.c'), '-lpmem'] : [];
      const size = tree ? 65536 : 4096;
      const models = tree ? ['eadr', 'adr'] : ['adr'];
      // (that the unpatched source fails, built the same way, one-finding-per-bug.test.ts shows)
      writeFileSync(source, patched);
      const fixed = buildNative(source, join(dir, `${prog}-fixed`), ['-DBUGGY'], libs);
      const after = checkNative(dir, fixed, size, { models });
      t.is(after.status, 0, JSON.stringify(after.report.findings.map(brief)));
      t.true(clean(after.report));
      return;
    }
    // TS: the scenario's modules copied next to a scenario file exporting the buggy twin.
    const module = patch.twin.replace(/-buggy$/, '');
    for (const file of ['flag-publish.ts', 'linked-list.ts', `${module}.ts`])
      copyFileSync(join(REPO, 'scenarios', file), join(dir, file));
    writeFileSync(join(dir, 'twin.ts'), `import { buggy } from './${module}.js';\nexport default buggy;\n`);
    writeFileSync(join(dir, basename(patch.edit.file)), patched);
    const after = runJson(dir, ['./twin.ts'], { cwd: dir });
    t.is(after.status, 0, JSON.stringify(after.report.findings.map(brief)));
    t.true(clean(after.report));
    t.true(after.report.results.length > 0);
  });
}
