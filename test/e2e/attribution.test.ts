// Every lost store of a native finding names the user's line, including those made inside libc on
// the user's behalf (memcpy called at binarytree.c:124): issue 10, "the user's line".
import test from 'ava';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Report } from '../../core/api.js';
import { pmfit, tempDir } from '../helpers.js';

test('run native/binarytree-buggy --model adr: every lost store names a line of binarytree.c', (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'report.json');
  const r = pmfit(['run', 'native/binarytree-buggy', '--model', 'adr', '--quiet', '--report', `json=${path}`]);
  t.is(r.status, 1, r.stderr);
  const report = JSON.parse(readFileSync(path, 'utf8')) as Report;
  t.true(report.findings.length > 0);
  const lost = report.findings.flatMap((f) => f.lostStores);
  t.true(lost.length > 0);
  for (const store of lost) t.regex(store.site ?? `pc ${store.pc}`, /scenarios\/native\/binarytree\.c:\d+$/);
  // the word itself is copied by libc's memcpy: the user's memcpy line, and the function named
  const copied = lost.filter((s) => s.via !== undefined);
  t.true(copied.length > 0, 'some lost stores were made inside memcpy');
  for (const store of copied) t.is(store.via, 'memcpy');
  t.is(new Set(copied.map((s) => s.site)).size, 1, 'all at the one memcpy line');
});

test('a TS scenario run from another directory names its lines by absolute path, never ../', (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'report.json');
  const r = pmfit(['run', 'list-append-buggy', '--model', 'adr', '--quiet', '--report', `json=${path}`], { cwd: dir });
  t.is(r.status, 1, r.stderr);
  const report = JSON.parse(readFileSync(path, 'utf8')) as Report;
  const sites = report.findings.flatMap((f) => f.lostStores.map((s) => s.site ?? ''));
  t.true(sites.length > 0);
  for (const site of sites) t.regex(site, /^\/.*\/scenarios\/[a-z-]+\.ts:\d+:\d+$/);
});
