// Every example command in the README runs, so the docs cannot rot: each `pmfit …` or
// `npx pmfit …` line of a ```sh block, and each such line of a ```yaml block (the CI recipes),
// runs in order in one fresh directory (with `build/` of this checkout linked in), and must exit as
// its `# exit N` comment says (0 when it says nothing).
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { PMFIT_BIN, REPO, tempDir } from '../helpers.js';

interface Example {
  line: string;
  args: string[];
  status: number;
}

/** Splits a command line like a POSIX shell would for the simple lines the README uses. */
function shellWords(line: string): string[] {
  const words: string[] = [];
  let word: string | null = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === "'" || c === '"') {
      const end = line.indexOf(c, i + 1);
      if (end < 0) throw new Error(`unclosed quote in: ${line}`);
      word = (word ?? '') + line.slice(i + 1, end);
      i = end;
    } else if (c === ' ' || c === '\t') {
      if (word !== null) words.push(word);
      word = null;
    } else word = (word ?? '') + c;
  }
  if (word !== null) words.push(word);
  return words;
}

function examples(readme: string): Example[] {
  const out: Example[] = [];
  for (const block of readme.matchAll(/```(sh|yaml)\n([\s\S]*?)```/g)) {
    for (const raw of block[2]!.split('\n')) {
      const line = raw.replace(/^\s*(- (run: )?)?/, '').trim();
      const match = /^(?:npx )?pmfit (.*?)\s*(?:# exit (\d))?\s*$/.exec(line.replace(/\s+#(?! exit).*$/, ''));
      // CI variables ($CI_NODE_INDEX) only exist in CI: those lines are shown, not run.
      if (!match || line.includes('$')) continue;
      out.push({ line, args: shellWords(match[1]!), status: Number(match[2] ?? 0) });
    }
  }
  return out;
}

function expandGlobs(args: string[], cwd: string): string[] {
  return args.flatMap((a) => {
    if (!a.includes('*')) return [a];
    const pattern = new RegExp(`^${a.replace(/\./g, '\\.').replace(/\*/g, '.*')}$`);
    return readdirSync(cwd)
      .filter((f) => pattern.test(f))
      .sort();
  });
}

test('every pmfit command in the README runs and exits as documented', (t) => {
  const readme = readFileSync(join(REPO, 'README.md'), 'utf8');
  const list = examples(readme);
  t.true(list.length >= 10, `found ${list.length} example commands`);
  const cwd = tempDir(t);
  symlinkSync(join(REPO, 'build'), join(cwd, 'build'));
  for (const example of list) {
    const r = spawnSync(process.execPath, [PMFIT_BIN, ...expandGlobs(example.args, cwd)], {
      cwd,
      encoding: 'utf8',
      timeout: 300_000,
    });
    t.is(r.status, example.status, `${example.line}\n${r.stderr}`);
  }
});
