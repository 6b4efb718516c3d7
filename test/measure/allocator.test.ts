// The heap setting that keeps a workload's freed output buffers for reuse, checked by what fedbench controls: that
// glibc really takes it (a 1 MiB block, the size of a GEMM n=512's output, comes from the heap instead of its own
// mmap, and stays in the heap once freed), that the record says so, and that FEDBENCH_HEAP=default leaves glibc's
// defaults. Each case runs in a fresh process: the setting is process-wide and cannot be undone. What the setting
// saves in page faults and time depends on the machine and on when V8 collects: `npm run bench:binding` measures it.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../cli/run-cli.js';

const ALLOCATOR = path.join(ROOT, 'dist/measure/allocator.js');
const KOFFI = path.join(ROOT, 'node_modules/koffi/index.js');

// glibc's own account of its heap (mallinfo2) around one malloc and free of 1 MiB.
const ONE_BLOCK = `
const { default: koffi } = await import(${JSON.stringify(KOFFI)});
const said = process.argv[1] === 'tuned' ? (await import(${JSON.stringify(ALLOCATOR)})).keepFreedMemoryInHeap() : null;
const libc = koffi.load('libc.so.6');
const fields = ['arena', 'ordblks', 'smblks', 'hblks', 'hblkhd', 'usmblks', 'fsmblks', 'uordblks', 'fordblks', 'keepcost'];
koffi.struct('mallinfo2', Object.fromEntries(fields.map((f) => [f, 'size_t'])));
const mallinfo2 = libc.func('mallinfo2 mallinfo2(void)');
const malloc = libc.func('void *malloc(size_t)');
const free = libc.func('void free(void *)');
const before = mallinfo2();
const block = malloc(1 << 20);
const held = mallinfo2();
free(block);
const after = mallinfo2();
console.log(JSON.stringify({ said, ownMmapBytes: Number(held.hblkhd) - Number(before.hblkhd), freeInHeapAfter: Number(after.fordblks) }));
`;

interface Observed {
  said: string | null;
  ownMmapBytes: number;
  freeInHeapAfter: number;
}

async function oneBlock(mode: 'default' | 'tuned', env: NodeJS.ProcessEnv = {}): Promise<Observed> {
  const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', ONE_BLOCK, mode], {
    env: { ...process.env, FEDBENCH_HEAP: '', ...env },
  });
  return JSON.parse(stdout) as Observed;
}

describe.runIf(process.platform === 'linux')('keepFreedMemoryInHeap', () => {
  it('glibc takes the setting: an output-sized block comes from the heap and stays there once freed', async () => {
    const plain = await oneBlock('default');
    const kept = await oneBlock('tuned');
    // glibc's default mmap threshold is 128 KiB: without the setting, 1 MiB is its own mapping, unmapped on free.
    expect(plain.ownMmapBytes).toBeGreaterThanOrEqual(1 << 20);
    expect(kept.said).toMatch(/^glibc [\d.]+: freed memory kept in the heap \(mallopt M_MMAP_THRESHOLD=32 MiB/);
    expect(kept.ownMmapBytes).toBe(0);
    expect(kept.freeInHeapAfter).toBeGreaterThanOrEqual(1 << 20);
  });

  it('FEDBENCH_HEAP=default leaves glibc as it is, and says so for the record', async () => {
    const optedOut = await oneBlock('tuned', { FEDBENCH_HEAP: 'default' });
    expect(optedOut.said).toBe('default (FEDBENCH_HEAP=default)');
    expect(optedOut.ownMmapBytes).toBeGreaterThanOrEqual(1 << 20);
  });
});
