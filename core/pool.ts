// A typed TypeScript API over one libpmem mapping of a pool file. When given a TraceRecorder,
// every write, flush, drain and msync made through it is appended to the trace, in program order.
import { existsSync } from 'node:fs';
import type { Address } from './libpmem.js';
import { PMEM_FILE_CREATE, libpmem } from './libpmem.js';
import type { TraceRecorder } from './trace/recorder.js';

export interface PoolRange {
  offset: number;
  length: number;
}

export interface PoolOpenOptions {
  /** Create the file with this size if it does not exist. */
  createSize?: number;
  /** Record every operation into this recorder. */
  recorder?: TraceRecorder;
}

export class PoolError extends Error {
  override name = 'PoolError';
}

export class Pool {
  private mapped: Buffer | null;

  private constructor(
    readonly path: string,
    /** The libpmem mapping's address; null for a pool over a crash image in memory. */
    private readonly base: Address | null,
    readonly size: number,
    readonly isPmem: boolean,
    private readonly recorder: TraceRecorder | undefined,
    memory?: Buffer,
  ) {
    this.mapped = memory ?? libpmem().view(base!, size);
  }

  /**
   * A pool over bytes in memory — a private copy of one crash image, so a check (and the recovery
   * it runs) reads and writes it without a file or a mapping. Durability calls do nothing here.
   */
  static inMemory(image: Buffer, name = '<crash image>'): Pool {
    return new Pool(name, null, image.length, false, undefined, image);
  }

  /** Maps an existing pool file, or creates it when `createSize` is given and the file is missing. */
  static open(path: string, options: PoolOpenOptions = {}): Pool {
    const create = options.createSize !== undefined && !existsSync(path);
    const mappedLen = [0];
    const isPmem = [0];
    const pmem = libpmem();
    const base = pmem.pmem_map_file(
      path,
      create ? options.createSize! : 0,
      create ? PMEM_FILE_CREATE : 0,
      0o644,
      mappedLen,
      isPmem,
    );
    if (base === null || base === 0n) throw new PoolError(`cannot map pool ${path}: ${pmem.pmem_errormsg()}`);
    return new Pool(path, base, mappedLen[0]!, isPmem[0] === 1, options.recorder);
  }

  /** Creates a new pool file of `size` bytes (zero-filled) and maps it. */
  static create(path: string, size: number, recorder?: TraceRecorder): Pool {
    if (existsSync(path)) throw new PoolError(`cannot create pool ${path}: file exists`);
    return Pool.open(path, { createSize: size, ...(recorder ? { recorder } : {}) });
  }

  // ------------------------------------------------------------ reads

  readU8(offset: number): number {
    return this.bytes(offset, 1).readUInt8(offset);
  }
  readU16(offset: number): number {
    return this.bytes(offset, 2).readUInt16LE(offset);
  }
  readU32(offset: number): number {
    return this.bytes(offset, 4).readUInt32LE(offset);
  }
  readU64(offset: number): bigint {
    return this.bytes(offset, 8).readBigUInt64LE(offset);
  }
  /** A copy of `length` bytes at `offset`. */
  read(offset: number, length: number): Buffer {
    return Buffer.from(this.bytes(offset, length).subarray(offset, offset + length));
  }
  /** A NUL-terminated string of at most `maxLength` bytes. */
  readString(offset: number, maxLength: number): string {
    const raw = this.bytes(offset, maxLength).subarray(offset, offset + maxLength);
    const end = raw.indexOf(0);
    return raw.subarray(0, end < 0 ? raw.length : end).toString('latin1');
  }

  // ------------------------------------------------------------ writes (stores)

  writeU8(offset: number, value: number): void {
    this.store(offset, 1, (b) => b.writeUInt8(value, 0));
  }
  writeU16(offset: number, value: number): void {
    this.store(offset, 2, (b) => b.writeUInt16LE(value, 0));
  }
  writeU32(offset: number, value: number): void {
    this.store(offset, 4, (b) => b.writeUInt32LE(value, 0));
  }
  writeU64(offset: number, value: bigint | number): void {
    this.store(offset, 8, (b) => b.writeBigUInt64LE(BigInt(value), 0));
  }
  /** One store of all of `data` (wider than 8 bytes, it may tear at 8-byte units under the adr model). */
  write(offset: number, data: Uint8Array): void {
    this.store(offset, data.length, (b) => b.set(data, 0));
  }
  /** Writes `text` and a terminating NUL. */
  writeString(offset: number, text: string): void {
    this.write(offset, Buffer.from(`${text}\0`, 'latin1'));
  }
  /** A non-temporal store (movnt*): it bypasses the cache and is durable at the next fence. */
  writeNonTemporal(offset: number, data: Uint8Array): void {
    this.store(offset, data.length, (b) => b.set(data, 0), true);
  }

  // ------------------------------------------------------------ durability

  /** pmem_persist: flush the lines of the range and drain. */
  persist(offset: number, length: number): void {
    this.check(offset, length);
    if (this.base !== null) libpmem().pmem_persist(this.base + BigInt(offset), length);
    this.recorder?.flushRange(offset, length);
    this.recorder?.fence();
  }

  /** pmem_flush: start flushing the lines of the range (durable at the next drain). */
  flush(offset: number, length: number): void {
    this.check(offset, length);
    if (this.base !== null) libpmem().pmem_flush(this.base + BigInt(offset), length);
    this.recorder?.flushRange(offset, length);
  }

  /** pmem_drain: wait for flushes (a fence). */
  drain(): void {
    if (this.base !== null) libpmem().pmem_drain();
    this.recorder?.fence();
  }

  /** pmem_msync: make the range durable through msync(2). */
  msync(offset: number, length: number): void {
    this.check(offset, length);
    if (this.base !== null && libpmem().pmem_msync(this.base + BigInt(offset), length) !== 0)
      throw new PoolError(`pmem_msync failed: ${libpmem().pmem_errormsg()}`);
    this.recorder?.msync(offset, length);
  }

  /** Flushes several ranges with one drain (the seed API's pmem_persist_iov). */
  persistRanges(ranges: readonly PoolRange[]): void {
    for (const r of ranges) this.check(r.offset, r.length);
    for (const r of ranges) {
      if (this.base !== null) libpmem().pmem_flush(this.base + BigInt(r.offset), r.length);
      this.recorder?.flushRange(r.offset, r.length);
    }
    if (this.base !== null) libpmem().pmem_drain();
    this.recorder?.fence();
  }

  /** pmem_memcpy_persist: copy, flush and drain. */
  memcpyPersist(offset: number, data: Uint8Array): void {
    this.copy(offset, data, true);
  }
  /** pmem_memcpy_nodrain: copy and flush; durable at the next drain. */
  memcpyNodrain(offset: number, data: Uint8Array): void {
    this.copy(offset, data, false);
  }
  /** pmem_memset_persist. */
  memsetPersist(offset: number, byte: number, length: number): void {
    this.fill(offset, byte, length, true);
  }
  /** pmem_memset_nodrain. */
  memsetNodrain(offset: number, byte: number, length: number): void {
    this.fill(offset, byte, length, false);
  }

  /** A user marker splitting the snippet into operations (the ops oracle's boundaries). */
  marker(name: string): void {
    this.recorder?.marker('user', name);
  }

  /** Is the whole pool real persistent memory (pmem_is_pmem)? */
  isPmemRange(offset: number, length: number): boolean {
    this.check(offset, length);
    return this.base !== null && libpmem().pmem_is_pmem(this.base + BigInt(offset), length) === 1;
  }

  close(): void {
    if (!this.mapped) return;
    this.mapped = null;
    if (this.base !== null && libpmem().pmem_unmap(this.base, this.size) !== 0)
      throw new PoolError(`pmem_unmap failed: ${libpmem().pmem_errormsg()}`);
  }

  // ------------------------------------------------------------ internals

  private copy(offset: number, data: Uint8Array, drain: boolean): void {
    this.check(offset, data.length);
    if (this.base === null) this.mapped!.set(data, offset);
    else {
      const src = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
      const dest = this.base + BigInt(offset);
      if (drain) libpmem().pmem_memcpy_persist(dest, src, data.length);
      else libpmem().pmem_memcpy_nodrain(dest, src, data.length);
    }
    this.recordCopy(offset, data, drain);
  }

  private fill(offset: number, byte: number, length: number, drain: boolean): void {
    this.check(offset, length);
    if (this.base === null) this.mapped!.fill(byte, offset, offset + length);
    else {
      const dest = this.base + BigInt(offset);
      if (drain) libpmem().pmem_memset_persist(dest, byte, length);
      else libpmem().pmem_memset_nodrain(dest, byte, length);
    }
    this.recordCopy(offset, Buffer.alloc(length, byte), drain);
  }

  private recordCopy(offset: number, data: Uint8Array, drain: boolean): void {
    this.recorder?.store(offset, data);
    this.recorder?.flushRange(offset, data.length);
    if (drain) this.recorder?.fence();
  }

  private store(offset: number, length: number, fill: (b: Buffer) => void, nonTemporal = false): void {
    const mem = this.bytes(offset, length);
    const target = mem.subarray(offset, offset + length);
    fill(target);
    this.recorder?.store(offset, target, nonTemporal);
  }

  private bytes(offset: number, length: number): Buffer {
    this.check(offset, length);
    return this.mapped!;
  }

  private check(offset: number, length: number): void {
    if (!this.mapped) throw new PoolError(`pool ${this.path} is closed`);
    if (
      !Number.isInteger(offset) ||
      !Number.isInteger(length) ||
      offset < 0 ||
      length < 0 ||
      offset + length > this.size
    ) {
      throw new PoolError(`range [${offset}, ${offset + length}) is outside pool ${this.path} of ${this.size} bytes`);
    }
  }
}
