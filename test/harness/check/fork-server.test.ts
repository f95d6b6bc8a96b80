// The fork server (harness/check/fork-server/) against plain spawning (ExternalCheckPool) with real C
// check programs (test/harness/check/programs/, built into build/test-programs/fork-*).
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CheckOutcome } from '../../../core/api.js';
import { ExternalCheckPool } from '../../../harness/check/external-pool.js';
import { ForkServerCheckPool, forkServerSupport } from '../../../harness/check/fork-server/client.js';
import { REPO, tempDir } from '../../helpers.js';

const program = (name: string): string => join(REPO, 'build/test-programs', `fork-${name}`);
const image = (first: number, fill = 0x5a): Buffer => {
  const b = Buffer.alloc(4096, fill);
  b[0] = first;
  return b;
};

test.before(() => {
  execFileSync('make', ['-s', '-f', 'harness/check/fork-server/fork-server.mk', 'fork-server'], {
    cwd: REPO,
    stdio: 'pipe',
  });
});

/** Pids of the processes whose parent is `ppid`. */
function childrenOf(ppid: number): number[] {
  const kids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // pid (comm) state ppid …: comm may hold spaces, so parse after the last ')'
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[1]) === ppid && fields[0] !== 'Z') kids.push(Number(entry));
    } catch {
      /* gone meanwhile */
    }
  }
  return kids;
}

/** Waits until `done()` holds, looking every 20 ms, for at most 30 s (generous: an event, not a margin). */
async function until(done: () => boolean): Promise<boolean> {
  const end = Date.now() + 30_000;
  while (!done()) {
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
  return true;
}

const alive = (pid: number): boolean => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
};

async function bothWays(
  t: { teardown: (f: () => void) => void } & Parameters<typeof tempDir>[0],
  name: string,
  images: Buffer[],
  timeoutMs = 500,
) {
  const dir = tempDir(t);
  const command = `${program(name)} {pool}`;
  const forked = new ForkServerCheckPool({ command, jobs: 1, timeoutMs, dir });
  const spawned = new ExternalCheckPool({ command, jobs: 1, timeoutMs, dir });
  try {
    const results: Array<[CheckOutcome, CheckOutcome]> = [];
    for (const img of images) results.push([await forked.check(img), await spawned.check(img)]);
    return results;
  } finally {
    await forked.close();
    await spawned.close();
  }
}

test.serial('a check that passes or fails by a byte: the same outcomes as plain spawn', async (t) => {
  const results = await bothWays(t, 'read-byte', [image(0), image(1), image(2), image(0xff), image(4, 0)]);
  for (const [forked, spawned] of results) t.deepEqual(forked, spawned);
  t.is(results[0]![0].kind, 'passed');
  t.regex(results[0]![0].output, /^byte0=0 bytes=4096 sum=[0-9a-f]+\n$/);
  t.deepEqual(results[1]![0], { kind: 'failed', output: results[1]![1].output, detail: 'first byte 1 is odd' });
  t.not(results[0]![0].output, results[2]![0].output);
});

test.serial('a check that segfaults on a torn image: crash SIGSEGV, as under plain spawn', async (t) => {
  const results = await bothWays(t, 'segv', [image(0), image(0xff), image(3)]);
  for (const [forked, spawned] of results) {
    // detail differs by design: /bin/sh reports "Segmentation fault", the fork server the check's own stderr
    t.deepEqual({ ...forked, detail: undefined }, { ...spawned, detail: undefined });
  }
  const [torn] = results[1]!;
  t.deepEqual(torn, {
    kind: 'crashed',
    output: 'first byte 255\n',
    signal: 'SIGSEGV',
    detail: 'following a torn pointer',
  });
  t.is(results[2]![0].kind, 'passed');
});

test.serial('a check that never ends: timed out twice, and the pool keeps working afterwards', async (t) => {
  const results = await bothWays(t, 'loop', [image(0), image(1), image(2), image(1), image(0)], 300);
  for (const [forked, spawned] of results) t.deepEqual(forked, spawned);
  t.deepEqual(results[1]![0], { kind: 'timed-out', output: 'first byte 1\n', limitMs: 300, attempts: 2 });
  t.deepEqual(results[4]![0], { kind: 'passed', output: 'first byte 0\n' });
});

test.serial('a check that prints megabytes: output bounded to 64 KiB with the same truncation note', async (t) => {
  const results = await bothWays(t, 'chatter', [image(3), image(0)], 5000);
  for (const [forked, spawned] of results) t.deepEqual(forked, spawned);
  const out = results[0]![0].output;
  const lineBytes = out.indexOf('\n') + 1;
  t.true(out.length < 64 * 1024 + 100);
  t.true(out.endsWith(`\n[… ${3 * 16384 * lineBytes - 64 * 1024} more bytes of output truncated]`), out.slice(-80));
  t.deepEqual(results[1]![0], { kind: 'passed', output: '' });
});

test.serial('parallel jobs give each image its own result, in order', async (t) => {
  const dir = tempDir(t);
  const pool = new ForkServerCheckPool({ command: `${program('read-byte')} {pool}`, jobs: 2, timeoutMs: 2000, dir });
  try {
    const images = Array.from({ length: 60 }, (_, i) => image(i, i));
    const outcomes = await Promise.all(images.map((img) => pool.check(img)));
    outcomes.forEach((o, i) => {
      t.true(o.output.startsWith(`byte0=${i} bytes=4096 `), `image ${i}: ${o.output}`);
      t.is(o.kind, i % 2 === 0 ? 'passed' : 'failed');
    });
  } finally {
    await pool.close();
  }
});

test.serial(
  'the check sees the fds and variables it sees under plain spawn: no control fds, no fork-server variables',
  async (t) => {
    // fds the test runner leaves open to its children show up both ways; the server's own never do
    const [[forked, spawned]] = await bothWays(t, 'env-fds', [image(0)]);
    t.deepEqual(forked, spawned);
    t.regex(forked!.output, /^fds: 0 1 2( \d+)*\n$/);
    t.notRegex(forked!.output, /env: /);
  },
);

test.serial('a lost server is an error, never a pass, and the next check gets a new server', async (t) => {
  const dir = tempDir(t);
  const pool = new ForkServerCheckPool({ command: `${program('kill-server')} {pool}`, jobs: 1, timeoutMs: 2000, dir });
  try {
    const lost = await pool.check(image(7));
    t.is(lost.kind, 'error');
    t.regex(lost.kind === 'error' ? lost.error : '', /fork server was killed by SIGKILL/);
    t.deepEqual(await pool.check(image(1)), { kind: 'passed', output: 'first byte 1\n' });
  } finally {
    await pool.close();
  }
});

test.serial('forkServerSupport takes plain argvs of dynamic ELF programs and says why not otherwise', (t) => {
  const dir = tempDir(t);
  const script = join(dir, 'check.sh');
  writeFileSync(script, '#!/bin/sh\nexec cat "$1"\n');
  chmodSync(script, 0o755);
  const refused = (command: string, reason: RegExp): void => {
    const r = forkServerSupport(command);
    t.false(r.ok, command);
    if (!r.ok) t.regex(r.reason, reason, command);
  };
  refused(`${script} {pool}`, /script \(#!\), not an ELF executable/);
  refused(`${program('read-byte')} {pool} | grep byte`, /needs a shell/);
  refused(`${program('read-byte')} "{pool}"`, /needs a shell/);
  refused(`${program('read-byte')} $HOME`, /needs a shell/);
  refused(`PMEM_IS_PMEM_FORCE=1 ${program('read-byte')} {pool}`, /variable assignment/);
  refused(`${join(dir, 'missing')} {pool}`, /not an executable file/);
  refused(`${join(REPO, 'harness/check/fork-server/fork-server.mk')} {pool}`, /not an executable file/);
  refused('', /empty/);
  const staticProgram = join(dir, 'static-check');
  try {
    execFileSync(
      'gcc',
      ['-static', '-O1', '-o', staticProgram, join(REPO, 'test/harness/check/programs/read-byte.c')],
      { stdio: 'pipe' },
    );
  } catch {
    /* no static libc: skip that case */
  }
  if (existsSync(staticProgram)) refused(`${staticProgram} {pool}`, /statically linked/);

  t.deepEqual(forkServerSupport(`${program('read-byte')}   --pool={pool} {pool}`), {
    ok: true,
    argv: [program('read-byte'), '--pool={pool}', '{pool}'],
  });
  t.true(forkServerSupport('cat {pool}').ok, 'programs are found on PATH');
  t.throws(() => new ForkServerCheckPool({ command: `${script} {pool}`, jobs: 1, timeoutMs: 100, dir }), {
    message: /cannot run this check: .*script/,
  });
});

test.serial('close stops every server and any running check: no process is left behind', async (t) => {
  const dir = tempDir(t);
  const before = new Set(childrenOf(process.pid));
  const pool = new ForkServerCheckPool({ command: `${program('loop')} {pool}`, jobs: 2, timeoutMs: 60_000, dir });
  t.deepEqual(await pool.check(image(0)), { kind: 'passed', output: 'first byte 0\n' });
  const running = [pool.check(image(1)), pool.check(image(1))];
  // wait (generously, on what /proc shows) until both looping checks run under their servers
  const servers = (): number[] => childrenOf(process.pid).filter((pid) => !before.has(pid));
  await until(() => servers().flatMap((pid) => childrenOf(pid)).length === 2);
  const serverPids = servers();
  t.is(serverPids.length, 2);
  const checks = serverPids.flatMap((pid) => childrenOf(pid));
  t.is(checks.length, 2, 'both looping checks run under their servers');
  await pool.close();
  for (const outcome of await Promise.all(running)) {
    t.is(outcome.kind, 'error');
  }
  const all = [...serverPids, ...checks];
  await until(() => !all.some(alive));
  t.deepEqual(all.filter(alive), []);
  t.deepEqual(
    childrenOf(process.pid).filter((pid) => !before.has(pid)),
    [],
  );
  t.deepEqual(await pool.check(image(0)), { kind: 'error', output: '', error: 'the check pool is closed' });
});
