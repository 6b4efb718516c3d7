// What a suite file may contain. Parameters are checked against each workload's own schema at load time.
import { z } from 'zod';
import { ENGINE_NAMES } from '../engines/types.js';

const seconds = z.number().positive();

/** Fields a benchmark may have only with `workload: command`. */
export const COMMAND_FIELDS = [
  'command',
  'metric',
  'samples',
  'warmup',
  'timeout',
  'cwd',
  'markers',
  'requires',
  'as',
] as const;

export const stopSchema = z.strictObject({
  warmup: z
    .strictObject({
      minIterations: z.number().int().min(0).optional(),
      minSeconds: z.number().min(0).optional(),
      maxSeconds: seconds.optional(),
      window: z.number().int().min(2).optional(),
      stableCv: z.number().positive().optional(),
    })
    .optional(),
  minSamples: z.number().int().min(1).optional(),
  maxSamples: z.number().int().min(1).optional(),
  minSeconds: z.number().min(0).optional(),
  maxSeconds: seconds.optional(),
  targetNoise: z.number().positive().max(1).optional(),
  minSampleSeconds: z.number().min(0).optional(),
});

const scalar = z.union([z.number(), z.string(), z.boolean()]);

/** `onnxruntime`, or `onnxruntime:cpu` to pin the provider / backend. */
export const engineRef = z.string().regex(new RegExp(`^(${ENGINE_NAMES.join('|')})(:[a-z0-9-]+)?$`), {
  message: `expected an engine name (${ENGINE_NAMES.join(', ')}), optionally with ':backend'`,
});

export const benchmarkSchema = z.strictObject({
  id: z.string().regex(/^[a-z0-9][a-z0-9._-]*$/, {
    message: 'expected lower-case letters, digits, . _ - (starting with a letter or digit)',
  }),
  workload: z.string(),
  description: z.string().optional(),
  engines: z.array(engineRef).min(1).optional(),
  /** Each value is one value or a list; lists expand to the cartesian product. */
  params: z.record(z.string(), z.union([scalar, z.array(scalar).min(1)])).default({}),
  stop: stopSchema.optional(),
  seed: z.number().int().optional(),
  // `workload: command` only, checked by the command workload's own schema (src/workloads/command/spec.ts)
  command: z.unknown().optional(),
  metric: z.unknown().optional(),
  samples: z.unknown().optional(),
  warmup: z.unknown().optional(),
  timeout: z.unknown().optional(),
  cwd: z.unknown().optional(),
  markers: z.unknown().optional(),
  requires: z.unknown().optional(),
  as: z.unknown().optional(),
});

export const suiteSchema = z.strictObject({
  name: z.string().min(1),
  description: z.string().optional(),
  engines: z.array(engineRef).min(1).optional(),
  stop: stopSchema.optional(),
  benchmarks: z.array(benchmarkSchema).min(1),
});

export type SuiteFile = z.infer<typeof suiteSchema>;
export type BenchmarkSpec = z.infer<typeof benchmarkSchema>;
