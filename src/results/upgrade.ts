// Older record versions, upgraded on read so that every reader sees one shape (the current `RUN_SCHEMA`).
//
// fedbench.run/1 → /2: `details` gained its `kind` tag (the benchmark's kind; an inference run's details
// already carried their `scenario`), and `details`, `slurm` and `measurement.rules` became typed. A v1 record's
// values already have the v2 types (fedbench wrote them), so the upgrade only adds the tag and the version.
import { RUN_SCHEMA } from './record.js';

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

export const RUN_SCHEMA_V1 = 'fedbench.run/1';

/** Every version a reader accepts, oldest first. */
export const READABLE_RUN_SCHEMAS: readonly string[] = [RUN_SCHEMA_V1, RUN_SCHEMA];

/** The version a value claims, when it is one fedbench reads; else the current one (for messages). */
export function claimedRunSchema(value: unknown): string {
  const claimed = isObject(value) ? value['schema'] : undefined;
  return typeof claimed === 'string' && READABLE_RUN_SCHEMAS.includes(claimed) ? claimed : RUN_SCHEMA;
}

/**
 * A v1 record's details bag, tagged as v2 stores it: with the benchmark's kind, and an inference run's with its
 * scenario (which its details already carried; else the case's parameter).
 */
export function tagDetails(
  kind: unknown,
  details: Record<string, unknown>,
  params: Record<string, unknown> = {},
): Record<string, unknown> {
  const scenario = kind === 'inference' && details['scenario'] === undefined ? params['scenario'] : undefined;
  return { kind, ...details, ...(scenario !== undefined ? { scenario } : {}) };
}

/**
 * The value as a current record if it is an older version fedbench knows, else the value unchanged (the
 * validator then says what is wrong with it). Never mutates its argument.
 */
export function upgradeRecord(value: unknown): unknown {
  if (!isObject(value) || value['schema'] !== RUN_SCHEMA_V1) return value;
  const { details, ...rest } = value;
  const benchmark = isObject(rest['benchmark']) ? rest['benchmark'] : {};
  const params = isObject(benchmark['params']) ? benchmark['params'] : {};
  return {
    ...rest,
    schema: RUN_SCHEMA,
    ...(isObject(details)
      ? { details: tagDetails(benchmark['kind'], details, params) }
      : details === undefined
        ? {}
        : { details }),
  };
}
