// Reference values for acceptance (`fedbench validate --references FILE`), ReFrame-style: a value with
// tolerances, optionally per engine, device model or site.
import { existsSync, readFileSync } from 'node:fs';
import { z } from 'zod';
import { InputError } from '../errors.js';
import { loadYamlAs } from '../yaml.js';

export const referenceSchema = z.strictObject({
  benchmark: z.string(),
  /** Only cases whose parameters include these values. */
  params: z.record(z.string(), z.union([z.number(), z.string(), z.boolean()])).optional(),
  /** `onnxruntime` or `onnxruntime/cuda`. */
  engine: z.string().optional(),
  /** Substring of a GPU model name in the record (e.g. "A100-SXM4-40GB"), or of the CPU model when the record has no GPU. */
  device: z.string().optional(),
  site: z.string().optional(),
  /** Judge the busbw at this message size (bytes, as nccl-tests counts them) from the case's table, unit GB/s. */
  busbwAt: z.number().int().positive().optional(),
  /** Judge the scaling efficiency T(N) / (N × T(1)) at the case's world against its sweep's one-rank case, unit ratio. */
  efficiency: z.literal(true).optional(),
  value: z.number(),
  unit: z.string(),
  tolerance: z.strictObject({ rel: z.number().min(0).optional(), abs: z.number().min(0).optional() }).default({}),
  /** Also fail results that are too good (a broken timer looks fast). */
  twoSided: z.boolean().default(false),
  note: z.string().optional(),
});
export const referencesFileSchema = z.strictObject({
  references: z
    .array(
      referenceSchema.refine((r) => !(r.busbwAt && r.efficiency), {
        message: 'give busbwAt or efficiency, not both (neither: the case figure)',
      }),
    )
    .min(1),
});
export type Reference = z.infer<typeof referenceSchema>;

export function loadReferences(file: string): Reference[] {
  if (!existsSync(file)) throw new InputError(`references file not found: ${file}`);
  return loadYamlAs(readFileSync(file, 'utf8'), file, referencesFileSchema).data.references;
}
