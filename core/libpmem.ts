// The koffi binding of PMDK's libpmem (libpmem(3), PMDK 1.12). This is the only file that imports koffi.
//
// Loader search order (first that loads wins):
//   1. $PMFIT_LIBPMEM — an explicit path to a libpmem shared object;
//   2. the soname `libpmem.so.1` through the dynamic linker's normal search (Debian's libpmem1);
//   3. /usr/lib/x86_64-linux-gnu/libpmem.so.1 and /usr/local/lib/libpmem.so.1.
// Addresses cross the boundary as bigint (koffi's representation of `void *`).
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** Flags of pmem_map_file (libpmem.h). */
export const PMEM_FILE_CREATE = 1 << 0;
export const PMEM_FILE_EXCL = 1 << 1;
export const PMEM_FILE_SPARSE = 1 << 2;
export const PMEM_FILE_TMPFILE = 1 << 3;
/** The libpmem API version pmfit is written against. */
export const PMEM_MAJOR_VERSION = 1;
export const PMEM_MINOR_VERSION = 1;

export type Address = bigint;

export interface LibPmem {
  pmem_map_file(
    path: string | null,
    len: number,
    flags: number,
    mode: number,
    mappedLen: number[],
    isPmem: number[],
  ): Address | null;
  pmem_unmap(addr: Address, len: number): number;
  pmem_is_pmem(addr: Address, len: number): number;
  pmem_persist(addr: Address, len: number): void;
  pmem_msync(addr: Address, len: number): number;
  pmem_flush(addr: Address, len: number): void;
  pmem_drain(): void;
  pmem_has_hw_drain(): number;
  pmem_memmove_persist(dest: Address, src: Buffer, len: number): Address;
  pmem_memcpy_persist(dest: Address, src: Buffer, len: number): Address;
  pmem_memset_persist(dest: Address, c: number, len: number): Address;
  pmem_memmove_nodrain(dest: Address, src: Buffer, len: number): Address;
  pmem_memcpy_nodrain(dest: Address, src: Buffer, len: number): Address;
  pmem_memset_nodrain(dest: Address, c: number, len: number): Address;
  pmem_check_version(major: number, minor: number): string | null;
  pmem_errormsg(): string;
  /** A Buffer over `len` bytes of mapped memory at `addr` (no copy). */
  view(addr: Address, len: number): Buffer;
}

const SIGNATURES = [
  'void *pmem_map_file(const char *path, size_t len, int flags, uint32_t mode, _Out_ size_t *mapped_lenp, _Out_ int *is_pmemp)',
  'int pmem_unmap(void *addr, size_t len)',
  'int pmem_is_pmem(const void *addr, size_t len)',
  'void pmem_persist(const void *addr, size_t len)',
  'int pmem_msync(const void *addr, size_t len)',
  'void pmem_flush(const void *addr, size_t len)',
  'void pmem_drain(void)',
  'int pmem_has_hw_drain(void)',
  'void *pmem_memmove_persist(void *pmemdest, const void *src, size_t len)',
  'void *pmem_memcpy_persist(void *pmemdest, const void *src, size_t len)',
  'void *pmem_memset_persist(void *pmemdest, int c, size_t len)',
  'void *pmem_memmove_nodrain(void *pmemdest, const void *src, size_t len)',
  'void *pmem_memcpy_nodrain(void *pmemdest, const void *src, size_t len)',
  'void *pmem_memset_nodrain(void *pmemdest, int c, size_t len)',
  'const char *pmem_check_version(unsigned int major_required, unsigned int minor_required)',
  'const char *pmem_errormsg(void)',
];

const CANDIDATES = ['libpmem.so.1', '/usr/lib/x86_64-linux-gnu/libpmem.so.1', '/usr/local/lib/libpmem.so.1'];

let loaded: LibPmem | undefined;

/** Loads libpmem once; throws LibPmemLoadError saying what happened, why, and how to fix it. */
export function libpmem(): LibPmem {
  loaded ??= load();
  return loaded;
}

function load(): LibPmem {
  const koffi = loadKoffi();
  const tried: string[] = [];
  const explicit = process.env.PMFIT_LIBPMEM;
  for (const candidate of explicit ? [explicit] : CANDIDATES) {
    try {
      return bind(koffi, koffi.load(candidate));
    } catch (err) {
      tried.push(`${candidate}: ${(err as Error).message.split('\n')[0]}`);
    }
  }
  throw new LibPmemLoadError(
    `cannot load PMDK's libpmem (tried ${tried.join('; ')}). ` +
      (explicit
        ? 'PMFIT_LIBPMEM names a file that is not a loadable libpmem: fix or unset it.'
        : "Install it with 'apt-get install libpmem1' (Debian/Ubuntu), or point PMFIT_LIBPMEM at libpmem.so.1."),
  );
}

// biome-ignore lint/suspicious/noExplicitAny: koffi ships no types; this file is its only user
type Koffi = any;

function loadKoffi(): Koffi {
  try {
    return require('koffi');
  } catch (err) {
    throw new LibPmemLoadError(
      `cannot load the koffi FFI module (${(err as Error).message.split('\n')[0]}): run 'npm ci' in the pmfit checkout.`,
    );
  }
}

function bind(koffi: Koffi, lib: Koffi): LibPmem {
  const fns: Record<string, (...args: unknown[]) => unknown> = {};
  for (const signature of SIGNATURES) {
    const fn = lib.func(signature);
    fns[fn.info.name as string] = fn;
  }
  const reason = fns.pmem_check_version!(PMEM_MAJOR_VERSION, PMEM_MINOR_VERSION) as string | null;
  if (reason) throw new LibPmemLoadError(`the libpmem found is incompatible: ${reason}`);
  return {
    ...(fns as unknown as Omit<LibPmem, 'view'>),
    view: (addr: Address, len: number) => Buffer.from(koffi.view(addr, len) as ArrayBuffer),
  };
}

export class LibPmemLoadError extends Error {
  override name = 'LibPmemLoadError';
}
