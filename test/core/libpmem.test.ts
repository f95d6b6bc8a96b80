// The libpmem binding against real pool files mapped by Debian's libpmem.
import test from 'ava';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { PMEM_FILE_CREATE, PMEM_FILE_EXCL, PMEM_MAJOR_VERSION, libpmem } from '../../core/libpmem.js';
import { tempDir } from '../helpers.js';

function mapNew(path: string, size: number) {
  const pmem = libpmem();
  const mapped = [0];
  const isPmem = [0];
  const addr = pmem.pmem_map_file(path, size, PMEM_FILE_CREATE, 0o600, mapped, isPmem);
  if (addr === null) throw new Error(pmem.pmem_errormsg());
  return { pmem, addr, mapped: mapped[0]!, isPmem: isPmem[0]! };
}

test('pmem_check_version accepts v1 and refuses a future major version with a reason', (t) => {
  const pmem = libpmem();
  t.is(pmem.pmem_check_version(PMEM_MAJOR_VERSION, 0), null);
  t.regex(pmem.pmem_check_version(99, 0) ?? '', /major version mismatch/);
});

test('pmem_map_file creates a file of the asked size and the mapping writes through to it', (t) => {
  const path = join(tempDir(t), 'pool');
  const { pmem, addr, mapped } = mapNew(path, 8192);
  t.is(mapped, 8192);
  const view = pmem.view(addr, mapped);
  view.write('persist me', 100, 'latin1');
  pmem.pmem_persist(addr + 100n, 10);
  t.is(pmem.pmem_msync(addr, 4096), 0);
  t.is(pmem.pmem_unmap(addr, mapped), 0);
  t.is(statSync(path).size, 8192);
  t.is(readFileSync(path).toString('latin1', 100, 110), 'persist me');
});

test('flush + drain, the memcpy/memmove/memset persist and nodrain variants all reach the file', (t) => {
  const path = join(tempDir(t), 'pool');
  const { pmem, addr, mapped } = mapNew(path, 4096);
  pmem.pmem_memcpy_persist(addr, Buffer.from('AAAA'), 4);
  pmem.pmem_memcpy_nodrain(addr + 4n, Buffer.from('BBBB'), 4);
  pmem.pmem_memmove_persist(addr + 8n, Buffer.from('CCCC'), 4);
  pmem.pmem_memmove_nodrain(addr + 12n, Buffer.from('DDDD'), 4);
  pmem.pmem_memset_persist(addr + 16n, 0x45, 4);
  pmem.pmem_memset_nodrain(addr + 20n, 0x46, 4);
  pmem.view(addr, mapped).write('GGGG', 24, 'latin1');
  pmem.pmem_flush(addr + 24n, 4);
  pmem.pmem_drain();
  t.true([0, 1].includes(pmem.pmem_has_hw_drain()));
  t.true([0, 1].includes(pmem.pmem_is_pmem(addr, mapped)));
  pmem.pmem_unmap(addr, mapped);
  t.is(readFileSync(path).toString('latin1', 0, 28), 'AAAABBBBCCCCDDDDEEEEFFFFGGGG');
});

test('a failed pmem_map_file returns null and pmem_errormsg says why', (t) => {
  const pmem = libpmem();
  const dir = tempDir(t);
  const missing = join(dir, 'no-such-dir', 'pool');
  t.is(pmem.pmem_map_file(missing, 4096, PMEM_FILE_CREATE, 0o600, [0], [0]), null);
  t.regex(pmem.pmem_errormsg(), /No such file or directory/);
  const existing = join(dir, 'pool');
  const first = mapNew(existing, 4096);
  first.pmem.pmem_unmap(first.addr, first.mapped);
  t.is(pmem.pmem_map_file(existing, 4096, PMEM_FILE_CREATE | PMEM_FILE_EXCL, 0o600, [0], [0]), null);
  t.regex(pmem.pmem_errormsg(), /exists/i);
  t.true(existsSync(existing));
});
