/** Bad input or usage: the CLI prints the message and exits with code 2. */
export class InputError extends Error {
  override name = 'InputError';
}

/** "did you mean" help for unknown names: lists the valid choices. */
export function unknownName(what: string, name: string, valid: readonly string[]): InputError {
  return new InputError(`unknown ${what} '${name}'. Valid ${what}s: ${valid.join(', ') || '(none)'}`);
}
