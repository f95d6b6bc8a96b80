// The package installs: `npm pack` of this checkout, `npm install -g --prefix` of the tarball into a
// temporary prefix, then the installed `pmfit` is used outside the checkout — it builds its native
// parts into a fresh per-user cache at first use, crash-tests a small C program with `pmfit check`,
// runs a built-in C scenario and a TS one, and `pmfit doctor` is satisfied. Every path involved
// (prefix, cache, working directory) has a space in it.
//
// The checkout is already compiled (`make build` runs before the tests), so the tarball is packed
// with --ignore-scripts instead of compiling again in `prepack`; dependencies come from npm's cache
// (`npm ci` filled it) with --prefer-offline.
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO, tempDir } from '../helpers.js';

const PROGRAM = `#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* main -- prog run|check POOL: run writes a word and msyncs it; check prints it */
int
main(int argc, char *argv[])
{
	if (argc != 3)
		return 2;
	int fd = open(argv[2], O_RDWR);
	if (fd < 0)
		return 2;
	char *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return 2;
	if (strcmp(argv[1], "check") == 0) {
		printf("%.8s\\n", p);
		return 0;
	}
	memcpy(p, "hello!!", 8);
	return msync(p, 4096, MS_SYNC) == 0 ? 0 : 1;
}
`;

function sh(command: string, args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv }) {
  const env = { ...(options.env ?? process.env) };
  // `make test` clears NODE_EXTRA_CA_CERTS for speed; npm may need it to reach the registry
  if (command === 'npm' && process.env.PMFIT_TEST_CA_CERTS) env.NODE_EXTRA_CA_CERTS = process.env.PMFIT_TEST_CA_CERTS;
  const r = spawnSync(command, args, {
    cwd: options.cwd,
    encoding: 'utf8',
    env,
    timeout: 600_000,
  });
  return { status: r.status, stdout: r.stdout ?? '', stderr: `${r.stderr ?? ''}${r.error ? String(r.error) : ''}` };
}

test('npm pack, npm install -g into a prefix, and the installed pmfit works anywhere', (t) => {
  t.timeout(900_000);
  const root = join(tempDir(t), 'with space');
  const prefix = join(root, 'pre fix');
  const cache = join(root, 'ca che');
  const work = join(root, 'work dir');
  for (const dir of [prefix, work]) mkdirSync(dir, { recursive: true });

  const pack = sh('npm', ['pack', '--ignore-scripts', '--pack-destination', root], { cwd: REPO });
  t.is(pack.status, 0, pack.stderr);
  const tarball = readdirSync(root).find((f) => /^pmfit-.*\.tgz$/.test(f));
  if (!tarball) return t.fail(`no tarball: ${pack.stdout}`);
  const listing = sh('tar', ['tzf', join(root, tarball)], { cwd: root }).stdout;
  for (const file of [
    'package/dist/harness/cli/main.js',
    'package/icount/plugin/tracer.c',
    'package/harness/check/check-runner.c',
    'package/icount/icount.h',
    'package/harness/check/fork-server/server.c',
    'package/scenarios/native/flag-data.c',
    'package/tools/native.mk',
  ])
    t.true(listing.includes(file), `the tarball carries ${file}`);
  t.false(listing.includes('package/dist/test/'), 'no tests in the tarball');

  const install = sh(
    'npm',
    ['install', '-g', '--prefix', prefix, '--prefer-offline', '--no-audit', '--no-fund', join(root, tarball)],
    { cwd: root },
  );
  t.is(install.status, 0, install.stderr);
  const pmfit = join(prefix, 'bin', 'pmfit');
  // Nothing of the checkout may be found: no PMFIT_BUILD_DIR, a fresh cache, another directory.
  const env: NodeJS.ProcessEnv = { ...process.env, XDG_CACHE_HOME: cache };
  for (const name of ['PMFIT_BUILD_DIR', 'PMFIT_TRACER_PLUGIN', 'PMFIT_TMPDIR']) delete env[name];
  const run = (args: string[]) => sh(pmfit, args, { cwd: work, env });

  writeFileSync(join(work, 'prog.c'), PROGRAM);
  t.is(sh('cc', ['-O1', '-o', 'prog', 'prog.c'], { cwd: work }).status, 0);

  const check = run([
    'check',
    '--pool',
    'p.pool',
    '--size',
    '4096',
    '--check',
    './prog check {pool}',
    '--model',
    'eadr',
    '--quiet',
    '--report',
    'json=report.json',
    '--',
    './prog',
    'run',
    '{pool}',
  ]);
  t.is(check.status, 0, check.stderr);
  t.regex(check.stderr, /first use of pmfit .*: building its native parts .* into .*ca che\/pmfit\//);
  t.regex(check.stderr, /pmfit: consistent: 0 bugs in 1 scenario run; \d+ crash points/);
  const report = JSON.parse(readFileSync(join(work, 'report.json'), 'utf8'));
  t.true(report.summary.crashPoints > 1, 'the program was traced');
  t.regex(report.results[0].notes.join(' '), /fork server/);
  t.true(existsSync(join(cache, 'pmfit', report.tool.version, 'pmfit-tracer.so')));
  t.true(existsSync(join(cache, 'pmfit', report.tool.version, 'include', 'icount.h')));

  const builtIn = run(['run', 'native/flag-data-buggy', '--model', 'adr', '--strategy', 'strict', '--quiet']);
  t.is(builtIn.status, 1, builtIn.stderr);
  t.notRegex(builtIn.stderr, /building its native parts/, 'built once');
  t.regex(builtIn.stderr, /pmfit: inconsistent: 1 bug \(missing-flush at flag-data\.c:\d+\) in 1 scenario run; /);

  const ts = run(['run', 'list-append', '--quiet']);
  t.is(ts.status, 0, ts.stderr);

  const doctor = run(['doctor']);
  t.is(doctor.status, 0, doctor.stdout + doctor.stderr);
  t.regex(doctor.stdout, /ok +QEMU plugin API +the tracer plugin loads/);
  t.regex(doctor.stdout, /ok +libpmemobj /);
});
