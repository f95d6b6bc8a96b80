// A position-independent program that stores a pointer into itself in the pool (a function pointer,
// a vtable) gets one note: under the tracer it is loaded elsewhere than when its check runs. The
// same program built -no-pie does not.
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Report } from '../../core/api.js';
import { pmfit, tempDir } from '../helpers.js';

const SOURCE = `#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
static int callback(int x) { return x + 1; }
int main(int argc, char **argv) {
	if (argc != 2) return 2;
	int fd = open(argv[1], O_RDWR);
	uint64_t *pool = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (pool == MAP_FAILED) return 2;
	int (*volatile f)(int) = callback;
	pool[2] = 7;
	memcpy(&pool[1], (void *)&f, sizeof f);
	msync(pool, 4096, MS_SYNC);
	return 0;
}
`;

function noteOf(t: Parameters<typeof tempDir>[0], flags: string[]): string[] {
  const dir = tempDir(t);
  writeFileSync(join(dir, 'fp.c'), SOURCE);
  execFileSync('gcc', ['-O1', '-g', ...flags, '-o', join(dir, 'fp'), join(dir, 'fp.c')]);
  const json = join(dir, 'r.json');
  const r = pmfit([
    'check',
    '--pool',
    join(dir, 'p.pool'),
    '--size',
    '4096',
    '--check',
    'test -s {pool}',
    '--quiet',
    '--report',
    `json=${json}`,
    '--',
    join(dir, 'fp'),
    '{pool}',
  ]);
  t.is(r.status, 0, r.stderr);
  const report = JSON.parse(readFileSync(json, 'utf8')) as Report;
  return (report.results[0]!.notes ?? []).filter((n) => n.includes('into the pool, an address inside'));
}

test('a PIE program storing a function pointer in the pool gets one note naming the store', (t) => {
  const notes = noteOf(t, ['-pie', '-fPIE']);
  t.is(notes.length, 1, JSON.stringify(notes));
  t.regex(notes[0]!, /a store at .*fp\.c:\d+ \(#\d+\) wrote 0x[0-9a-f]+ into the pool/);
  t.regex(notes[0]!, /build it with -no-pie, or store offsets/);
});

test('the same program built -no-pie gets no such note', (t) => {
  t.deepEqual(noteOf(t, ['-no-pie', '-fno-pie']), []);
});
