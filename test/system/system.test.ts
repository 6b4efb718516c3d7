import { describe, expect, it } from 'vitest';
import { fedbench } from '../cli/run-cli.js';
import { fakeNvidiaSmi } from '../energy/helpers.js';
import { parseCudaVersion, parseNvidiaSmiGpus, relevantEnv, systemInfo } from '../../src/system/index.js';

describe('parseNvidiaSmiGpus', () => {
  it('reads the CSV of `nvidia-smi --query-gpu=index,name,uuid,memory.total,driver_version --format=csv,noheader,nounits`', () => {
    // Constructed in nvidia-smi's documented CSV layout (not recorded from a GPU): a 4-GPU A100 node.
    const csv = `${[0, 1, 2, 3]
      .map((i) => `${i}, NVIDIA A100-SXM4-40GB, GPU-0000000${i}-aaaa-bbbb-cccc-dddddddddddd, 40960, 535.104.05`)
      .join('\n')}\n`;
    const gpus = parseNvidiaSmiGpus(csv);
    expect(gpus).toHaveLength(4);
    expect(gpus[3]).toEqual({
      index: 3,
      name: 'NVIDIA A100-SXM4-40GB',
      uuid: 'GPU-00000003-aaaa-bbbb-cccc-dddddddddddd',
      memoryMiB: 40960,
      driver: '535.104.05',
    });
  });

  it('adds the power limit, MIG and ECC modes and the CUDA version, leaving out what the GPU does not have', () => {
    // Constructed in the documented layout of --query-gpu=index,name,uuid,memory.total,driver_version,power.limit,
    // mig.mode.current,ecc.mode.current (not recorded from a GPU): an H100 with ECC on, and a GPU without MIG.
    const csv =
      '0, NVIDIA H100 80GB HBM3, GPU-11111111-2222-3333-4444-555555555555, 81559, 580.159.04, 700.00, Disabled, Enabled\n1, NVIDIA L40S, GPU-66666666-7777-8888-9999-000000000000, 46068, 580.159.04, 350.00, [N/A], [N/A]\n';
    const header = '| NVIDIA-SMI 580.159.04             Driver Version: 580.159.04     CUDA Version: 13.0     |';
    const [h100, l40s] = parseNvidiaSmiGpus(csv, parseCudaVersion(header));
    expect(h100).toEqual({
      index: 0,
      name: 'NVIDIA H100 80GB HBM3',
      uuid: 'GPU-11111111-2222-3333-4444-555555555555',
      memoryMiB: 81559,
      driver: '580.159.04',
      cuda: '13.0',
      powerLimitW: 700,
      mig: 'Disabled',
      ecc: 'Enabled',
    });
    expect(l40s).not.toHaveProperty('mig');
    expect(l40s).not.toHaveProperty('ecc');
    expect(l40s!.powerLimitW).toBe(350);
    expect(parseCudaVersion('no GPU header here')).toBeUndefined();
  });
});

describe('relevantEnv', () => {
  it('keeps variables that change what is measured, and Slurm job variables, and nothing else', () => {
    const env = relevantEnv({
      OPENBLAS_CORETYPE: 'Haswell',
      SLURM_JOB_ID: '42',
      SLURMD_NODENAME: 'gpu01',
      HOME: '/root',
      SECRET_TOKEN: 'x',
      SLURM_JOB_GPUS: '0,1',
    });
    expect(env).toEqual({
      OPENBLAS_CORETYPE: 'Haswell',
      SLURM_JOB_ID: '42',
      SLURMD_NODENAME: 'gpu01',
      SLURM_JOB_GPUS: '0,1',
    });
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

describe('GPU inventory through nvidia-smi', () => {
  // fixtures/fake-nvidia-smi.mjs answers in nvidia-smi's documented formats (constructed, not recorded from a GPU)
  const onPath = (env: Record<string, string> = {}) => {
    const { dir } = fakeNvidiaSmi();
    return {
      ...env,
      PATH: `${dir}:${process.env.PATH}`,
      FAKE_SMI_GPUS: 'NVIDIA H100 80GB HBM3|GPU-00000000-fake-0000|1980|700.00|250.00|1980|0x0000000000000000',
    };
  };
  const inventory = async (env: Record<string, string>) => {
    const r = await fedbench(['info', '--json'], { env });
    expect(r.code, r.stderr).toBe(0);
    return (JSON.parse(r.stdout) as { system: { gpus: unknown[]; gpuSource: string } }).system;
  };

  it('lists each GPU with driver, CUDA version, power limit, MIG and ECC modes', async () => {
    const s = await inventory(onPath());
    expect(s.gpuSource).toBe('nvidia-smi');
    expect(s.gpus).toEqual([
      {
        index: 0,
        name: 'NVIDIA H100 80GB HBM3',
        uuid: 'GPU-00000000-fake-0000',
        memoryMiB: 81559,
        driver: '580.159.04',
        cuda: '13.0',
        powerLimitW: 700,
        mig: 'Disabled',
        ecc: 'Enabled',
      },
    ]);
  });

  it('still lists the GPUs on a driver that refuses a field of the query (the basic fields then)', async () => {
    const s = await inventory(onPath({ FAKE_SMI_OLD_DRIVER: '1' }));
    expect(s.gpus).toEqual([
      {
        index: 0,
        name: 'NVIDIA H100 80GB HBM3',
        uuid: 'GPU-00000000-fake-0000',
        memoryMiB: 81559,
        driver: '580.159.04',
        cuda: '13.0',
      },
    ]);
  });
});
