// The libpmemobj client corpus (test/clients/) end to end under the QEMU tracer: every correct map
// has 0 findings under eadr and adr with the ops oracle, and every -DBUGGY twin is found under the
// model where its bug shows, with the finding naming the twin's buggy source line.
// Minutes long (see test/clients/README.md), so it runs only with PMFIT_CLIENTS=1 (`make clients`).
import test from 'ava';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Finding, ModelName, Report } from '../../core/api.js';
import { findingText } from '../../reports/format.js';
import { PMFIT_BIN, REPO, tempDir } from '../helpers.js';

const ENABLED = process.env.PMFIT_CLIENTS === '1';
const SKIPPED = ' (skipped: slow, set PMFIT_CLIENTS=1 or run make clients)';
const run = ENABLED ? test.serial : test.skip;
/** Eight keys inserted, two of them removed again: ten operations. */
const CLIENT_KEYS = ['8', '3', '5', '1', '7', '2', '6', '4', '-3', '-8'];
const POOL_SIZE = '8388608';
const MINUTES = 60_000;

interface ClientCase {
  map: string;
  /** The model under which the buggy twin's bug shows. */
  buggyModel: ModelName;
  /** The text of the buggy twin's faulty line, which the finding must name. */
  bugLine: string;
}

const CASES: ClientCase[] = [
  { map: 'ctree', buggyModel: 'eadr', bugLine: '*slot = node.oid;' },
  { map: 'hashmap-tx', buggyModel: 'eadr', bugLine: 'D_RW(e)->next = D_RO(nb)->head[h];' },
  { map: 'hashmap-atomic', buggyModel: 'eadr', bugLine: '*head = oid.off;' },
  { map: 'list-atomic', buggyModel: 'adr', bugLine: 'memcpy(e->name, name, LA_NAME_LEN);' },
];

const prog = (name: string) => join(REPO, 'build', 'clients', name);

/** `test/clients/MAP.c:N`, N the 1-based line of the source that contains `text`. */
function sourceLine(map: string, text: string): string {
  const file = `test/clients/${map}.c`;
  const index = readFileSync(join(REPO, file), 'utf8')
    .split('\n')
    .findIndex((line) => line.includes(text));
  if (index < 0) throw new Error(`${file} has no line with ${text}`);
  return `${file}:${index + 1}`;
}

/** Every source location a finding names: the event before the crash and its lost and kept stores. */
function sites(f: Finding): string[] {
  return [f.lastEvent?.site ?? '', ...f.lostStores.map((s) => s.site ?? ''), ...f.keptStores.map((s) => s.site ?? '')];
}

/** `pmfit check` of one client under the models, with the JSON report. */
async function check(
  dir: string,
  name: string,
  models: ModelName[],
): Promise<{ status: number | null; report: Report }> {
  const json = join(dir, `${name}.json`);
  const args = [
    PMFIT_BIN,
    'check',
    '--pool',
    join(dir, `${name}.pool`),
    '--size',
    POOL_SIZE,
    '--init',
    `${prog(name)} init {pool}`,
    '--oracle',
    'ops',
    '--check',
    `${prog(name)} check {pool}`,
    ...models.flatMap((m) => ['--model', m]),
    '--quiet',
    '--report',
    `json=${json}`,
    '--',
    prog(name),
    'op',
    '{pool}',
    ...CLIENT_KEYS,
  ];
  const r = await new Promise<{ status: number | null; stderr: string }>((resolve) => {
    execFile(
      process.execPath,
      args,
      { cwd: REPO, timeout: 30 * MINUTES, maxBuffer: 64 << 20 },
      (err, _stdout, stderr) => {
        const code = err && typeof err.code === 'number' ? err.code : err ? null : 0;
        resolve({ status: code, stderr });
      },
    );
  });
  if (!existsSync(json)) throw new Error(`no report (exit ${r.status}): ${r.stderr}`);
  return { status: r.status, report: JSON.parse(readFileSync(json, 'utf8')) as Report };
}

for (const { map, buggyModel, bugLine } of CASES) {
  run(`${map}: 0 findings under eadr and adr${ENABLED ? '' : SKIPPED}`, async (t) => {
    t.timeout(40 * MINUTES);
    const { status, report } = await check(tempDir(t), map, ['eadr', 'adr']);
    t.is(status, 0, JSON.stringify(report.findings.slice(0, 2), null, 2));
    t.deepEqual(
      report.results.map((r) => [r.model, r.summary.verdict, r.summary.findings]),
      [
        ['eadr', 'consistent', 0],
        ['adr', 'consistent', 0],
      ],
    );
    for (const r of report.results) {
      t.true(r.summary.crashPoints > 100, `${r.model}: ${r.summary.crashPoints} crash points`);
      t.log(
        `${map} ${r.model}/${r.strategy}: ${r.summary.crashPoints} crash points, ${r.summary.images} images, ${r.summary.distinctImages} distinct, ${(r.summary.wallMs / 1000).toFixed(1)} s`,
      );
    }
  });

  const title = buggyModel === 'adr' ? 'found under adr only' : `found under ${buggyModel}`;
  run(`${map}-buggy: ${title}, naming its own source line${ENABLED ? '' : SKIPPED}`, async (t) => {
    t.timeout(40 * MINUTES);
    const line = sourceLine(map, bugLine);
    // a bug that only adr shows is also checked under eadr, where it must not show
    const models: ModelName[] = buggyModel === 'adr' ? ['eadr', 'adr'] : [buggyModel];
    const { status, report } = await check(tempDir(t), `${map}-buggy`, models);
    t.is(status, 1);
    t.deepEqual(
      report.results.map((r) => [r.model, r.summary.verdict]),
      models.map((m) => [m, m === buggyModel ? 'inconsistent' : 'consistent']),
    );
    const found = report.findings.filter((f) => f.model === buggyModel);
    t.is(found.length, report.findings.length);
    const naming = found.filter((f) => sites(f).some((s) => s.endsWith(line)));
    t.true(naming.length > 0, `no finding names ${line}: ${JSON.stringify(found[0], null, 2)}`);
    t.log(`${map}-buggy ${buggyModel}: ${found.length} finding(s), ${naming.length} naming ${line}`);
    t.log(`first: ${findingText(found[0]!)}`);
  });
}
