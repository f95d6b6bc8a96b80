// `pmfit replay FILE`: re-run the check of a saved failure on the crash image stored in it, and
// say whether the failure still reproduces (exit 1) or is gone (exit 0). A file not signed by this
// user runs only after `--yes` or a yes at the terminal: it names a command or module to run.
import { createInterface } from 'node:readline/promises';
import { EXIT, UsageError } from '../../../core/support/errors.js';
import { renderSavedReplay, untrustedNotice } from '../../../reports/replay-report.js';
import { replaySaved } from '../../judge/replay.js';
import { loadSavedFailure, signingKeyPath } from '../../judge/saved-failures.js';

export async function replaySavedCommand(path: string, options: { timeoutMs: number; yes: boolean }): Promise<number> {
  const loaded = loadSavedFailure(path);
  if (!loaded.trusted && !options.yes) {
    const notice = untrustedNotice(path, loaded.saved.check, loaded.saved.image.bytes, signingKeyPath());
    if (!process.stdin.isTTY || !process.stderr.isTTY)
      throw new UsageError(`${notice.replace(/\n/g, ' ')} Give --yes to run it.`);
    process.stderr.write(`${notice}\n`);
    const prompt = createInterface({ input: process.stdin, output: process.stderr });
    const answer = await prompt.question('Run it? [y/N] ');
    prompt.close();
    if (!/^y(es)?$/i.test(answer.trim())) throw new UsageError(`${path}: not replayed`);
  }
  const record = await replaySaved(path, loaded.saved, loaded.image(), options.timeoutMs);
  process.stdout.write(renderSavedReplay(record));
  return record.verdict.status === 'consistent' ? EXIT.clean : EXIT.finding;
}
