// Why a command failed, in one line for a message. A Node.js crash prints the source line, the exception,
// its stack and properties, then a version footer: the user needs the exception, not the footer.

/** `TypeError: …`, `Error [ERR_MODULE_NOT_FOUND]: …`, `DOMException [AbortError]: …` */
const EXCEPTION = /^[A-Za-z]*(?:Error|Exception)(?: \[\w+\])?: /;
const STACK_FRAME = /^\s+at /;
/** Lines of a crash report that never say why: stack frames, the caret, the footer and Node's hint. */
const NOISE = [STACK_FRAME, /^\s*\^+\s*$/, /^Node\.js v\d/, /^\(Use `node --trace-/];

/** The exception's message (up to 3 lines) of a Node.js crash; otherwise the last line that says something. */
export function failureReason(output: string): string {
  const lines = output.split('\n').map((l) => l.trimEnd());
  const head = lines.findIndex((l) => EXCEPTION.test(l));
  if (head >= 0) {
    const end = lines.findIndex((l, i) => i > head && (!l.trim() || STACK_FRAME.test(l)));
    return lines
      .slice(head, end < 0 ? undefined : end)
      .slice(0, 3)
      .join(' ');
  }
  return (
    lines
      .filter((l) => l.trim() && !NOISE.some((re) => re.test(l)))
      .at(-1)
      ?.trim() ?? ''
  );
}
