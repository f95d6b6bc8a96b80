// A check slot presented with a sequence of images always holds exactly the image's bytes — compared
// with a full rebuild — while writing only the lines that differ; a check that wrote to the file
// (through a mapping, as recovery does), deleted it, or replaced it with a symlink never leaks into
// the next image, and the symlink's target is never written.
import test from 'ava';
import {
  existsSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import seedrandom from 'seedrandom';
import type { LineImage } from '../../../core/api.js';
import { Pool } from '../../../core/pool.js';
import { layOut } from '../../../core/pool-layout.js';
import { makeTempDir, removeTempDir } from '../../../core/support/temp-dir.js';
import { SlotImage, mtimeMovesOnMappedWrites } from '../../../harness/check/slot-image.js';
import { LineJournal, imageBytes, lineImage } from '../../../harness/engine/model/line-journal.js';

const LINES = 64;
const SIZE = LINES * 64;

function randomLine(rng: () => number): Uint8Array {
  return Uint8Array.from({ length: 64 }, () => Math.floor(rng() * 256));
}

/** A random image of `journal` after a few more changes, with a few overridden lines. */
function nextImage(rng: () => number, journal: LineJournal): LineImage {
  for (let i = Math.floor(rng() * 4); i > 0; i--) journal.record(Math.floor(rng() * LINES), randomLine(rng));
  const lines = [...new Set(Array.from({ length: Math.floor(rng() * 6) }, () => Math.floor(rng() * LINES)))].sort(
    (a, b) => a - b,
  );
  return lineImage(
    journal,
    SIZE,
    lines,
    lines.map(() => randomLine(rng)),
  );
}

/**
 * The slot directories to try: tmpfs (/dev/shm, where a check's mapped writes leave mtime alone and
 * every image is written whole), pmfit's temp dir, and the OS temp dir (a disk file system here).
 */
const DIRS: Array<[string, () => string, (dir: string) => void]> = [
  ...(existsSync('/dev/shm')
    ? ([['tmpfs', () => mkdtempSync('/dev/shm/pmfit-slot-test-'), (d) => rmSync(d, { recursive: true })]] as Array<
        [string, () => string, (dir: string) => void]
      >)
    : []),
  ['pmfit temp dir', () => makeTempDir('pmfit-slot-test-'), removeTempDir],
  ['os temp dir', () => mkdtempSync(join(tmpdir(), 'pmfit-slot-test-')), (d) => rmSync(d, { recursive: true })],
];

for (const [where, makeDir, removeDir] of DIRS) {
  test(`in the ${where}, a slot holds exactly each image of a sequence, whatever the checks did to its file`, (t) => {
    const dir = makeDir();
    try {
      const rng = seedrandom('slot-image');
      const initial = Buffer.alloc(SIZE);
      for (let i = 0; i < SIZE; i++) initial[i] = Math.floor(rng() * 256);
      const journal = new LineJournal(initial);
      const path = join(dir, 'slot.pool');
      const slot = new SlotImage(path);
      const userFile = join(dir, 'user.pool');
      const userBytes = Buffer.from('the user pool: never written by pmfit\n');
      writeFileSync(userFile, userBytes);
      const userMtime = statSync(userFile).mtimeMs;
      const held: LineImage[] = [];
      const disturbances = { wrote: 0, deleted: 0, symlinked: 0, whole: 0, trimmed: 0 };

      for (let round = 0; round < 300; round++) {
        // Mostly moving forward; sometimes an older image again (a check put back in the queue), or a
        // plain buffer (a reference image).
        const r = rng();
        const image: LineImage | Buffer =
          r < 0.05 && held.length > 0 && held[0]!.position >= journal.start
            ? held[Math.floor(rng() * held.length)]!
            : r < 0.08
              ? Buffer.from(randomLine(rng).buffer.slice(0, 64))
              : nextImage(rng, journal);
        if (!Buffer.isBuffer(image)) held.push(image);
        const expected = Buffer.isBuffer(image) ? image : imageBytes(image);
        if (Buffer.isBuffer(image) || image.position >= journal.start) {
          slot.present(image);
          t.deepEqual(readFileSync(path), expected, `round ${round}`);
        }

        // What the check does to the file this time.
        const what = rng();
        if (what < 0.1) {
          const pool = Pool.open(path);
          pool.writeU8(Math.floor(rng() * pool.size), 0xa5 ^ pool.readU8(0));
          pool.close();
          disturbances.wrote++;
        } else if (what < 0.14) {
          unlinkSync(path);
          disturbances.deleted++;
        } else if (what < 0.18) {
          unlinkSync(path);
          symlinkSync(userFile, path);
          disturbances.symlinked++;
        }
        slot.checked();
        if (rng() < 0.03) {
          journal.trim(journal.end - Math.floor(rng() * 5));
          while (held.length > 0 && held[0]!.position < journal.start) held.shift();
          disturbances.trimmed++;
        }
      }
      slot.close();
      t.deepEqual(readFileSync(userFile), userBytes, 'the symlink target is untouched');
      t.is(statSync(userFile).mtimeMs, userMtime);
      t.true(
        disturbances.wrote > 5 && disturbances.deleted > 3 && disturbances.symlinked > 3,
        JSON.stringify(disturbances),
      );
      t.true(slot.stats.recreated >= disturbances.deleted + disturbances.symlinked);
      t.log(`${where}: writes through a mapping seen: ${mtimeMovesOnMappedWrites(dir)}; ${JSON.stringify(slot.stats)}`);
    } finally {
      removeDir(dir);
    }
  });

  test(`in the ${where}, an image that differs in one line costs one line, not the file`, (t) => {
    const dir = makeDir();
    try {
      const journal = new LineJournal(Buffer.alloc(16 << 20));
      const slot = new SlotImage(join(dir, 'slot.pool'));
      const line = (byte: number) => new Uint8Array(64).fill(byte);
      slot.present(lineImage(journal, 16 << 20, [5], [line(1)]));
      slot.checked();
      t.is(slot.stats.whole, 1);
      const before = slot.stats.lines;
      journal.record(7, line(2));
      slot.present(lineImage(journal, 16 << 20, [9], [line(3)]));
      slot.checked();
      if (mtimeMovesOnMappedWrites(dir)) {
        // line 7 (durable change), line 5 restored, line 9 written: nothing else
        t.is(slot.stats.lines - before, 3);
        t.is(slot.stats.whole, 1);
      } else {
        // a check's writes could go unseen here: the image is written whole
        t.is(slot.stats.whole, 2);
      }
      const file = readFileSync(join(dir, 'slot.pool'));
      t.is(file.length, 16 << 20);
      t.deepEqual([file[5 * 64], file[7 * 64], file[9 * 64]], [0, 2, 3]);
      slot.close();
    } finally {
      removeDir(dir);
    }
  });
}

test('a slot of several pool files holds each file of every image, and names a poolset by its .set', (t) => {
  const dir = makeTempDir('pmfit-slot-test-');
  try {
    // three files side by side (no gap: each is a multiple of 4 KiB), so a run of changed lines
    // crosses from one file into the next and must be cut there
    const layout = layOut([
      { pool: 'log', size: 4096 },
      { pool: 'obj', part: 0, size: 4096, setHead: ['PMEMPOOLSET', 'OPTION SINGLEHDR'] },
      { pool: 'obj', part: 1, size: 4096 },
    ]);
    const rng = seedrandom('slot-files');
    const initial = Buffer.from(Uint8Array.from({ length: layout.size }, () => Math.floor(rng() * 256)));
    const journal = new LineJournal(initial);
    const path = join(dir, 'slot.pool');
    const slot = new SlotImage(path, layout);
    t.deepEqual(
      [...slot.placeholders],
      [
        ['log', `${path}.log`],
        ['obj', `${path}.obj.set`],
      ],
    );
    t.is(
      readFileSync(`${path}.obj.set`, 'utf8'),
      `PMEMPOOLSET\nOPTION SINGLEHDR\n4096 ${path}.obj.0\n4096 ${path}.obj.1\n`,
    );
    const lines = layout.size / 64;
    for (let round = 0; round < 100; round++) {
      for (let i = Math.floor(rng() * 6); i > 0; i--) journal.record(Math.floor(rng() * lines), randomLine(rng));
      // lines 63-64 and 127-128 straddle two files: always among the overridden ones
      const chosen = [63, 64, 127, 128, Math.floor(rng() * lines)];
      const overridden = [...new Set(chosen)].sort((a, b) => a - b);
      const image = lineImage(
        journal,
        layout.size,
        overridden,
        overridden.map(() => randomLine(rng)),
      );
      slot.present(image);
      slot.checked();
      const expected = imageBytes(image);
      for (const file of layout.files)
        t.deepEqual(
          readFileSync(`${path}.${file.name}`),
          expected.subarray(file.base, file.base + file.size),
          `round ${round}, ${file.name}`,
        );
    }
    t.true(slot.stats.lines > 0, 'later images were written as lines, not whole');
    slot.close();
  } finally {
    removeTempDir(dir);
  }
});
