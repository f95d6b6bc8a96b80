// `pmfit icount` parsed without yargs (harness/cli/icount-argv.ts) must hand its handler what yargs
// would, for every spelling it accepts; everything else it leaves to yargs.
import test from 'ava';
import yargs from 'yargs';
import { plainIcountArgv } from '../../../harness/cli/icount-argv.js';
import { icountBuilder, withPmfitParsing } from '../../../harness/cli/options.js';

/** What icountCommand and targetFrom read of their argv. */
const READ = [
  'pool',
  'size',
  'init',
  'from',
  'to',
  'ops-between',
  'trace-timeout',
  'user-code',
  'json',
  'timeout',
  '--',
];

function pick(argv: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(READ.filter((k) => argv[k] !== undefined).map((k) => [k, argv[k]]));
}

/** The argv main.ts's yargs gives the icount handler for these words. */
async function viaYargs(words: string[]): Promise<Record<string, unknown>> {
  let handed: Record<string, unknown> | undefined;
  await withPmfitParsing(yargs(['icount', ...words]))
    .command(
      'icount',
      '',
      (y) => icountBuilder(y),
      (argv) => {
        handed = argv as Record<string, unknown>;
      },
    )
    .fail((msg, err) => {
      throw err ?? new Error(msg);
    })
    .parseAsync();
  return pick(handed!);
}

const ACCEPTED: string[][] = [
  ['--pool', 'p', '--', './prog', 'run', '{pool}'],
  ['--json', '--pool', 'p', '--', 'prog', '0x10', '1e3', '007', '-x', '--', ''],
  ['--pool', 'p', '--size', '65536', '--init', './prog init {pool}', '--timeout', '5', '--', 'prog'],
  ['--from', 'f', '--to', 'g', '--ops-between', 'op', '--trace-timeout', '1000', '--pool', 'p', '--', 'prog'],
  ['--user-code', 'a/*', '--pool', '123', '--user-code', '*/b.so', '--json', '--', 'prog'],
  ['--pool', '', '--init', '', '--', 'prog'],
  // several pools: --pool is repeatable (an array either way)
  ['--pool', 'log=a', '--pool', 'data=b', '--json', '--', 'prog', '{log}', '{data}'],
];

test('the spellings it accepts give exactly what yargs gives', async (t) => {
  for (const words of ACCEPTED) {
    const plain = plainIcountArgv(words);
    t.truthy(plain, words.join(' '));
    t.deepEqual(pick(plain as unknown as Record<string, unknown>), await viaYargs(words), words.join(' '));
  }
});

test('anything else is left to yargs', (t) => {
  const others: string[][] = [
    ['--pool=p', '--', 'prog'],
    ['--pool', 'p'],
    ['--pool', 'p', '--'],
    ['--', 'prog'],
    ['--help'],
    ['--pool', 'p', '--json', '--json', '--', 'prog'],
    ['--pool', 'p', '--json', 'false', '--', 'prog'],
    ['--pool', 'p', '--size', '1e3', '--', 'prog'],
    ['--pool', 'p', '--size', '0', '--', 'prog'],
    ['--pool', 'p', '--timeout', '-5', '--', 'prog'],
    ['--pool', '-p', '--', 'prog'],
    ['--pool', 'p', '--user-code', 'a', 'b', '--', 'prog'],
    ['--pool', 'p', '--check', 'true', '--', 'prog'],
    ['-q', '--pool', 'p', '--', 'prog'],
  ];
  for (const words of others) t.is(plainIcountArgv(words), undefined, words.join(' '));
});
