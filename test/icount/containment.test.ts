// The traced program may misbehave in ways a pmem program should not; pmfit never reports a false
// "consistent" and never crashes on them: a fork (the parent is traced, the children noted), a
// second thread on the pool (traced with the first), a pool copy never mapped or mapped read-only (refused, naming
// the files the program opened), and a program that never ends (killed at --trace-timeout or on
// Ctrl-C, with everything it started).
import test, { type ExecutionContext } from 'ava';
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Report } from '../../core/api.js';
import { type CliResult, PMFIT_BIN, REPO, tempDir } from '../helpers.js';

const prog = (name: string) => join(REPO, 'build', 'test-programs', name);

/**
 * The pmfit CLI as a child process, without blocking the test worker (each run traces a program
 * under QEMU: seconds on a loaded machine, and ava must hear of every test that ends).
 */
function pmfit(args: string[], options: { env?: Record<string, string> } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [PMFIT_BIN, ...args], {
      cwd: REPO,
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => {
      stdout += b.toString();
    });
    child.stderr.on('data', (b: Buffer) => {
      stderr += b.toString();
    });
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

test.before(() => {
  execFileSync('make', ['-s', '-f', 'icount/icount.mk', 'tracer'], { cwd: REPO, stdio: 'pipe' });
});

/** `pmfit icount` of a program on a new 4 KiB pool. */
function icount(dir: string, args: string[], extra: string[] = []): Promise<CliResult> {
  return pmfit(['icount', '--json', '--pool', join(dir, 'p.pool'), '--size', '4096', ...extra, '--', ...args]);
}

/** `pmfit check` of a program on a new 4 KiB pool, with its JSON report when there is one. */
async function check(dir: string, args: string[], extra: string[] = []) {
  const report = join(dir, `r-${Math.random().toString(36).slice(2)}.json`);
  const r = await pmfit([
    'check',
    '--pool',
    join(dir, 'p.pool'),
    '--size',
    '4096',
    '--check',
    'test -f {pool}',
    '--quiet',
    '--report',
    `json=${report}`,
    ...extra,
    '--',
    ...args,
  ]);
  let parsed: Report | undefined;
  try {
    parsed = JSON.parse(readFileSync(report, 'utf8')) as Report;
  } catch {
    parsed = undefined;
  }
  return { ...r, report: parsed };
}

/** Exit 2 with exactly one line on stderr, no stack trace. */
function refused(t: ExecutionContext, r: CliResult, message: RegExp) {
  t.is(r.status, 2, r.stdout + r.stderr);
  t.is(r.stderr.trim().split('\n').length, 1, r.stderr);
  t.regex(r.stderr, message);
  t.notRegex(r.stderr, /internal error|\n\s+at /);
}

test.serial('a program that forks: icount counts the parent only and notes the fork once', async (t) => {
  const dir = tempDir(t);
  for (const variant of [[], ['exec']]) {
    const r = await icount(dir, [prog('fork-pool'), '{pool}', ...variant]);
    t.is(r.status, 0, r.stderr);
    const counts = JSON.parse(r.stdout) as { stores: number; flushes: number };
    t.is(counts.stores, 2, "the parent's two stores; the child's are not mixed in");
    t.is(counts.flushes, 2);
    t.is(r.stderr.match(/forked a child process: pmfit traced the parent only/g)?.length, 1, r.stderr);
  }
});

test.serial(
  'a program that forks: check traces the parent, is consistent and says so once in the report',
  async (t) => {
    const dir = tempDir(t);
    for (const variant of [[], ['exec']]) {
      const r = await check(dir, [prog('fork-pool'), '{pool}', ...variant]);
      t.is(r.status, 0, r.stderr);
      t.notRegex(r.stderr, /sequence number|internal error/);
      const result = r.report!.results[0]!;
      t.is(result.summary.verdict, 'consistent');
      t.is(result.notes?.filter((n) => /forked a child process/.test(n)).length, 1, JSON.stringify(result.notes));
    }
  },
);

// Threads are traced (test/e2e/threads.test.ts checks them end to end): here, that a second
// thread's store, flush and read into the pool are counted with the first thread's.
for (const [mode, does, counts] of [
  ['store', 'stores to the pool', { stores: 3, flushes: 2 }],
  ['flush', 'flushes a pool line', { stores: 2, flushes: 3 }],
  ['read', 'read()s into the pool', { stores: 2 }], // the read's bytes are syscall stores, not counted here
  ['compute', 'leaves the pool alone', { stores: 2, flushes: 2 }],
] as const) {
  test.serial(`a second thread that ${does}: its events are traced with the first's`, async (t) => {
    const dir = tempDir(t);
    const r = await icount(dir, [prog('thread-pool'), '{pool}', mode]);
    t.is(r.status, 0, r.stderr);
    t.like(JSON.parse(r.stdout), counts);
    const c = await check(dir, [prog('thread-pool'), '{pool}', mode]);
    t.is(c.status, 0, c.stderr);
    t.is(c.report!.results[0]!.summary.verdict, 'consistent');
  });
}

test.serial(
  'threads one after another are all traced; more than 64 at once touching the pool are refused, naming the line',
  async (t) => {
    const dir = tempDir(t);
    const seq = await icount(dir, [prog('thread-many'), '{pool}', '100', 'seq']);
    t.is(seq.status, 0, seq.stderr);
    t.like(JSON.parse(seq.stdout), { stores: 100 }, "each thread's one store, though their vCPUs were reused");
    const line = readFileSync(join(REPO, 'test/icount/programs/thread-many.c'), 'utf8')
      .split('\n')
      .findIndex((l) => l.includes('Pool[(intptr_t)arg] = 1'));
    refused(
      t,
      await icount(dir, [prog('thread-many'), '{pool}', '70', 'together']),
      new RegExp(
        `^pmfit: a thread of .*thread-many beyond the 64 that pmfit traces at once touched the pool at .*thread-many\\.c:${line + 1}: `,
      ),
    );
  },
);

test.serial('a program given the real pool path instead of {pool} is refused, naming the file it opened', async (t) => {
  const dir = tempDir(t);
  const user = join(dir, 'user.pool');
  writeFileSync(user, Buffer.alloc(4096));
  const args = ['--pool', user];
  const message =
    /^pmfit: .*map-pool never mapped the pool copy; it opened .*user\.pool \(your --pool file itself\): pass \{pool\} where the program takes its pool file/;
  refused(t, await pmfit(['check', ...args, '--check', 'test -f {pool}', '--', prog('map-pool'), 'rw', user]), message);
  refused(t, await pmfit(['icount', ...args, '--', prog('map-pool'), 'rw', user]), message);
});

test.serial('a program that never maps the pool copy it is given is refused', async (t) => {
  const dir = tempDir(t);
  const message = /^pmfit: \/bin\/true never mapped the pool copy; it opened no other file: pass \{pool\}/;
  refused(t, await check(dir, ['/bin/true']), message);
  refused(t, await icount(dir, ['/bin/true']), message);
});

for (const [mode, message] of [
  [
    'ro',
    /^pmfit: .*map-pool mapped the pool copy read-only; .*: open it O_RDWR and map it PROT_READ\|PROT_WRITE, MAP_SHARED/,
  ],
  ['none', /^pmfit: .*map-pool opened the pool copy read-only and never mapped it/],
  ['private', /^pmfit: .*map-pool mapped the pool copy only with MAP_PRIVATE, so its stores never reach the file/],
] as const) {
  test.serial(
    `a program that ${mode === 'ro' ? 'maps the pool copy read-only' : mode === 'none' ? 'only reads the pool copy' : 'maps the pool copy privately'} is refused`,
    async (t) => {
      const dir = tempDir(t);
      refused(t, await check(dir, [prog('map-pool'), mode, '{pool}']), message);
      refused(t, await icount(dir, [prog('map-pool'), mode, '{pool}']), message);
    },
  );
}

test.serial('a program mapping its pool copy properly passes (the refusals above are not blanket)', async (t) => {
  const dir = tempDir(t);
  const r = await check(dir, [prog('map-pool'), 'rw', '{pool}']);
  t.is(r.status, 0, r.stderr);
  t.is(r.report!.results[0]!.summary.verdict, 'consistent');
  t.like(JSON.parse((await icount(dir, [prog('map-pool'), 'rw', '{pool}'])).stdout), { stores: 1, flushes: 1 });
});

/** The pids of live processes but `except` whose command line contains `token` (zombies have none). */
function processesWith(token: string, except: number[] = []): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid || except.includes(Number(entry))) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'latin1').includes(token)) pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

/** Waits (polling, up to `ms`) until `done()` holds; returns whether it did. */
async function waitFor(done: () => boolean, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (done()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return done();
}

test.serial(
  'a program that never ends is stopped at --trace-timeout with all it forked: exit 2, nothing left',
  async (t) => {
    const dir = tempDir(t);
    const token = `pmfit-spin-${process.pid}-${Date.now()}`;
    const tmp = join(dir, 'tmp');
    mkdirSync(tmp);
    for (const command of ['icount', 'check'] as const) {
      const started = Date.now();
      const args = [prog('spin'), '{pool}', 'fork', `${token}-${command}`];
      const r =
        command === 'icount'
          ? await pmfit(
              ['icount', '--trace-timeout', '2000', '--pool', join(dir, 'p'), '--size', '4096', '--', ...args],
              {
                env: { PMFIT_TMPDIR: tmp },
              },
            )
          : await pmfit(
              [
                'check',
                '--trace-timeout',
                '2000',
                '--pool',
                join(dir, 'p'),
                '--size',
                '4096',
                '--check',
                'test -f {pool}',
                '--',
                ...args,
              ],
              { env: { PMFIT_TMPDIR: tmp } },
            );
      refused(t, r, /did not finish within 2000 ms under the tracer: it was stopped, with every process it started/);
      t.true(Date.now() - started < 60_000, 'ends within the limit, not after a much longer wait');
      t.deepEqual(processesWith(`${token}-${command}`), [], 'no qemu-x86_64 (parent or forked child) left');
      t.deepEqual(readdirSync(tmp), [], 'no temporary files left');
    }
  },
);

for (const command of ['check', 'icount'] as const) {
  test.serial(`Ctrl-C during ${command} leaves no qemu-x86_64 running`, async (t) => {
    const dir = tempDir(t);
    const tmp = join(dir, 'tmp');
    mkdirSync(tmp);
    const token = `pmfit-sigint-${process.pid}-${command}-${Date.now()}`;
    const checkArgs = command === 'check' ? ['--check', 'test -f {pool}'] : [];
    const child = spawn(
      process.execPath,
      [
        PMFIT_BIN,
        command,
        '--pool',
        join(dir, 'p'),
        '--size',
        '4096',
        ...checkArgs,
        '--',
        prog('spin'),
        '{pool}',
        'fork',
        token,
      ],
      { cwd: REPO, env: { ...process.env, PMFIT_TMPDIR: tmp }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (b: Buffer) => {
      stderr += b.toString();
    });
    const ended = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.on('close', (code, signal) => resolve({ code, signal })),
    );
    // the parent and its forked child both run under QEMU before the interrupt (pmfit itself aside)
    t.true(
      await waitFor(() => processesWith(token, [child.pid!]).length >= 2, 60_000),
      'the traced program started and forked',
    );
    child.kill('SIGINT');
    // the timer is cleared: left running it would hold the test's process open for its whole minute
    let timer: NodeJS.Timeout | undefined;
    const end = await Promise.race([ended, new Promise<null>((r) => (timer = setTimeout(() => r(null), 60_000)))]);
    clearTimeout(timer);
    t.truthy(end, 'pmfit ended after SIGINT');
    t.true(end!.code === 130 || end!.signal === 'SIGINT', `ended by the interrupt: ${JSON.stringify(end)} ${stderr}`);
    t.notRegex(stderr, /internal error/);
    t.true(await waitFor(() => processesWith(token).length === 0, 5_000), `left running: ${processesWith(token)}`);
    t.deepEqual(readdirSync(tmp), [], 'no temporary files left');
  });
}
