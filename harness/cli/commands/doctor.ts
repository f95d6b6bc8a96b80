// `pmfit doctor`: what pmfit needs on this machine, found or not, and the one command that installs
// what is missing. Exit 0 when everything is there, 1 when something is missing.
//  - Node (the running one), QEMU user-mode (qemu-x86_64) with TCG plugin support — checked by
//    loading pmfit's tracer plugin into it, which is what a traced run does;
//  - libpmem and libpmemobj (the runtime libraries and, for the C scenarios, their headers);
//  - a C compiler and make (the native parts are built from source at first use);
//  - the native build: where it is, and whether it is there yet.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EXIT } from '../../../core/support/errors.js';
import { ensureNativeBuilt, nativeBuilt } from '../../../core/support/native-build.js';
import { PACKAGE_ROOT, PMFIT_VERSION, buildDir } from '../../../core/support/paths.js';

interface Finding {
  what: string;
  ok: boolean;
  detail: string;
  /** The Debian package that provides it, when it is missing. */
  apt?: string;
}

function firstLine(command: string, args: string[]): string | undefined {
  const r = spawnSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 30_000 });
  if (r.error || r.status !== 0) return undefined;
  return `${r.stdout}${r.stderr}`.trim().split('\n')[0];
}

/** The soname through the dynamic linker's cache, as koffi and the C programs will find it. */
function sharedLibrary(soname: string): string | undefined {
  const r = spawnSync('/sbin/ldconfig', ['-p'], { encoding: 'utf8' });
  const line = r.stdout?.split('\n').find((l) => l.includes(`${soname} `));
  return line?.split('=> ').pop()?.trim();
}

function qemuFindings(): Finding[] {
  const qemu = process.env.PMFIT_QEMU ?? 'qemu-x86_64';
  const version = firstLine(qemu, ['--version']);
  const found: Finding[] = [
    {
      what: 'QEMU user mode',
      ok: version !== undefined,
      detail: version ?? `${qemu} not found (pmfit traces native programs under it)`,
      apt: 'qemu-user',
    },
  ];
  const plugin = process.env.PMFIT_TRACER_PLUGIN ?? join(buildDir(), 'pmfit-tracer.so');
  if (version && existsSync(plugin)) {
    // The tracer declares the plugin API version it was written for; QEMU refuses it when outside
    // the range it supports. Tracing /bin/true with it is the real test.
    const dir = mkdtempSync(join(tmpdir(), 'pmfit-doctor-'));
    const load = spawnSync(
      qemu,
      ['-plugin', `${plugin},pool=${join(dir, 'none.pool')},out=${join(dir, 'trace')}`, '/bin/true'],
      { encoding: 'utf8', timeout: 60_000 },
    );
    rmSync(dir, { recursive: true, force: true });
    const ok = load.status === 0;
    found.push({
      what: 'QEMU plugin API',
      ok,
      detail: ok
        ? `the tracer plugin loads (${plugin})`
        : `the tracer plugin does not load: ${(load.stderr ?? '').trim().split('\n')[0] || `exit ${load.status}`} (QEMU 7.2 or later with TCG plugins is needed)`,
      apt: 'qemu-user',
    });
  }
  return found;
}

function libraryFindings(): Finding[] {
  const found: Finding[] = [];
  for (const [name, soname, header, runtime, dev] of [
    ['libpmem', 'libpmem.so.1', '/usr/include/libpmem.h', 'libpmem1', 'libpmem-dev'],
    ['libpmemobj', 'libpmemobj.so.1', '/usr/include/libpmemobj.h', 'libpmemobj1', 'libpmemobj-dev'],
  ] as const) {
    const lib = sharedLibrary(soname);
    found.push({ what: name, ok: lib !== undefined, detail: lib ?? `${soname} not found`, apt: runtime });
    found.push({
      what: `${name} headers`,
      ok: existsSync(header),
      detail: existsSync(header) ? header : `${header} not found (the C scenarios include it)`,
      apt: dev,
    });
  }
  return found;
}

function toolFindings(): Finding[] {
  const cc = process.env.CC ?? 'cc';
  const compiler = firstLine(cc, ['--version']);
  const make = firstLine('make', ['--version']);
  return [
    { what: 'C compiler', ok: compiler !== undefined, detail: compiler ?? `${cc} not found`, apt: 'gcc' },
    { what: 'make', ok: make !== undefined, detail: make ?? 'make not found', apt: 'make' },
  ];
}

/** Where icount.h is, for a user's -I: the checkout's icount/, or the build's include/. */
function includeDir(): string {
  const built = join(buildDir(), 'include');
  return existsSync(join(built, 'icount.h')) ? built : join(PACKAGE_ROOT, 'icount');
}

export function doctorCommand(argv: { build?: boolean } = {}): number {
  const findings = [
    { what: 'pmfit', ok: true, detail: `${PMFIT_VERSION} on Node ${process.versions.node}` },
    ...toolFindings(),
    ...libraryFindings(),
  ];
  const tools = findings.every((f) => f.ok);
  if (argv.build && tools && !nativeBuilt()) ensureNativeBuilt();
  const built = nativeBuilt();
  findings.push({
    what: 'native build',
    ok: built || tools,
    detail: built
      ? `${buildDir()} (tracer plugin, fork server, C scenarios; icount.h in ${includeDir()})`
      : `not built yet: built into ${buildDir()} at the first native use (or now: pmfit doctor --build)`,
  });
  findings.push(...qemuFindings());
  const width = Math.max(...findings.map((f) => f.what.length));
  for (const f of findings)
    process.stdout.write(`${f.ok ? 'ok     ' : 'MISSING'}  ${f.what.padEnd(width)}  ${f.detail}\n`);
  const missing = [...new Set(findings.filter((f) => !f.ok && f.apt).map((f) => f.apt!))];
  if (missing.length > 0) {
    process.stdout.write(`install what is missing with: sudo apt-get install -y ${missing.join(' ')}\n`);
    return EXIT.finding;
  }
  return findings.every((f) => f.ok) ? EXIT.clean : EXIT.finding;
}
