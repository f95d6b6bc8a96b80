// Reading saved failures is bounded: a small file never inflates past the image size it declares.
import test from 'ava';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { FAILURE_FORMAT, loadSavedFailure } from '../../../harness/judge/saved-failures.js';

test('a 1 MB gzip bomb declaring a 4 KiB image is refused without inflating 1 GiB', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pmfit-test-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  // 1024 gzip members of 1 MiB of zeros each: about 1 MB on disk, 1 GiB inflated.
  const member = gzipSync(Buffer.alloc(1 << 20), { level: 9 });
  const bomb = Buffer.concat(Array.from({ length: 1024 }, () => member));
  t.true(bomb.length < 2 << 20, `${bomb.length} bytes`);
  const file = join(dir, 'bomb.pmfit-failure.json');
  writeFileSync(
    file,
    JSON.stringify({
      pmfitFailure: FAILURE_FORMAT,
      replayId: 'adr@1~ab12cd',
      scenario: 'list-append-buggy',
      model: 'adr',
      strategy: 'strict',
      oracle: 'exit',
      seed: '0',
      traceDigest: 'ab12cd',
      commandLine: 'pmfit run list-append-buggy',
      check: { kind: 'command', command: 'true {pool}' },
      accepted: [],
      finding: { crashPoint: 1, icountFrom: 1, icountTo: 1, lostStores: [], keptStores: [] },
      image: { bytes: 4096, sha256: '0'.repeat(64), gzipBase64: bomb.toString('base64') },
    }),
  );
  const loaded = loadSavedFailure(file);
  t.false(loaded.trusted, 'unsigned');
  const before = process.resourceUsage().maxRSS;
  t.throws(() => loaded.image(), { message: /does not match its digest/ });
  const grownKiB = process.resourceUsage().maxRSS - before;
  t.true(grownKiB < 256 * 1024, `peak memory grew by ${grownKiB} KiB`);
});
