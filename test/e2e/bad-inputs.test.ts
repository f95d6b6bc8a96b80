// Every bad input is one line on stderr and exit 2: no stack trace, no temporary file left behind
// (each case runs with a private PMFIT_TMPDIR), and every file of the user's untouched (sha256 of
// every file in the working directory before and after). docs/bad-inputs.md lists these cases.
import test from 'ava';
import { execFile, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  readFileSync,
  readdirSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FILE_PREAMBLE_BYTES, RECORD_HEAD_BYTES, TRACE_FORMAT_VERSION, TRACE_MAGIC } from '../../core/trace/format.js';
import { PMFIT_BIN, REPO, tempDir } from '../helpers.js';

const PROGRAM = join(REPO, 'build', 'scenarios', 'flag-data');
const AS_ROOT = process.getuid?.() === 0;

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** At most this many pmfit processes of this file at once: 68 at a time would only thrash the machine. */
const AT_ONCE = 4;
let running = 0;
const waiting: Array<() => void> = [];

async function slot<T>(work: () => Promise<T>): Promise<T> {
  if (running >= AT_ONCE) await new Promise<void>((resolve) => waiting.push(resolve));
  running++;
  try {
    return await work();
  } finally {
    running--;
    waiting.shift()?.();
  }
}

/** Runs pmfit in `cwd` (asynchronously, so the cases of this file run side by side). */
function run(args: string[], cwd: string, env: Record<string, string>, asNobody = false): Promise<Run> {
  const node = [PMFIT_BIN, ...args];
  // Root reads and writes anything: permission cases run as nobody (uid 65534).
  const [command, argv] =
    asNobody && AS_ROOT
      ? ['setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, ...node]]
      : [process.execPath, node];
  const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env };
  // c8's coverage directory is not writable by nobody (node would say so on stderr), and node puts
  // NODE_V8_COVERAGE back into a child's environment when it is removed: point it elsewhere.
  let elsewhere: string | undefined;
  if (asNobody && childEnv.NODE_V8_COVERAGE) {
    elsewhere = mkdtempSync(join(tmpdir(), 'pmfit-coverage-'));
    chmodSync(elsewhere, 0o777);
    childEnv.NODE_V8_COVERAGE = elsewhere;
  }
  return slot(
    () =>
      new Promise((resolve) => {
        execFile(
          command as string,
          argv as string[],
          { cwd, env: childEnv, timeout: 600_000, maxBuffer: 16 << 20 },
          (err, stdout, stderr) => {
            if (elsewhere) rmSync(elsewhere, { recursive: true, force: true });
            const code = err ? ((err as { code?: unknown }).code as number | undefined) : 0;
            resolve({ status: typeof code === 'number' ? code : null, stdout, stderr });
          },
        );
      }),
  );
}

/** sha256 of every regular file under `dir`, by relative path. */
function snapshot(dir: string, prefix = ''): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    const stat = statSync(path, { throwIfNoEntry: false });
    if (!stat) continue;
    if (stat.isDirectory()) Object.assign(out, snapshot(path, `${prefix}${name}/`));
    else if (stat.isFile()) out[`${prefix}${name}`] = createHash('sha256').update(readFileSync(path)).digest('hex');
  }
  return out;
}

/** The user's files every case starts with. */
function userFiles(dir: string): void {
  writeFileSync(join(dir, 'victim.pool'), Buffer.alloc(4096, 0xa5));
  writeFileSync(join(dir, 'notes.txt'), 'my notes\n');
  writeFileSync(join(dir, 'mine.json'), '{"tool":{"name":"not pmfit"}}\n');
  mkdirSync(join(dir, 'adir'));
}

/** A trace preamble and header, then raw bytes. */
function traceBytes(header: string, headerLen = Buffer.byteLength(header), records: Buffer = Buffer.alloc(0)): Buffer {
  const pre = Buffer.alloc(FILE_PREAMBLE_BYTES);
  pre.write(TRACE_MAGIC, 0, 'latin1');
  pre.writeUInt32LE(TRACE_FORMAT_VERSION, 8);
  pre.writeUInt32LE(headerLen, 12);
  return Buffer.concat([pre, Buffer.from(header), records]);
}

const HEADER = JSON.stringify({ formatVersion: TRACE_FORMAT_VERSION, source: 'native', program: ['x'], pools: [] });

function recordHead(len: number): Buffer {
  const head = Buffer.alloc(RECORD_HEAD_BYTES);
  head.writeUInt8(3, 0); // a fence
  head.writeUInt32LE(len, 4);
  return head;
}

const native = (...extra: string[]) => [
  'check',
  '--pool',
  'victim.pool',
  '--check',
  `${PROGRAM} check {pool}`,
  ...extra,
  '--',
  PROGRAM,
  'run',
  '{pool}',
];

interface Case {
  what: string;
  args: string[];
  message: RegExp;
  setup?(dir: string): void;
  /** Runs as an unprivileged user (permission cases). */
  asNobody?: boolean;
  /** More environment for the run. */
  env?: Record<string, string>;
}

/** Shard reports of a real run, made once (see test.before). */
let shards = '';

const CASES: Case[] = [
  // numbers, every numeric option
  { what: '-j 500', args: ['run', 'basic', '-j', '500'], message: /--jobs 500 is above \d+ \(4× this machine/ },
  { what: '--jobs 0', args: ['run', 'basic', '--jobs', '0'], message: /--jobs must be a whole number from 1/ },
  {
    what: '--jobs -1',
    args: ['run', 'basic', '--jobs', '-1'],
    message: /--jobs must be a whole number from 1, got -1/,
  },
  {
    what: '--jobs abc',
    args: ['run', 'basic', '--jobs', 'abc'],
    message: /--jobs must be a whole number from 1, got NaN/,
  },
  { what: '--timeout 0', args: ['run', 'basic', '--timeout', '0'], message: /--timeout must be a whole number/ },
  { what: '--timeout -5', args: ['run', 'basic', '--timeout', '-5'], message: /--timeout must be a whole number/ },
  {
    what: '--timeout 2^31',
    args: ['run', 'basic', '--timeout', '2147483648'],
    message: /--timeout 2147483648 is above 2147483647/,
  },
  { what: '--timeout NaN', args: ['run', 'basic', '--timeout', 'NaN'], message: /--timeout must be a whole number/ },
  { what: '--samples 0', args: ['run', 'basic', '--samples', '0'], message: /--samples must be a whole number/ },
  { what: '--samples 1.5', args: ['run', 'basic', '--samples', '1.5'], message: /--samples must be a whole number/ },
  {
    what: '--max-states -1',
    args: ['run', 'basic', '--max-states', '-1'],
    message: /--max-states must be a whole number/,
  },
  { what: '--size 1e15', args: native('--size', '1e15'), message: /--size 1000000000000000 is above/ },
  { what: '--size -4096', args: native('--size', '-4096'), message: /--size must be a whole number/ },
  { what: '--size 0', args: native('--size', '0'), message: /--size must be a whole number/ },
  {
    what: '--user-code with a comma',
    args: native('--user-code', '/a/*,/b/*'),
    message: /--user-code \/a\/\*,\/b\/\*: the tracer cannot take a glob with a comma/,
  },
  { what: '--user-code empty', args: native('--user-code', ''), message: /--user-code needs a glob/ },
  { what: '--forks both', args: native('--forks', 'both'), message: /Invalid values: Argument: forks, Given: "both"/ },
  {
    what: 'run --user-code with a comma',
    args: ['run', 'native/fence-flag', '--user-code', 'a,b'],
    message: /--user-code a,b: the tracer cannot take a glob with a comma/,
  },
  {
    what: 'icount --timeout 0',
    args: ['icount', '--pool', 'victim.pool', '--timeout', '0', '--', PROGRAM],
    message: /--timeout/,
  },
  { what: 'allcounts -j 500', args: ['allcounts', ...native('-j', '500').slice(1)], message: /--jobs 500 is above/ },
  {
    what: 'replay --timeout -1',
    args: ['replay', 'adr@1', '--scenario', 'basic', '--timeout', '-1'],
    message: /--timeout must be a whole number/,
  },
  { what: '--shard 3/2', args: ['run', 'basic', '--shard', '3/2'], message: /--shard expects K\/N/ },
  {
    what: '--lint some',
    args: ['run', 'basic', '--lint', 'some'],
    message: /Invalid values: Argument: lint, Given: "some"/,
  },
  {
    what: 'PMFIT_PROGRESS_INTERVAL_MS=10s',
    args: ['run', 'basic'],
    env: { PMFIT_PROGRESS_INTERVAL_MS: '10s' },
    message: /PMFIT_PROGRESS_INTERVAL_MS must be a whole number of ms from 1 to 2147483647, got '10s'/,
  },
  // options given twice
  { what: '--pool twice', args: native('--pool', 'other.pool'), message: /--pool given 2 times/ },
  { what: '--check twice', args: native('--check', 'true {pool}'), message: /--check given 2 times/ },
  { what: '--seed twice', args: ['run', 'basic', '--seed', '1', '--seed', '2'], message: /--seed given 2 times/ },
  // no silent pass
  {
    what: '--check true',
    args: ['check', '--pool', 'victim.pool', '--check', 'true', '--', PROGRAM, 'run', '{pool}'],
    message: /--check 'true' does not mention \{pool\}.*--check-reads-env/,
  },
  {
    what: "--check ''",
    args: ['check', '--pool', 'victim.pool', '--check', '', '--', PROGRAM, 'run', '{pool}'],
    message: /--check is empty/,
  },
  {
    what: 'allcounts --check true',
    args: ['allcounts', '--pool', 'victim.pool', '--check', 'true', '--', PROGRAM, 'run', '{pool}'],
    message: /does not mention \{pool\}/,
  },
  // the user's files are never written
  {
    what: '--report json=victim.pool (check)',
    args: native('--report', 'json=victim.pool'),
    message: /--report victim\.pool is the pool/,
  },
  {
    what: '--report json=victim.pool (run)',
    args: ['run', 'basic', '--report', 'json=victim.pool'],
    message: /json=victim\.pool already exists and is not a pmfit json report/,
  },
  {
    what: '--report text=notes.txt',
    args: ['run', 'basic', '--report', 'text=notes.txt'],
    message: /is not a pmfit text report/,
  },
  {
    what: '--report json=mine.json (JSON, not pmfit)',
    args: ['run', 'basic', '--report', 'json=mine.json'],
    message: /is not a pmfit json report/,
  },
  {
    what: '--report html=shard1.json (a pmfit report of another kind)',
    setup: (dir) => writeFileSync(join(dir, 'shard1.json'), readFileSync(join(shards, 's1.json'))),
    args: ['run', 'basic', '--report', 'html=shard1.json'],
    message: /is not a pmfit html report/,
  },
  {
    what: '--report json=new.pool where the new pool starts zeroed',
    args: ['check', '--pool', 'new.pool', '--size', '4096', ...native('--report', 'json=new.pool').slice(3)],
    message: /--report new\.pool is the pool/,
  },
  {
    what: '--report json=PROGRAM',
    args: native('--report', `json=${PROGRAM}`),
    message: /is the traced program/,
  },
  { what: '--report json=adir', args: ['run', 'basic', '--report', 'json=adir'], message: /adir is a directory/ },
  {
    what: '--report to a missing directory',
    args: ['run', 'basic', '--report', 'json=nodir/r.json'],
    message: /directory .*nodir does not exist/,
  },
  {
    what: '--report to a symbolic link',
    setup: (dir) => symlinkSync(join(dir, 'notes.txt'), join(dir, 'link.json')),
    args: ['run', 'basic', '--report', 'json=link.json'],
    message: /is a symbolic link/,
  },
  {
    what: 'two reports to one path',
    args: ['run', 'basic', '--report', 'json=r.out', '--report', 'text=r.out'],
    message: /already the path of another report/,
  },
  {
    what: '--report in an unwritable directory',
    setup: (dir) => mkdirSync(join(dir, 'ro'), { mode: AS_ROOT ? 0o755 : 0o555 }),
    args: ['run', 'basic', '--report', 'json=ro/r.json'],
    message: /directory .*ro is not writable/,
    asNobody: true,
  },
  {
    what: '--save-failures victim.pool',
    args: ['run', 'basic', '--save-failures', 'victim.pool'],
    message: /--save-failures victim\.pool is not a directory/,
  },
  { what: '--save-trace victim.pool', args: native('--save-trace', 'victim.pool'), message: /is the pool/ },
  { what: '--save-trace notes.txt', args: native('--save-trace', 'notes.txt'), message: /notes\.txt already exists/ },
  { what: '--runs 0', args: native('--runs', '0'), message: /--runs must be a whole number from 1, got 0/ },
  {
    what: '--runs 2 --save-trace t.pmtrace',
    args: native('--runs', '2', '--save-trace', 't.pmtrace'),
    message: /--save-trace keeps one trace: give it without --runs/,
  },
  {
    what: '--replay --out victim.pool',
    args: native('--replay', 'adr@1', '--out', 'victim.pool'),
    message: /--out victim\.pool is the pool/,
  },
  // native targets
  {
    what: 'check without a program',
    args: ['check', '--pool', 'victim.pool', '--check', 'x {pool}'],
    message: /name the program/,
  },
  { what: '--to without --from', args: native('--to', 'main'), message: /--to needs --from/ },
  {
    what: '--from a function the program does not have',
    args: native('--from', 'mian'),
    message: /--from mian: .* has no function of that name \(nearest: main/,
  },
  {
    what: '--ops-between a function the program does not have',
    args: native('--oracle', 'ops', '--ops-between', 'mian'),
    message: /--ops-between mian: .* has no function of that name \(nearest: main/,
  },
  {
    what: '--ops-between without --oracle ops',
    args: native('--ops-between', 'main'),
    message: /--ops-between needs --oracle ops/,
  },
  {
    what: '--ops-between with a comma',
    args: native('--oracle', 'ops', '--ops-between', 'insert,remove'),
    message: /--ops-between insert,remove: the tracer cannot take a name with a comma/,
  },
  { what: "--init ''", args: native('--init', ''), message: /--init is empty/ },
  {
    what: '--pool a directory',
    args: ['check', ...native().slice(1)].map((a) => (a === 'victim.pool' ? 'adir' : a)),
    message: /--pool adir is not a regular file/,
  },
  {
    what: 'an unreadable pool (EACCES)',
    setup: (dir) => {
      writeFileSync(join(dir, 'secret.pool'), Buffer.alloc(4096));
      chmodSync(join(dir, 'secret.pool'), AS_ROOT ? 0o600 : 0o000);
    },
    args: native().map((a) => (a === 'victim.pool' ? 'secret.pool' : a)),
    message: /--pool secret\.pool is not readable by this user/,
    asNobody: true,
  },
  // scenario files
  {
    what: 'a scenario whose run throws',
    setup: (dir) =>
      writeFileSync(
        join(dir, 'throws.ts'),
        scenarioFile('run(pool) { pool.writeU64(0, 1n); throw new Error("boom"); }', 'return "x";'),
      ),
    args: ['run', './throws.ts'],
    message: /throws\.ts: setup\(\) or run\(\) threw while recording: boom/,
  },
  {
    what: 'a scenario whose check returns undefined',
    setup: (dir) =>
      writeFileSync(join(dir, 'undef.ts'), scenarioFile('run(pool) { pool.writeU64(0, 1n); }', 'return undefined;')),
    args: ['run', './undef.ts'],
    message: /undef\.ts: check\(\) returned undefined/,
  },
  // init
  { what: 'init /proc/x.ts', args: ['init', '/proc/x.ts'], message: /init \/proc\/x\.ts: cannot create the file/ },
  { what: 'init notes.txt', args: ['init', 'notes.txt'], message: /a starter scenario is TypeScript/ },
  {
    what: 'init over an existing file',
    setup: (dir) => writeFileSync(join(dir, 'mine.ts'), '// mine\n'),
    args: ['init', 'mine.ts'],
    message: /already exists/,
  },
  // trace dump of untrusted files
  {
    what: 'trace dump: null header',
    setup: (dir) => writeFileSync(join(dir, 't.trace'), traceBytes('null')),
    args: ['trace', 'dump', 't.trace'],
    message: /t\.trace: not a readable pmfit trace/,
  },
  {
    what: 'trace dump: no pools',
    setup: (dir) => writeFileSync(join(dir, 't.trace'), traceBytes('{"formatVersion":1}')),
    args: ['trace', 'dump', 't.trace'],
    message: /its header has no pools list/,
  },
  {
    what: 'trace dump: huge header length',
    setup: (dir) => writeFileSync(join(dir, 't.trace'), traceBytes(HEADER, 0xffffffff)),
    args: ['trace', 'dump', 't.trace'],
    message: /header of 4294967295 bytes in a file of/,
  },
  {
    what: 'trace dump: huge record',
    setup: (dir) => writeFileSync(join(dir, 't.trace'), traceBytes(HEADER, undefined, recordHead(0xfffffff0))),
    args: ['trace', 'dump', 't.trace'],
    message: /claims 4294967280 bytes, past the end of the file/,
  },
  {
    what: 'trace dump: truncated record head',
    setup: (dir) => writeFileSync(join(dir, 't.trace'), traceBytes(HEADER, undefined, recordHead(0).subarray(0, 10))),
    args: ['trace', 'dump', 't.trace'],
    message: /truncated record head/,
  },
  {
    what: 'trace dump: empty file',
    setup: (dir) => writeFileSync(join(dir, 't.trace'), ''),
    args: ['trace', 'dump', 't.trace'],
    message: /shorter than its preamble/,
  },
  { what: 'trace dump: a directory', args: ['trace', 'dump', 'adir'], message: /is a directory/ },
  {
    what: 'trace dump: a FIFO (must not block)',
    setup: (dir) => spawnSync('mkfifo', [join(dir, 'fifo')]),
    args: ['trace', 'dump', 'fifo'],
    message: /is not a regular file/,
  },
  // merge of untrusted shard reports
  {
    what: 'merge: missing summary',
    setup: (dir) => writeShard(dir, 'bad.json', (r) => delete r.summary),
    args: ['merge', 'bad.json', 's2.json'],
    message: /bad\.json: summary must be an object, got undefined/,
  },
  {
    what: 'merge: null images',
    setup: (dir) => writeShard(dir, 'bad.json', (r) => (r.results[0].log.images = null)),
    args: ['merge', 'bad.json', 's2.json'],
    message: /results\[0\]\.log\.images must be an object, got null/,
  },
  {
    what: 'merge: wrong types',
    setup: (dir) => writeShard(dir, 'bad.json', (r) => (r.results[0].log.points = 'x')),
    args: ['merge', 'bad.json', 's2.json'],
    message: /results\[0\]\.log\.points must be an array, got string/,
  },
  {
    what: 'merge: shards of different runs',
    setup: (dir) =>
      writeShard(dir, 'other.json', (r) => (r.results[0].log.reference = { after: 'another trace' }), 's2'),
    args: ['merge', 's1.json', 'other.json'],
    message: /come from different runs or traces/,
  },
  {
    what: 'merge: shards of traces of different lengths',
    setup: (dir) => writeShard(dir, 'short.json', (r) => r.results[0].log.points.splice(1, 1), 's2'),
    args: ['merge', 's1.json', 'short.json'],
    message: /crash point \d+ of basic \(eadr\) is in no shard/,
  },
  {
    what: 'merge: not JSON',
    args: ['merge', 'notes.txt'],
    message: /notes\.txt is not a pmfit JSON report/,
  },
  { what: 'merge: JSON but not pmfit', args: ['merge', 'mine.json'], message: /mine\.json is not a pmfit JSON report/ },
  {
    what: 'merge --report json=POOL',
    args: ['merge', 's1.json', 's2.json', '--report', 'json=victim.pool'],
    message: /json=victim\.pool already exists and is not a pmfit json report/,
  },
  {
    what: 'merge --report over a shard being merged',
    args: ['merge', 's1.json', 's2.json', '--report', 'json=s1.json'],
    message: /--report s1\.json is a shard report being merged/,
  },
];

function scenarioFile(run: string, check: string): string {
  return `const scenario = { name: 'user', description: 'a user scenario', poolSize: 4096, oracle: 'exit', models: ['eadr'],
  ${run},
  check(pool) { ${check} },
};
export default scenario;
`;
}

/** A copy of a real shard report (s1 or s2) with one change. */
// biome-ignore lint/suspicious/noExplicitAny: the test edits untyped JSON on purpose
function writeShard(dir: string, name: string, change: (report: any) => unknown, from = 's1'): void {
  const report = JSON.parse(readFileSync(join(shards, `${from}.json`), 'utf8'));
  change(report);
  writeFileSync(join(dir, name), JSON.stringify(report));
}

test.before(async () => {
  shards = mkdtempSync(join(tmpdir(), 'pmfit-shards-'));
  for (const k of [1, 2]) {
    const r = await run(['run', 'basic', '--shard', `${k}/2`, '--quiet', '--report', `json=s${k}.json`], shards, {});
    if (r.status !== 0) throw new Error(`making shard ${k}: ${r.stderr}`);
  }
});

test.after.always(() => rmSync(shards, { recursive: true, force: true }));

for (const c of CASES) {
  test(`bad input → one line, exit 2: ${c.what}`, async (t) => {
    const work = tempDir(t);
    const tmp = join(work, '.tmp');
    mkdirSync(tmp);
    userFiles(work);
    for (const name of ['s1.json', 's2.json']) writeFileSync(join(work, name), readFileSync(join(shards, name)));
    c.setup?.(work);
    if (c.asNobody && AS_ROOT) {
      chmodSync(work, 0o755);
      chmodSync(tmp, 0o777);
    }
    const before = snapshot(work);
    const r = await run(c.args, work, { PMFIT_TMPDIR: tmp, ...c.env }, c.asNobody);
    t.is(r.status, 2, `exit status; stderr: ${r.stderr}`);
    t.regex(r.stderr, c.message);
    t.is(r.stderr.trimEnd().split('\n').length, 1, `one line: ${r.stderr}`);
    t.regex(r.stderr, /^pmfit: /);
    t.notRegex(r.stderr, /\n\s+at |internal error/, 'no stack trace');
    t.deepEqual(readdirSync(tmp), [], 'no temporary files left');
    t.deepEqual(snapshot(work), before, "the user's files are unchanged");
  });
}

test('at least 40 distinct bad inputs are covered', (t) => {
  t.true(new Set(CASES.map((c) => c.what)).size >= 40);
});
