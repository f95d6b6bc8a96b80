// Checks that tell the truth under load and leave nothing behind, with real processes: time limits
// that count only the check's own running time (not start-up, not a busy pmfit), a time-out re-run
// once, every process a check starts killed with it (daemons too, and when pmfit is SIGKILLed),
// outputs that do not depend on which slot ran the check, and a check that deletes its image.
import test from 'ava';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CheckOutcome, Checker } from '../../../core/api.js';
import { ExternalCheckPool } from '../../../harness/check/external-pool.js';
import { ForkServerCheckPool } from '../../../harness/check/fork-server/client.js';
import { TsCheckPool } from '../../../harness/check/ts-pool.js';
import { REPO, tempDir } from '../../helpers.js';
import { sleepSync } from './fixtures/misbehaving-checks.js';

const program = (name: string): string => join(REPO, 'build/test-programs', `fork-${name}`);
const fixture = (name: string): string => new URL(`./fixtures/${name}.js`, import.meta.url).href;
const image = (first: number): Buffer => {
  const b = Buffer.alloc(4096);
  b[0] = first;
  return b;
};
/** Generous: how long a test waits for an event (a process to die, a file to appear) before failing. */
const PATIENCE_MS = 30_000;

test.before(() => {
  execFileSync('make', ['-s', '-f', 'harness/check/fork-server/fork-server.mk', 'fork-server'], {
    cwd: REPO,
    stdio: 'pipe',
  });
});

const alive = (pid: number): boolean => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
};

/** Waits until `done()` holds, looking every 20 ms, for at most PATIENCE_MS. */
async function until(done: () => boolean): Promise<boolean> {
  const end = Date.now() + PATIENCE_MS;
  while (!done()) {
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
  return true;
}

/** The pids the daemon check program wrote: its background child and its `setsid` daemon. */
const leftovers = (pidFile: string): number[] => readFileSync(pidFile, 'utf8').trim().split('\n').map(Number);

type PoolKind = 'spawn' | 'fork';
const makePool = (kind: PoolKind, command: string, dir: string, timeoutMs: number, jobs = 1): Checker =>
  kind === 'fork'
    ? new ForkServerCheckPool({ command, jobs, timeoutMs, dir })
    : new ExternalCheckPool({ command, jobs, timeoutMs, dir });

async function withPool<T>(pool: Checker, body: (pool: Checker) => Promise<T>): Promise<T> {
  try {
    return await body(pool);
  } finally {
    await pool.close();
  }
}

for (const kind of ['spawn', 'fork'] as const) {
  test.serial(
    `${kind}: a check that daemonizes ends with its own process, and takes every process it started`,
    async (t) => {
      const dir = tempDir(t);
      const pidFile = join(dir, 'pids');
      // a one-hour limit: only the check's own end can end it
      const outcome = await withPool(makePool(kind, `${program('daemon')} {pool} ${pidFile}`, dir, 3_600_000), (pool) =>
        pool.check(image(0)),
      );
      t.deepEqual(outcome, { kind: 'passed', output: 'first byte 0\n' });
      const pids = leftovers(pidFile);
      t.is(pids.length, 2);
      t.deepEqual(pids.filter(alive), [], 'the background child and the daemon are gone when the outcome is known');
    },
  );

  test.serial(`${kind}: a daemonizing check that hangs times out twice, and nothing it started is left`, async (t) => {
    const dir = tempDir(t);
    const pidFile = join(dir, 'pids');
    const outcome = await withPool(makePool(kind, `${program('daemon')} {pool} ${pidFile}`, dir, 300), (pool) =>
      pool.check(image(1)),
    );
    t.deepEqual(outcome, { kind: 'timed-out', output: 'first byte 1\n', limitMs: 300, attempts: 2 });
    t.deepEqual(leftovers(pidFile).filter(alive), []);
  });

  test.serial(`${kind}: nothing a check started survives a SIGKILL of pmfit`, async (t) => {
    const dir = tempDir(t);
    const pidFile = join(dir, 'pids');
    const holder = spawn(
      process.execPath,
      [
        new URL('./fixtures/hold-check.js', import.meta.url).pathname,
        kind,
        `${program('daemon')} {pool} ${pidFile}`,
        dir,
      ],
      { stdio: 'ignore' },
    );
    t.teardown(() => holder.kill('SIGKILL'));
    t.true(await until(() => existsSync(pidFile)), 'the check started its processes');
    const pids = leftovers(pidFile);
    t.deepEqual(pids.filter(alive), pids, 'they run while pmfit does');
    holder.kill('SIGKILL');
    t.true(await until(() => pids.every((pid) => !alive(pid))), `still running: ${pids.filter(alive).join(' ')}`);
  });

  test.serial(`${kind}: a check that hangs only once is re-run and passes`, async (t) => {
    const dir = tempDir(t);
    const marker = join(dir, 'marker');
    const outcome = await withPool(makePool(kind, `${program('hang-once')} {pool} ${marker}`, dir, 300), (pool) =>
      pool.check(image(0)),
    );
    t.deepEqual(outcome, { kind: 'passed', output: 'image {pool}\n' });
    t.true(existsSync(marker), 'the first run happened');
  });

  test.serial(`${kind}: the image path in a check's output reads {pool}, whichever slot ran it`, async (t) => {
    const dir = tempDir(t);
    const marker = join(dir, 'marker');
    execFileSync('touch', [marker]);
    const outcomes = await withPool(
      makePool(kind, `${program('hang-once')} {pool} ${marker}`, dir, 60_000, 3),
      (pool) => Promise.all(Array.from({ length: 9 }, (_, i) => pool.check(image(i)))),
    );
    t.deepEqual(
      new Set(outcomes.map((o) => JSON.stringify(o))),
      new Set([JSON.stringify({ kind: 'passed', output: 'image {pool}\n' })]),
    );
  });

  test.serial(`${kind}: a check that deletes its image does not fail the next check on its slot`, async (t) => {
    const dir = tempDir(t);
    const outcomes = await withPool(makePool(kind, `${program('unlink-image')} {pool}`, dir, 60_000), async (pool) => {
      const seen: CheckOutcome[] = [];
      for (const first of [13, 2, 13, 13, 4]) seen.push(await pool.check(image(first)));
      return seen;
    });
    t.deepEqual(
      outcomes.map((o) => o.output),
      ['first byte 13\n', 'first byte 2\n', 'first byte 13\n', 'first byte 13\n', 'first byte 4\n'],
    );
    t.true(outcomes.every((o) => o.kind === 'passed'));
  });

  test.serial(`${kind}: a busy pmfit event loop is not the check's time`, async (t) => {
    const dir = tempDir(t);
    const outcome = await withPool(makePool(kind, `${program('read-byte')} {pool}`, dir, 300), async (pool) => {
      await pool.check(image(0)); // warm: the fork server is up
      const pending = pool.check(image(2));
      sleepSync(1500); // pmfit's own work holds the loop five times the check's limit
      return pending;
    });
    t.is(outcome.kind, 'passed');
  });

  test.serial(`${kind}: a time limit past 2^31 ms is not 1 ms`, async (t) => {
    const dir = tempDir(t);
    const command = kind === 'fork' ? `${program('hang-once')} {pool} ${dir}` : `sleep 0.05; echo slept`;
    // under the fork server, hang-once finds the marker (the directory exists) and passes
    const outcome = await withPool(makePool(kind, command, dir, 2 ** 32), (pool) => pool.check(image(0)));
    t.is(outcome.kind, 'passed');
  });
}

test.serial('spawn: a check that cannot start is an error (verdict unknown), not a failure', async (t) => {
  const dir = tempDir(t);
  const outcome = await withPool(makePool('spawn', `${join(dir, 'no-such-check')} {pool}`, dir, 60_000), (pool) =>
    pool.check(image(0)),
  );
  t.is(outcome.kind, 'error');
  t.regex(outcome.kind === 'error' ? outcome.error : '', /could not start the check: .*no-such-check.*not found/);
});

test.serial(
  'spawn: a check that itself exits 127 is a failure: only the shell failing to run it is an error',
  async (t) => {
    const dir = tempDir(t);
    const outcome = await withPool(makePool('spawn', `echo lost >&2; exit 127 # {pool}`, dir, 60_000), (pool) =>
      pool.check(image(0)),
    );
    t.deepEqual(outcome, { kind: 'failed', output: '', detail: 'lost' });
  },
);

test.serial('fork: a fork-server library of another protocol version is a clear error', async (t) => {
  const dir = tempDir(t);
  const library = join(dir, 'old-forkserver.so');
  execFileSync('cc', [
    '-O2',
    '-fPIC',
    '-shared',
    '-DFORKSRV_PROTOCOL_VERSION=1u',
    '-o',
    library,
    join(REPO, 'harness/check/fork-server/server.c'),
  ]);
  const pool = new ForkServerCheckPool({
    command: `${program('read-byte')} {pool}`,
    jobs: 1,
    timeoutMs: 60_000,
    dir,
    library,
  });
  const outcome = await withPool(pool, (p) => p.check(image(0)));
  t.is(outcome.kind, 'error');
  t.regex(
    outcome.kind === 'error' ? outcome.error : '',
    /old-forkserver\.so speaks protocol version 1, this pmfit 2: rebuild it with `make fork-server`/,
  );
});

test('ts: start-up of the worker (a slow scenario import) does not count against the limit', async (t) => {
  const pool = new TsCheckPool({
    scenarioModule: fixture('slow-start'),
    exportName: 'slowStart',
    jobs: 1,
    timeoutMs: 200,
  });
  const outcomes = await withPool(pool, (p) => Promise.all([p.check(image(1)), p.check(image(2))]));
  t.deepEqual(outcomes, [
    { kind: 'passed', output: 'image 1' },
    { kind: 'passed', output: 'image 2' },
  ]);
});

test.serial('ts: a busy pmfit event loop is not the check time', async (t) => {
  const pool = new TsCheckPool({
    scenarioModule: fixture('misbehaving-checks'),
    exportName: 'slow',
    jobs: 1,
    timeoutMs: 300,
  });
  const outcome = await withPool(pool, async (p) => {
    await p.check(image(0)); // warm: the worker is ready
    const pending = p.check(image(1));
    sleepSync(1500);
    return pending;
  });
  t.deepEqual(outcome, { kind: 'passed', output: 'slept' });
});

test('ts: a check that hangs only once is re-run on a fresh worker and passes', async (t) => {
  const dir = tempDir(t);
  process.env.PMFIT_TEST_MARKER = join(dir, 'marker');
  const pool = new TsCheckPool({
    scenarioModule: fixture('misbehaving-checks'),
    exportName: 'hangOnce',
    jobs: 1,
    timeoutMs: 300,
  });
  const outcome = await withPool(pool, (p) => p.check(image(7)));
  t.deepEqual(outcome, { kind: 'passed', output: 'image 7' });
  t.true(existsSync(join(dir, 'marker')));
});

test('ts: a time limit past 2^31 ms is not 1 ms', async (t) => {
  const pool = new TsCheckPool({
    scenarioModule: fixture('misbehaving-checks'),
    exportName: 'slow',
    jobs: 1,
    timeoutMs: 2 ** 32,
  });
  t.deepEqual(await withPool(pool, (p) => p.check(image(0))), { kind: 'passed', output: 'slept' });
});

test('ts: output is bounded to 64 KiB like a native check, with the same truncation note', async (t) => {
  const pool = new TsCheckPool({
    scenarioModule: fixture('misbehaving-checks'),
    exportName: 'chatty',
    jobs: 1,
    timeoutMs: 60_000,
  });
  const outcome = await withPool(pool, (p) => p.check(image(0)));
  t.is(outcome.kind, 'passed');
  t.is(outcome.output, `${'x'.repeat(65536)}\n[… ${(1 << 20) - 65536} more bytes of output truncated]`);
});

test('ts: a check that eats memory is stopped at the worker heap limit: an error, and the pool goes on', async (t) => {
  const pool = new TsCheckPool({
    scenarioModule: fixture('misbehaving-checks'),
    exportName: 'hungry',
    jobs: 1,
    timeoutMs: 600_000,
    maxHeapMb: 64,
  });
  const outcome = await withPool(pool, (p) => p.check(image(0)));
  t.deepEqual(outcome, { kind: 'error', output: '', error: "the check ran out of memory (a worker's heap is 64 MiB)" });
});

test('ts: a check that returns neither a string nor { output, passed } is an error', async (t) => {
  const pool = new TsCheckPool({
    scenarioModule: fixture('misbehaving-checks'),
    exportName: 'undefinedResult',
    jobs: 1,
    timeoutMs: 60_000,
  });
  t.deepEqual(await withPool(pool, (p) => p.check(image(0))), {
    kind: 'error',
    output: '',
    error: 'the check returned undefined, not a string or { output, passed }',
  });
});
