// `pmfit icount --pool FILE -- PROGRAM ARGS`: the instruction count of the snippet (between the
// icount markers, or the whole run) and its pool stores, flushes, fences and non-temporal stores.
import { EXIT } from '../../../core/support/errors.js';
import { checkTarget, prepareWorkingPool } from '../../../icount/target.js';
import { countTarget } from '../../../icount/count-target.js';
import { makeTempDir, removeTempDir } from '../../../core/support/temp-dir.js';
import { targetFrom, type NativeArgs } from './native-options.js';

export async function icountCommand(argv: NativeArgs & { json: boolean; timeout: number }): Promise<number> {
  const target = targetFrom(argv);
  const binary = checkTarget(target);
  const dir = makeTempDir();
  try {
    const working = await prepareWorkingPool(target, dir, argv.timeout);
    const { summary, notes, wholeRunNote } = await countTarget(target, binary, working, dir);
    for (const note of [...notes, ...(wholeRunNote ? [wholeRunNote] : [])])
      process.stderr.write(`pmfit: note: ${note}\n`);
    const counts = {
      instructions: summary.instructions,
      stores: summary.stores,
      flushes: summary.flushes,
      fences: summary.fences,
      ntStores: summary.ntStores,
    };
    if (argv.json) process.stdout.write(`${JSON.stringify(counts)}\n`);
    else {
      process.stdout.write(`Total instruction count: ${counts.instructions}\n`);
      process.stdout.write(
        `pool stores: ${counts.stores} (non-temporal: ${counts.ntStores}), flushes: ${counts.flushes}, fences: ${counts.fences}\n`,
      );
    }
    return EXIT.clean;
  } finally {
    removeTempDir(dir);
  }
}
