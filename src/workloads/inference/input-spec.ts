// Inputs of an ONNX model and the concrete shapes to run it with. Dynamic dimensions come from the user
// (`--input NAME=DIMS`, or `inputs: { NAME: DIMS }` in a suite); every mismatch is an error that names the
// model file, the input and the shape the model expects.
import { InputError, errorText } from '../../errors.js';

/** An input as the model declares it: numbers are fixed sizes, strings (possibly empty) are dynamic. */
export interface ModelInput {
  name: string;
  type: string;
  shape: Array<number | string>;
}

/** An input as it will be fed. */
export interface FeedSpec {
  name: string;
  type: FeedType;
  dims: number[];
  /** Every element gets this value (e.g. a sample rate); otherwise seeded random data. */
  fill?: number;
  /** Integer inputs: random values in [0, intRange). */
  intRange?: number;
}

export const FEED_TYPES = ['float32', 'float16', 'int64', 'int32', 'bool'] as const;
export type FeedType = (typeof FEED_TYPES)[number];

export interface ParsedSpec {
  dims: number[];
  fill?: number;
}

const isDynamic = (d: number | string) => typeof d === 'string' || d < 0;
export const shapeText = (shape: ReadonlyArray<number | string>) =>
  `[${shape.map((d) => (isDynamic(d) ? (typeof d === 'string' && d ? d : '?') : String(d))).join(', ')}]`;

/** `1x3x224x224`, `scalar`, optionally `=VALUE` to fill the input with one number (e.g. `sr=scalar=16000`). */
export function parseDims(text: string, what: string): ParsedSpec {
  const [dimsText, fillText, extra] = text.trim().split('=');
  if (extra !== undefined || !dimsText)
    throw new InputError(`${what}: expected DIMS or DIMS=VALUE (e.g. 1x3x224x224, scalar=16000), got '${text}'`);
  const dims = dimsText === 'scalar' ? [] : dimsText.split(/[x×]/).map((d) => Number(d));
  if (dims.some((d) => !Number.isInteger(d) || d < 1))
    throw new InputError(
      `${what}: dimensions must be positive integers separated by 'x' (e.g. 1x3x224x224) or 'scalar', got '${dimsText}'`,
    );
  if (fillText === undefined) return { dims };
  const fill = Number(fillText);
  if (fillText === '' || !Number.isFinite(fill))
    throw new InputError(`${what}: the value after '=' must be a number, got '${fillText}'`);
  return { dims, fill };
}

/** `NAME=DIMS[=VALUE]` from the command line. */
export function parseInputOption(text: string): [string, string] {
  const at = text.indexOf('=');
  if (at < 1) throw new InputError(`--input: expected NAME=DIMS (e.g. pixel_values=1x3x224x224), got '${text}'`);
  return [text.slice(0, at), text.slice(at + 1)];
}

/**
 * Concrete feeds for a model. `batch`, when given, replaces the model's batch dimension: the first dimension
 * of the first input when it is dynamic, and every dimension that shares its name in the other inputs.
 */
export function resolveFeeds(
  file: string,
  inputs: readonly ModelInput[],
  specs: Record<string, string>,
  batch: number | null,
): FeedSpec[] {
  const expected = () => inputs.map((i) => `${i.name} ${shapeText(i.shape)} ${i.type}`).join('; ');
  const unknown = Object.keys(specs).filter((n) => !inputs.some((i) => i.name === n));
  if (unknown.length)
    throw new InputError(
      `${file}: the model has no input named ${unknown.map((n) => `'${n}'`).join(', ')}. Its inputs: ${expected()}`,
    );
  const first = inputs[0]?.shape[0];
  const batchName = first !== undefined && isDynamic(first) ? String(first) : null;
  const problems: string[] = [];
  const feeds: FeedSpec[] = [];
  for (const input of inputs) {
    if (!(FEED_TYPES as readonly string[]).includes(input.type)) {
      problems.push(`input '${input.name}' is of type ${input.type}: fedbench can feed ${FEED_TYPES.join(', ')}`);
      continue;
    }
    const given = specs[input.name];
    let parsed: ParsedSpec;
    try {
      parsed =
        given !== undefined
          ? parseDims(given, `${file}: input '${input.name}'`)
          : { dims: input.shape.map((d) => (isDynamic(d) ? NaN : (d as number))) };
    } catch (err) {
      problems.push(errorText(err));
      continue;
    }
    const dims = [...parsed.dims];
    const isBatchDim = (d: number | string, k: number) =>
      batchName !== null && isDynamic(d) && (batchName !== '' ? d === batchName : input === inputs[0] && k === 0);
    if (batch !== null)
      input.shape.forEach((d, k) => {
        if (isBatchDim(d, k) && k < dims.length) dims[k] = batch;
      });
    const fits =
      dims.length === input.shape.length &&
      input.shape.every((d, k) => (isDynamic(d) ? Number.isInteger(dims[k]) : dims[k] === d));
    if (!fits) {
      const how =
        given === undefined ? `it has dynamic dimensions: give them with --input ${input.name}=DIMS` : `got ${given}`;
      problems.push(
        `input '${input.name}' expects shape ${shapeText(input.shape)} (rank ${input.shape.length}, ${input.type}): ${how}`,
      );
      continue;
    }
    feeds.push({
      name: input.name,
      type: input.type as FeedType,
      dims,
      ...(parsed.fill !== undefined ? { fill: parsed.fill } : {}),
    });
  }
  if (batch !== null && batch > 1 && batchName === null)
    problems.push(
      `the model has no dynamic batch dimension (first input ${inputs[0] ? shapeText(inputs[0].shape) : '[]'}): batch ${batch} cannot be applied`,
    );
  if (problems.length) throw new InputError(`${file}: ${problems.join('; ')}`);
  return feeds;
}
