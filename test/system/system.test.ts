import { describe, expect, it } from 'vitest';
import { parseNvidiaSmiGpus, relevantEnv, systemInfo } from '../../src/system/index.js';

describe('parseNvidiaSmiGpus', () => {
  it('reads the CSV of `nvidia-smi --query-gpu=index,name,uuid,memory.total,driver_version --format=csv,noheader,nounits`', () => {
    // Constructed in nvidia-smi's documented CSV layout (not recorded from a GPU): a 4-GPU A100 node.
    const csv = [0, 1, 2, 3].map((i) => `${i}, NVIDIA A100-SXM4-40GB, GPU-0000000${i}-aaaa-bbbb-cccc-dddddddddddd, 40960, 535.104.05`).join('\n') + '\n';
    const gpus = parseNvidiaSmiGpus(csv);
    expect(gpus).toHaveLength(4);
    expect(gpus[3]).toEqual({ index: 3, name: 'NVIDIA A100-SXM4-40GB', uuid: 'GPU-00000003-aaaa-bbbb-cccc-dddddddddddd', memoryMiB: 40960, driver: '535.104.05' });
  });
});

describe('relevantEnv', () => {
  it('keeps variables that change what is measured, and Slurm job variables, and nothing else', () => {
    const env = relevantEnv({ OPENBLAS_CORETYPE: 'Haswell', SLURM_JOB_ID: '42', SLURMD_NODENAME: 'gpu01', HOME: '/root', SECRET_TOKEN: 'x', SLURM_JOB_GPUS: '0,1' });
    expect(env).toEqual({ OPENBLAS_CORETYPE: 'Haswell', SLURM_JOB_ID: '42', SLURMD_NODENAME: 'gpu01', SLURM_JOB_GPUS: '0,1' });
  });
});

describe('systemInfo', () => {
  it('describes this machine, and says why no GPU is listed', async () => {
    const s = await systemInfo();
    expect(s.cpu.logicalCores).toBeGreaterThan(0);
    expect(s.memoryBytes).toBeGreaterThan(0);
    expect(s.node).toBe(process.version);
    expect(s.packages['onnxruntime-node']).toMatch(/^\d+\.\d+/);
    if (s.gpus.length === 0) expect(s.gpuSource).toMatch(/^none: /);
  });
});
