// The heap setting that keeps a workload's freed output buffers for reuse: checked by what it is for, fewer
// page faults when buffers of an engine's output size are dropped and garbage-collected later, in a fresh
// process each (the setting is process-wide and cannot be undone).
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../cli/run-cli.js';

const ALLOCATOR = path.join(ROOT, 'dist/measure/allocator.js');

// 3,000 outputs of 1 MiB, each filled and dropped, as onnxruntime-node hands out a GEMM n=512's output.
const DROP_OUTPUTS = `
const tuned = process.argv[1] === 'tuned' ? (await import(${JSON.stringify(ALLOCATOR)})).keepFreedMemoryInHeap() : null;
const before = process.resourceUsage().minorPageFault;
let sink = 0;
for (let i = 0; i < 3000; i++) { const out = new Float32Array(256 * 1024); out.fill(i); sink += out[i]; }
console.log(JSON.stringify({ faults: process.resourceUsage().minorPageFault - before, tuned, sink }));
`;

async function pageFaults(
  mode: 'default' | 'tuned',
  env: NodeJS.ProcessEnv = {},
): Promise<{ faults: number; tuned: string | null }> {
  const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', DROP_OUTPUTS, mode], {
    env: { ...process.env, FEDBENCH_HEAP: '', ...env },
  });
  return JSON.parse(stdout) as { faults: number; tuned: string | null };
}

describe.runIf(process.platform === 'linux')('keepFreedMemoryInHeap', () => {
  it('says what it set, and dropped output buffers are reused instead of faulted in again; FEDBENCH_HEAP=default opts out', async () => {
    const plain = await pageFaults('default');
    const kept = await pageFaults('tuned');
    const optedOut = await pageFaults('tuned', { FEDBENCH_HEAP: 'default' });
    expect(kept.tuned).toMatch(/^glibc [\d.]+: freed memory kept in the heap \(mallopt M_MMAP_THRESHOLD=32 MiB/);
    expect(optedOut.tuned).toBe('default (FEDBENCH_HEAP=default)');
    // Measured here: 40,000–44,000 faults with glibc's defaults, ~9,000 with the setting (counts, not times; how
    // many depends a little on when V8 collects): a third is a wide margin.
    expect(kept.faults).toBeLessThan(plain.faults / 3);
    expect(optedOut.faults).toBeGreaterThan(kept.faults * 3);
  });
});
