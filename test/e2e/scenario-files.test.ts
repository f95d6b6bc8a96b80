// User scenario files through the real CLI: `pmfit run ./s.ts` (TS scenarios and native specs, in
// .ts, .js and .mjs), their replay commands, one-line validation errors, and `pmfit init`.
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import type { Report } from '../../core/api.js';
import { REPO, pmfit, tempDir } from '../helpers.js';

const FIXTURES = join(REPO, 'test', 'fixtures', 'scenario-files');

/** A user's TS scenario on the Pool API: data then its flag; `buggy` publishes the flag first. */
function flagScenario(name: string, buggy: boolean): string {
  return `import type { Pool, TsScenario } from 'pmfit';
import { DATA, FLAG, VALUE } from './layout.js';

const scenario: TsScenario = {
  name: '${name}',
  description: 'data then its flag',
  poolSize: 4096,
  oracle: 'exit',
  models: ['eadr', 'adr'],
  run(pool: Pool) {
    pool.writeU64(DATA, VALUE);
    ${buggy ? '' : 'pool.persist(DATA, 8);'}
    pool.writeU64(FLAG, 1);
    pool.persist(FLAG, 8);
  },
  check(pool: Pool) {
    const flag = pool.readU64(FLAG);
    const data = pool.readU64(DATA);
    if (flag === 1n && data !== VALUE) return { output: \`flag 1 data \${data}\`, passed: false, detail: 'flag set before its data' };
    return \`flag \${flag} data \${data}\`;
  },
};
export default scenario;
`;
}

/** The helper the TS scenarios import as './layout.js': a .ts file, transpiled too. */
const LAYOUT = `export const FLAG: number = 0;\nexport const DATA: number = 64;\nexport const VALUE: bigint = 42n;\n`;

function write(dir: string, name: string, text: string): string {
  writeFileSync(join(dir, name), text);
  return join(dir, name);
}

function jsonRun(
  dir: string,
  args: string[],
  cwd?: string,
): { status: number | null; stderr: string; stdout: string; report?: Report } {
  const path = join(dir, `r-${Math.random().toString(36).slice(2)}.json`);
  const r = pmfit(['run', ...args, '--report', `json=${path}`], cwd ? { cwd } : {});
  return { ...r, ...(existsSync(path) ? { report: JSON.parse(readFileSync(path, 'utf8')) as Report } : {}) };
}

test('a correct TS scenario file runs clean, importing pmfit types and a .ts helper', (t) => {
  const dir = tempDir(t);
  write(dir, 'layout.ts', LAYOUT);
  write(dir, 'good.ts', flagScenario('user-flag-data', false));
  const r = jsonRun(dir, ['./good.ts', '--quiet'], dir);
  t.is(r.status, 0, r.stderr);
  t.deepEqual(
    r.report!.results.map((x) => [x.scenario, x.model, x.summary.verdict]),
    [
      ['user-flag-data', 'eadr', 'consistent'],
      ['user-flag-data', 'adr', 'consistent'],
    ],
  );
});

test('a buggy TS scenario file gives a finding at its .ts lines and a replay command that works', (t) => {
  const dir = tempDir(t);
  write(dir, 'layout.ts', LAYOUT);
  write(dir, 'bad.ts', flagScenario('user-flag-data-buggy', true));
  const r = jsonRun(dir, ['./bad.ts'], dir);
  t.is(r.status, 1, r.stderr);
  const finding = r.report!.findings[0]!;
  t.is(finding.class, 'missing-flush');
  t.is(finding.scenario, 'user-flag-data-buggy');
  t.regex(
    finding.lostStores[0]!.site ?? '',
    /bad\.ts:11:\d+$/,
    "the call site is the user's .ts line, through the source map",
  );
  const replay = /replay: pmfit replay '([^']+)' --scenario \.\/bad\.ts$/m.exec(r.stdout);
  t.truthy(replay, r.stdout);
  const again = pmfit(['replay', replay![1]!, '--scenario', './bad.ts'], { cwd: dir });
  t.is(again.status, 1, again.stderr);
  t.regex(again.stdout, /verdict: inconsistent — flag set before its data/);
  // A saved failure of a .ts file replays after the run's temporary transpilation is gone.
  t.is(pmfit(['run', './bad.ts', '--model', 'adr', '--quiet', '--save-failures', 'failures'], { cwd: dir }).status, 1);
  const [saved] = readdirSync(join(dir, 'failures'));
  const replayed = pmfit(['replay', join('failures', saved!)], { cwd: dir });
  t.is(replayed.status, 1, replayed.stdout + replayed.stderr);
  t.regex(replayed.stdout, /the failure reproduces/);
});

test('a .js scenario file (named export `scenario`) runs', (t) => {
  const dir = tempDir(t);
  const r = jsonRun(dir, [join(FIXTURES, 'flag-data.js'), '--quiet']);
  t.is(r.status, 0, r.stderr);
  t.deepEqual(
    r.report!.results.map((x) => x.scenario),
    ['js-flag-data', 'js-flag-data'],
  );
});

test('a native spec file runs the C program through the tracer: missing-flush, and its replay works', (t) => {
  const dir = tempDir(t);
  const file = join(FIXTURES, 'flag-data-buggy.native.mjs');
  const r = jsonRun(dir, [file, '--quiet', '--strategy', 'strict']);
  t.is(r.status, 1, r.stderr);
  t.is(r.report!.findings[0]!.class, 'missing-flush');
  t.is(r.report!.findings[0]!.scenario, 'file-flag-data-buggy');
  const id = /^pmfit replay '([^']+)' --scenario (\S+)$/.exec(r.report!.findings[0]!.replayCommand);
  t.truthy(id, r.report!.findings[0]!.replayCommand);
  t.is(id![2], file);
  const again = pmfit(['replay', id![1]!, '--scenario', file]);
  t.is(again.status, 1, again.stderr);
  t.regex(again.stdout, /verdict: inconsistent/);
});

test('a native spec starts from a copy of its pool file (never modified), paths relative to the file and {dir}', (t) => {
  const dir = tempDir(t);
  const sub = join(dir, 'sub');
  mkdirSync(sub);
  copyFileSync(join(REPO, 'build', 'scenarios', 'flag-data'), join(sub, 'prog'));
  chmodSync(join(sub, 'prog'), 0o755);
  const pool = write(sub, 'start.pool', '');
  writeFileSync(pool, Buffer.alloc(4096));
  t.is(spawnSync(join(sub, 'prog'), ['init', pool], { env: { ...process.env, PMEM_IS_PMEM_FORCE: '1' } }).status, 0);
  const before = readFileSync(pool);
  write(
    sub,
    'spec.mjs',
    "export const scenario = { kind: 'native', name: 'from-pool', pool: './start.pool', program: './prog', args: ['run', '{pool}'], check: '{dir}/prog check {pool}', oracle: 'exit' };\n",
  );
  const r = jsonRun(dir, ['sub/spec.mjs', '--quiet'], dir);
  t.is(r.status, 0, r.stderr);
  t.deepEqual(
    r.report!.results.map((x) => [x.scenario, x.model, x.summary.verdict]),
    [['from-pool', 'adr', 'consistent']],
  );
  t.true(readFileSync(pool).equals(before), 'the pool file is untouched');
});

// Each bad file: the file's text, and the one line pmfit must print (exit 2).
const GOOD_FIELDS = `name: 's', description: 'd', poolSize: 4096, oracle: 'exit', run() {}, check() { return 'ok'; }`;
const NATIVE_FIELDS = `kind: 'native', name: 'n', poolSize: 4096, program: '/bin/true', args: [], oracle: 'exit'`;
for (const [what, text, message] of [
  [
    'a missing field',
    `export default { name: 's', description: 'd', poolSize: 4096, oracle: 'exit', check() { return 'ok'; } };`,
    /^pmfit: \.\/s\.ts: field 'run' is missing: expected a function$/,
  ],
  [
    'a field of the wrong type',
    `export default { ${GOOD_FIELDS.replace("name: 's'", 'name: 7')} };`,
    /^pmfit: \.\/s\.ts: field 'name' must be a non-empty string, got 7$/,
  ],
  [
    'a bad poolSize',
    `export default { ${GOOD_FIELDS.replace('4096', '100')} };`,
    /^pmfit: \.\/s\.ts: field 'poolSize' must be a positive multiple of 64, got 100$/,
  ],
  [
    'an unknown oracle',
    `export default { ${GOOD_FIELDS.replace("'exit'", "'always'")} };`,
    /^pmfit: \.\/s\.ts: field 'oracle' must be one of exit, atomic, ops, collate, got "always"$/,
  ],
  [
    'a syntax error',
    `export default {\n  name: 's',\n  poolSize: 4096 4096,\n};`,
    /^pmfit: \.\/s\.ts:3:18: syntax error: ',' expected\.$/,
  ],
  [
    'no scenario export',
    `export const other = 1;`,
    /^pmfit: \.\/s\.ts: exports no scenario: expected a default export or an export named 'scenario'$/,
  ],
  [
    'a value import from pmfit',
    `import { Pool } from 'pmfit';\nexport default { ${GOOD_FIELDS}, setup: () => Pool };`,
    /^pmfit: \.\/s\.ts: imports a value from 'pmfit': .*import type/,
  ],
  [
    'a native spec without check',
    `export default { ${NATIVE_FIELDS} };`,
    /^pmfit: \.\/s\.ts: field 'check' is missing: expected a non-empty string$/,
  ],
  [
    'a native spec naming a missing program',
    `export default { ${NATIVE_FIELDS.replace('/bin/true', './no-such-program')}, check: 'true' };`,
    /^pmfit: \.\/s\.ts: field 'program' must be an existing program .*, got "\.\/no-such-program"$/,
  ],
  [
    'a native spec with a misspelt field',
    `export default { ${NATIVE_FIELDS}, chek: 'true' };`,
    /^pmfit: \.\/s\.ts: field 'chek' is not a native spec field/,
  ],
  [
    'a native spec with both pool and poolSize',
    `export default { ${NATIVE_FIELDS}, pool: './p', check: 'true' };`,
    /^pmfit: \.\/s\.ts: give exactly one of field 'pool' .* and field 'poolSize'/,
  ],
  [
    'an unknown kind',
    `export default { ${GOOD_FIELDS}, kind: 'natve' };`,
    /^pmfit: \.\/s\.ts: field 'kind' must be 'native' \(or absent for a TS scenario\), got "natve"$/,
  ],
] as const) {
  test(`a scenario file with ${what} exits 2 with one line naming the file`, (t) => {
    const dir = tempDir(t);
    write(dir, 's.ts', text);
    const r = pmfit(['run', './s.ts'], { cwd: dir });
    t.is(r.status, 2, r.stdout);
    t.is(r.stderr.trimEnd().split('\n').length, 1, r.stderr);
    t.regex(r.stderr.trimEnd(), message);
  });
}

test('a missing scenario file exits 2 naming it, for run and for replay', (t) => {
  const dir = tempDir(t);
  const run = pmfit(['run', './nope.ts'], { cwd: dir });
  t.is(run.status, 2);
  t.is(run.stderr, 'pmfit: ./nope.ts: no such scenario file\n');
  const replay = pmfit(['replay', 'adr@1', '--scenario', './nope.ts'], { cwd: dir });
  t.is(replay.status, 2);
  t.is(replay.stderr, 'pmfit: ./nope.ts: no such scenario file\n');
});

test('a .js file with a syntax error names the file and line', (t) => {
  const dir = tempDir(t);
  write(dir, 's.mjs', 'export default {\n  name: "s",\n  poolSize: 4096 4096,\n};\n');
  const r = pmfit(['run', './s.mjs'], { cwd: dir });
  t.is(r.status, 2);
  t.regex(r.stderr, /^pmfit: \.\/s\.mjs:3:18: syntax error: ',' expected\.\n$/);
});

test("pmfit init writes a starter that runs clean and type-checks against pmfit's types; it never overwrites", (t) => {
  const dir = tempDir(t);
  const init = pmfit(['init'], { cwd: dir });
  t.is(init.status, 0, init.stderr);
  t.is(init.stdout, 'wrote ./pmfit-scenario.ts: crash-test it with: pmfit run ./pmfit-scenario.ts\n');
  const file = join(dir, 'pmfit-scenario.ts');
  const text = readFileSync(file, 'utf8');
  for (const word of ['oracle', 'models', 'setup', 'run', 'check', "'atomic'", "'collate'", "'eadr'", "'adr'"])
    t.true(text.includes(word), word);
  const run = pmfit(['run', './pmfit-scenario.ts'], { cwd: dir });
  t.is(run.status, 0, run.stderr + run.stdout);
  t.regex(run.stdout, /log: \[0, 1, 2\]/);

  // Type-checked as a user's editor would, with 'pmfit' mapped to pmfit's contract module.
  const program = ts.createProgram([file], {
    strict: true,
    noEmit: true,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    types: ['node'],
    typeRoots: [join(REPO, 'node_modules', '@types')],
    skipLibCheck: true,
    baseUrl: dir,
    paths: { pmfit: [join(REPO, 'core', 'api.ts')] },
  });
  const errors = ts
    .getPreEmitDiagnostics(program)
    .filter((d) => d.file?.fileName === file)
    .map((d) => ts.flattenDiagnosticMessageText(d.messageText, ' '));
  t.deepEqual(errors, []);

  // The starter, made buggy as its comment says, is caught.
  write(dir, 'buggy.ts', text.replace(/^\s*pool\.persist\(at, 8\);.*$/m, ''));
  const buggy = pmfit(['run', './buggy.ts', '--model', 'adr'], { cwd: dir });
  t.is(buggy.status, 1, buggy.stderr);
  t.regex(buggy.stdout, /FINDING \[missing-flush\] append-log/);

  const again = pmfit(['init'], { cwd: dir });
  t.is(again.status, 2);
  t.is(
    again.stderr,
    'pmfit: init ./pmfit-scenario.ts: the file already exists; pmfit never overwrites a file: name a new one\n',
  );
  t.is(readFileSync(file, 'utf8'), text, 'the existing file is untouched');
});

test("pmfit init --native writes a native spec that validates and runs pmfit's C example", (t) => {
  const dir = tempDir(t);
  const init = pmfit(['init', 'native-scenario.ts', '--native'], { cwd: dir });
  t.is(init.status, 0, init.stderr);
  const text = readFileSync(join(dir, 'native-scenario.ts'), 'utf8');
  t.regex(text, /kind: 'native'/);
  t.regex(text, /const PROGRAM = "\.\.\/.*build\/scenarios\/flag-data";/, 'relative to the file');
  const r = jsonRun(dir, ['./native-scenario.ts', '--quiet'], dir);
  t.is(r.status, 0, r.stderr);
  t.deepEqual(
    r.report!.results.map((x) => [x.scenario, x.model, x.summary.verdict]),
    [['flag-data', 'adr', 'consistent']],
  );
});

test('pmfit init refuses a file that is not .ts and a missing directory', (t) => {
  const dir = tempDir(t);
  t.is(pmfit(['init', 's.js'], { cwd: dir }).status, 2);
  const r = pmfit(['init', 'no/such/dir/s.ts'], { cwd: dir });
  t.is(r.status, 2);
  t.regex(r.stderr, /^pmfit: init no\/such\/dir\/s\.ts: directory .* does not exist\n$/);
});
