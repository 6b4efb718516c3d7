// Errors shared by every layer: `InputError` (exit 2), the "unknown X, valid Xs" message, and the text of a caught value.
/** Bad input or usage: the CLI prints the message and exits with code 2. */
export class InputError extends Error {
  override name = 'InputError';
}

/** "did you mean" help for unknown names: lists the valid choices. */
export function unknownName(what: string, name: string, valid: readonly string[]): InputError {
  return new InputError(`unknown ${what} '${name}'. Valid ${what}s: ${valid.join(', ') || '(none)'}`);
}

/** What a caught value says: an Error's message, anything else as text; trimmed. */
export function errorText(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).trim();
}

/** The first line of errorText (engines' messages carry stacks and native detail below it). */
export function errorLine(err: unknown): string {
  return errorText(err).split('\n')[0]!.trim();
}
