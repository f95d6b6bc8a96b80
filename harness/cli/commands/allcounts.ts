// `pmfit allcounts --pool FILE --check CMD -- PROGRAM ARGS`: the seed's allcounts from ONE traced
// run. A crash after i instructions (a killed process whose mapped pool keeps every store it made:
// the eadr model) is simulated at every crash point, CMD runs on each image, and identical outputs
// are collated into instruction ranges: "Output for iterations: 1-17,20".
import { formatRanges } from '../../../reports/ranges.js';
import { EXIT } from '../../../core/support/errors.js';
import { checkNative } from '../native-runner.js';
import { pmfitCommandWith, shellQuote } from '../../../core/support/shell-quote.js';
import { crashPointAt, eventRef } from '../../engine/crash-points.js';
import { eventText } from '../../../reports/format.js';
import { defaultSettings } from '../options.js';
import { checkCommandOf, targetFrom, type NativeArgs } from './native-options.js';

type AllcountsArgs = NativeArgs & {
  check: string;
  jobs: number;
  'dry-run': boolean;
  verbose: boolean;
  timeout: number;
};

export async function allcountsCommand(argv: AllcountsArgs): Promise<number> {
  const target = targetFrom(argv);
  const check = checkCommandOf(argv);
  if (argv['dry-run']) {
    process.stdout.write(
      `would trace: ${[target.program, ...target.args].map(shellQuote).join(' ')}  (on a private copy of ${target.pools.map((p) => p.path).join(', ')})\n`,
    );
    process.stdout.write(`would run at every crash point: ${check}  ({pool} = that crash image)\n`);
    return EXIT.clean;
  }
  const { traced, results } = await checkNative(target, {
    ...defaultSettings(argv.jobs, argv.timeout),
    name: target.program,
    check,
    oracle: 'collate',
    models: ['eadr'],
    replayCommand: (id) => pmfitCommandWith(['--replay', id]),
  });
  const result = results[0]!;
  const out = [`Total instruction count: ${traced.summary.instructions}`];
  if (argv.verbose)
    out.push(`${result.summary.crashPoints} crash points, ${result.summary.distinctImages} distinct images checked`);
  for (const group of result.groups) {
    out.push(`Output for iterations: ${formatRanges(group.iterations)}`);
    out.push(group.output.replace(/\n$/, ''));
  }
  if (argv.verbose) {
    out.push('', 'crash points:');
    for (let i = 0; i <= traced.trace.events.length; i++) {
      const p = crashPointAt(traced.trace.events, i);
      out.push(
        `  ${p.icountFrom}-${p.icountTo}: after ${p.lastEvent ? eventText(eventRef(p.lastEvent)) : 'the start'}`,
      );
    }
  }
  process.stdout.write(`${out.join('\n')}\n`);
  return EXIT.clean;
}
