// The scan of `pmfit icount` (icount/trace-scan.ts) on trace files written record by record, for the
// cases a real program rarely produces: which accesses are joined into one store before their
// aligned words are looked at (coalesceInstructionStores' rule: consecutive store events of one
// instruction — same pc, not 0, same icount, non-temporal flag and pool — with adjacent bytes), a
// record larger than the scan's read chunk, the range's bounds, window markers, a truncated file.
// The files are encoded here from docs/trace-format.md, independently of pmfit's own writer.
import test from 'ava';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { scanTrace } from '../../icount/trace-scan.js';
import { tempDir } from '../helpers.js';

const RANGE = { lo: 0x40_0000_1000, hi: 0x40_0000_2000 };
/** A pointer into the range, as the 8 bytes a store writes. */
const POINTER = u64Bytes(0x40_0000_1234);

function u64Bytes(value: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt(value));
  return b;
}

interface Rec {
  kind: number;
  flags?: number;
  icount?: number;
  pc?: number;
  payload?: Buffer;
}

/** A store record: `bytes` written at pool offset `offset` by the instruction at `pc`, count `icount`. */
function store(offset: number, bytes: Buffer, pc = 0x40_0000_0100, icount = 5, nonTemporal = false): Rec {
  return { kind: 1, flags: nonTemporal ? 1 : 0, icount, pc, payload: Buffer.concat([u64Bytes(offset), bytes]) };
}
const fence: Rec = { kind: 3 };
const frame: Rec = { kind: 8, flags: 1 };
const site: Rec = { kind: 6, flags: 2, pc: 0x40_0000_0100, payload: Buffer.from('callee') };
const marker = (flags: number): Rec => ({ kind: 5, flags, payload: Buffer.alloc(0) });

function traceHeader(): Buffer {
  return Buffer.from(
    JSON.stringify({
      formatVersion: 2,
      source: 'native',
      program: ['t'],
      pools: [{ id: 0, path: '/p', size: 1 << 22 }],
      window: 'auto',
    }),
  );
}

/** Writes a version-2 native trace of `records` (events numbered in order) and returns its path. */
function traceFile(dir: string, records: Rec[]): string {
  const header = traceHeader();
  const pre = Buffer.alloc(16);
  pre.write('PMFTRACE', 0, 'latin1');
  pre.writeUInt32LE(2, 8);
  pre.writeUInt32LE(header.length, 12);
  const parts = [pre, header];
  let seq = 0;
  for (const r of records) {
    const head = Buffer.alloc(32);
    const payload = r.payload ?? Buffer.alloc(0);
    head.writeUInt8(r.kind, 0);
    head.writeUInt8(r.flags ?? 0, 1);
    head.writeUInt32LE(payload.length, 4);
    head.writeBigUInt64LE(BigInt(r.kind <= 5 ? seq++ : 0), 8);
    head.writeBigUInt64LE(BigInt(r.icount ?? 0), 16);
    head.writeBigUInt64LE(BigInt(r.pc ?? 0), 24);
    parts.push(head, payload);
  }
  const path = join(dir, `t${Math.random().toString(36).slice(2)}.pmtrace`);
  writeFileSync(path, Buffer.concat(parts));
  return path;
}

/** The pointer split over accesses [0,3) and [3,8) of the pool, as byte slices. */
const low3 = POINTER.subarray(0, 3);
const high5 = POINTER.subarray(3, 8);
const filler = (n: number) => Buffer.alloc(n, 0x11);

const cases: [string, Rec[], boolean][] = [
  ['a pointer in one aligned store', [store(64, POINTER)], true],
  ['a value one past the range', [store(64, u64Bytes(RANGE.hi))], false],
  ['the range start itself', [store(64, u64Bytes(RANGE.lo))], true],
  ['a pointer at an unaligned place in one store (no pointer field sits there)', [store(4, POINTER)], false],
  [
    'a word completed by the last of four accesses of one instruction, an aligned one between them',
    [store(3, high5), store(8, filler(8)), store(16, filler(3)), store(0, low3)],
    true,
  ],
  [
    'the same with the aligned access from another instruction: the accesses are not consecutive',
    [store(3, high5), store(8, filler(8), 0x40_0000_0200), store(16, filler(3)), store(0, low3)],
    false,
  ],
  [
    'two halves of one instruction with a frame and a site record between',
    [store(3, high5), frame, site, store(0, low3)],
    true,
  ],
  ['two halves with a fence between', [store(3, high5), fence, store(0, low3)], false],
  ['two halves with pc 0', [store(3, high5, 0), store(0, low3, 0)], false],
  ['two halves of different icounts', [store(3, high5, undefined, 5), store(0, low3, undefined, 6)], false],
  ['two halves, one non-temporal', [store(3, high5, undefined, 5, true), store(0, low3)], false],
  ['two halves not adjacent', [store(3, high5), store(16, low3)], false],
  [
    'one 2 MiB store (a record larger than the read chunk) ending with the pointer',
    [store(0, Buffer.concat([filler(2 << 20), POINTER]))],
    true,
  ],
];

for (const [title, records, expected] of cases)
  test(`${title}: ${expected ? 'found' : 'none'}`, (t) => {
    t.is(scanTrace(traceFile(tempDir(t), records), RANGE).codePointer, expected);
  });

test('a held half at the end of the first read chunk is joined to the half in the next one', (t) => {
  // The scan reads 1 MiB at a time. A user marker (its name sized to the byte) and n 48-byte stores
  // put the first half's record (45 bytes) just before the end of that chunk and the second half's
  // across it; twice as many stores after them make the refill overwrite where the first half was read.
  const dir = tempDir(t);
  const room = (1 << 20) - 16 - traceHeader().length - 1 - 32 - 45;
  const n = Math.floor(room / 48);
  const name = Buffer.alloc(room - 48 * n, 0x61);
  const before = Array.from({ length: n }, (_, i) => store(8 * (i + 1), filler(8), 0x40_0000_0300, i + 100));
  const after = [...before, ...before].map((r, i) => ({ ...r, icount: i + n + 200 }));
  const userMarker = { ...marker(2), payload: name };
  const records = [userMarker, ...before, store(3, high5), store(0, low3), ...after];
  t.true(scanTrace(traceFile(dir, records), RANGE).codePointer);
});

test('no range asked about: no pointer looked for', (t) => {
  t.false(scanTrace(traceFile(tempDir(t), [store(64, POINTER)])).codePointer);
});

test('window markers: icount_start or icount_stop count, a user marker does not', (t) => {
  const dir = tempDir(t);
  t.true(scanTrace(traceFile(dir, [marker(0), store(64, filler(8))])).windowMarkers);
  t.true(scanTrace(traceFile(dir, [store(64, filler(8)), marker(1)])).windowMarkers);
  t.false(scanTrace(traceFile(dir, [marker(2), store(64, filler(8))])).windowMarkers);
  t.is(scanTrace(traceFile(dir, [])).header.window, 'auto');
});

test('a trace cut inside a record is refused as truncated, one that is not a trace as not one', (t) => {
  const dir = tempDir(t);
  const whole = traceFile(dir, [store(64, POINTER), fence]);
  const cut = join(dir, 'cut.pmtrace');
  const bytes = readFileSync(whole);
  writeFileSync(cut, bytes.subarray(0, bytes.length - 20));
  t.throws(() => scanTrace(cut, RANGE), { name: 'TraceFormatError', message: /truncated/ });
  writeFileSync(cut, 'not a trace at all');
  t.throws(() => scanTrace(cut, RANGE), { name: 'TraceFormatError', message: /not a pmfit trace/ });
});
