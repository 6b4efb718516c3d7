// Generated ONNX models are written once and reused: ResNet-50 is ~100 MB and takes seconds to build.
// The cache lives outside git: $FEDBENCH_CACHE, or .cache/fedbench/models under the working directory.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { writeFileAtomicSync } from '../../files.js';
import { buildOnnxModel, type GraphSpec } from '../../engines/onnx-model.js';

/** Bump when a builder changes what it writes, so stale cached files are not reused. */
const BUILDER_VERSION = 2; // 2: the BERT encoder takes an attention_mask

export function modelCacheDir(): string {
  return path.resolve(process.env.FEDBENCH_CACHE ?? path.join('.cache', 'fedbench', 'models'));
}

/** The file of a generated model for these parameters, building and writing it (atomically) if absent. */
export function cachedModel(
  name: string,
  key: Record<string, unknown>,
  build: () => GraphSpec,
): { file: string; cached: boolean } {
  const hash = createHash('sha256')
    .update(JSON.stringify({ name, key, v: BUILDER_VERSION }))
    .digest('hex')
    .slice(0, 16);
  const dir = modelCacheDir();
  const file = path.join(dir, `${name}-${hash}.onnx`);
  if (existsSync(file)) return { file, cached: true };
  writeFileAtomicSync(file, buildOnnxModel(build()));
  return { file, cached: false };
}
