// `pmfit icount` without yargs, for its plain spellings: `--json`, `--NAME VALUE` of its own options
// and `-- PROGRAM ARGS`. Loading yargs and building the command tree costs more CPU than tracing a
// small program (~0.1 s of ~0.5 s, bench/compare.ts), and icount is the command meant to cost
// little more than the tracer. Anything else — `--NAME=VALUE`, --help, an unknown or repeated
// option, a missing value or --pool, a number yargs would read differently, a value it would take
// for an option — is left to yargs (undefined here), which parses it and words every error, so the
// two can only differ on what this accepts; test/harness/cli/icount-argv.test.ts holds them equal.
import { DEFAULTS, checkArgv } from './options.js';
import type { NativeArgs } from './commands/native-options.js';

export type IcountArgv = NativeArgs & { json: boolean; timeout: number; 'trace-timeout': number };

const TEXT_OPTIONS = new Set(['init', 'from', 'to', 'ops-between']);
const NUMBER_OPTIONS = new Set(['size', 'timeout', 'trace-timeout']);
/** Whole numbers as yargs reads them too: no sign, exponent, hex or leading zeros. */
const PLAIN_NUMBER = /^(0|[1-9]\d{0,14})$/;

/** The argv yargs would hand icount's handler for `words` (after `icount`), or undefined. */
export function plainIcountArgv(words: readonly string[]): IcountArgv | undefined {
  const end = words.indexOf('--');
  if (end < 0 || end === words.length - 1) return undefined;
  const argv: Record<string, unknown> = {};
  for (let i = 0; i < end; i++) {
    const word = words[i]!;
    if (!word.startsWith('--')) return undefined;
    const name = word.slice(2);
    if (name === 'json') {
      if (argv.json !== undefined) return undefined;
      argv.json = true;
      continue;
    }
    const value = words[i + 1];
    // a value that looks like an option is one to yargs
    if (i + 1 >= end || value === undefined || value.startsWith('-')) return undefined;
    i++;
    // repeatable, and an array to yargs even once (--pool NAME=FILE: several pools)
    if (name === 'user-code' || name === 'pool') argv[name] = [...((argv[name] as string[] | undefined) ?? []), value];
    else if (argv[name] !== undefined) return undefined;
    else if (TEXT_OPTIONS.has(name)) argv[name] = value;
    else if (NUMBER_OPTIONS.has(name) && PLAIN_NUMBER.test(value)) argv[name] = Number(value);
    else return undefined;
  }
  if (argv.pool === undefined) return undefined;
  try {
    checkArgv(argv);
  } catch {
    return undefined;
  }
  return {
    ...argv,
    json: argv.json === true,
    timeout: (argv.timeout as number | undefined) ?? DEFAULTS.initTimeoutMs,
    'trace-timeout': (argv['trace-timeout'] as number | undefined) ?? DEFAULTS.traceTimeoutMs,
    '--': words.slice(end + 1),
  } as IcountArgv;
}
