// The one way a command line is built for a shell (a remote login shell over SSH, or `sh -c`): every word is
// quoted, so a string from a config or a result can never become shell syntax. Assumes a POSIX shell
// (sh, bash, zsh, dash) as the login shell, which is what HPC login nodes run.
import { InputError } from '../errors.js';

/** Words that need no quotes (kept bare so commands stay readable in logs and --dry-run output). */
const BARE = /^[A-Za-z0-9_@%+=:,./-]+$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** One word, exactly as given: single quotes, and each ' written as '\''. */
export function quoteWord(word: string): string {
  return word !== '' && BARE.test(word) ? word : singleQuoted(word);
}

function singleQuoted(word: string): string {
  if (word.includes('\0')) throw new InputError(`a shell word cannot contain a NUL byte: ${JSON.stringify(word)}`);
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

export interface CommandOptions {
  /** Folder to run in (`cd -- DIR &&`). */
  cwd?: string;
  /** Variables set for the command only (through `env`). */
  env?: Record<string, string>;
}

/** `argv` as one shell command line; names of environment variables are checked, values quoted. */
export function shellCommand(argv: readonly string[], opts: CommandOptions = {}): string {
  if (!argv.length) throw new InputError('empty command');
  const words: string[] = [];
  const env = Object.entries(opts.env ?? {});
  for (const [k] of env)
    if (!ENV_NAME.test(k)) throw new InputError(`bad environment variable name ${JSON.stringify(k)}`);
  if (env.length) words.push('env', ...env.map(([k, v]) => quoteWord(`${k}=${v}`)));
  // A bare NAME=value in command position would be an assignment, not a command: quote it.
  words.push(...argv.map((w, i) => (i === 0 && w.includes('=') ? singleQuoted(w) : quoteWord(w))));
  const line = words.join(' ');
  return opts.cwd !== undefined ? `cd -- ${quoteWord(opts.cwd)} && ${line}` : line;
}

/** `export NAME='value'` for a script (environment from a site profile). */
export function exportLine(name: string, value: string): string {
  if (!ENV_NAME.test(name)) throw new InputError(`bad environment variable name ${JSON.stringify(name)}`);
  return `export ${name}=${quoteWord(value)}`;
}

/** Removes terminal control characters from text that came from elsewhere before it is printed. */
export function printable(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this replaces
  return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, '�');
}
