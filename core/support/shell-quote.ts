// Quoting for the command lines pmfit prints (replay commands), so they paste into a shell as-is.

const SAFE = /^[A-Za-z0-9_@%+=:,./-]+$/;

export function shellQuote(word: string): string {
  return SAFE.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** The pmfit command line of this process with `extra` inserted before any `--`. */
export function pmfitCommandWith(extra: string[], argv: readonly string[] = process.argv.slice(2)): string {
  const dashes = argv.indexOf('--');
  const before = dashes < 0 ? [...argv] : argv.slice(0, dashes);
  const after = dashes < 0 ? [] : argv.slice(dashes);
  const stripped = ['--replay', '--out', '--save-trace', '--report', '--shard'].reduce(dropOption, before);
  return ['pmfit', ...stripped, ...extra, ...after].map(shellQuote).join(' ');
}

/** Removes `--name VALUE` and `--name=VALUE` from an argument list. */
function dropOption(args: readonly string[], name: string): string[] {
  // --report may repeat and take one value each; the others take one value.
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === name) i++;
    else if (!args[i]!.startsWith(`${name}=`)) out.push(args[i]!);
  }
  return out;
}
