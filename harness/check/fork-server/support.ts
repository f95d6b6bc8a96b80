// Decides whether a check command can run under the fork server: a plain argv (nothing a shell
// would interpret) whose program is a dynamically linked ELF executable for this machine — the
// preload library only loads through the dynamic loader (PT_INTERP). Anything else is spawned plainly.
import { accessSync, closeSync, constants as fsConstants, openSync, readSync, statSync } from 'node:fs';
import { delimiter, isAbsolute, join, resolve } from 'node:path';

export type ForkServerSupport = { ok: true; argv: string[] } | { ok: false; reason: string };

/** A word the shell takes literally: no quotes, globs, expansions, redirections or separators. */
const PLAIN_WORD = /^[A-Za-z0-9_@%+=:,./-]+$/;
const PT_INTERP = 3;
const ET_EXEC = 2;
const ET_DYN = 3;
/** e_machine of the architectures Node runs on that we know. */
const MACHINES: Record<string, number> = { x64: 62, arm64: 183, ia32: 3, arm: 40, riscv64: 243, ppc64: 21, s390x: 22 };

/** `{pool}`, or a named pool's `{NAME}`: stands for a crash image's path. */
const PLACEHOLDER = /\{[A-Za-z_][A-Za-z0-9_]*\}/;
const PLACEHOLDERS = new RegExp(PLACEHOLDER.source, 'g');

/**
 * Whether `command` (with `{pool}` standing for the image) can run under the fork server; on success
 * the argv to start, still holding `{pool}`. The reason is one line, for the caller to report.
 */
export function forkServerSupport(command: string): ForkServerSupport {
  const words = command
    .trim()
    .split(/[ \t]+/)
    .filter((w) => w.length > 0);
  if (words.length === 0) return { ok: false, reason: 'the check command is empty' };
  for (const word of words) {
    if (!PLAIN_WORD.test(word.replace(PLACEHOLDERS, 'P'))) {
      return { ok: false, reason: `the command needs a shell (${JSON.stringify(word)} is not a plain word)` };
    }
  }
  const program = words[0]!;
  if (PLACEHOLDER.test(program)) return { ok: false, reason: 'the program itself is the image' };
  if (program.includes('=')) return { ok: false, reason: 'the command starts with a variable assignment' };
  const path = findProgram(program);
  if (!path) return { ok: false, reason: `${program} is not an executable file` };
  const elf = elfKind(path);
  if (elf !== 'dynamic') return { ok: false, reason: `${program} is ${elf}` };
  return { ok: true, argv: words };
}

/** The file the shell would run for `program`, or undefined. */
function findProgram(program: string): string | undefined {
  const candidates = program.includes('/')
    ? [isAbsolute(program) ? program : resolve(program)]
    : (process.env.PATH ?? '/usr/bin:/bin').split(delimiter).map((dir) => join(dir || '.', program));
  return candidates.find((path) => {
    try {
      accessSync(path, fsConstants.X_OK);
      return statSync(path).isFile();
    } catch {
      return false;
    }
  });
}

/** 'dynamic' for a dynamically linked ELF executable of this machine, else why not (a phrase). */
function elfKind(path: string): string {
  const st = statSync(path);
  if (st.mode & 0o6000) return 'set-user-ID or set-group-ID (the loader ignores LD_PRELOAD)';
  const fd = openSync(path, 'r');
  try {
    const head = Buffer.alloc(64);
    const n = readSync(fd, head, 0, 64, 0);
    if (n >= 2 && head[0] === 0x23 && head[1] === 0x21) return 'a script (#!), not an ELF executable';
    if (n < 52 || head.readUInt32BE(0) !== 0x7f454c46) return 'not an ELF executable';
    const is64 = head[4] === 2;
    const le = head[5] === 1;
    if (n < (is64 ? 64 : 52)) return 'a truncated ELF file';
    const u16 = (off: number): number => (le ? head.readUInt16LE(off) : head.readUInt16BE(off));
    const u32 = (off: number, b: Buffer = head): number => (le ? b.readUInt32LE(off) : b.readUInt32BE(off));
    const type = u16(16);
    if (type !== ET_EXEC && type !== ET_DYN) return 'an ELF file that is not an executable';
    const machine = u16(18);
    if (MACHINES[process.arch] !== undefined && machine !== MACHINES[process.arch])
      return `an ELF executable for another machine (e_machine ${machine})`;
    const phoff = is64 ? Number(le ? head.readBigUInt64LE(32) : head.readBigUInt64BE(32)) : u32(28);
    const phentsize = u16(is64 ? 54 : 42);
    const phnum = u16(is64 ? 56 : 44);
    if (phnum === 0 || phentsize < 4 || phnum * phentsize > 1 << 20) return 'an ELF file without program headers';
    const table = Buffer.alloc(phnum * phentsize);
    if (readSync(fd, table, 0, table.length, phoff) !== table.length) return 'a truncated ELF file';
    for (let i = 0; i < phnum; i++) if (u32(i * phentsize, table) === PT_INTERP) return 'dynamic';
    return type === ET_DYN
      ? 'a shared library or a static-pie executable (no PT_INTERP)'
      : 'statically linked (no PT_INTERP)';
  } finally {
    closeSync(fd);
  }
}
