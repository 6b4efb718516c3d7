// The nvidia-smi fallback against a fake nvidia-smi whose output is CONSTRUCTED in the documented
// `--query-gpu … --format=csv,noheader,nounits` format (fixtures/fake-nvidia-smi.mjs); no GPU was involved.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  NvidiaSmiMeter,
  parseComputeApps,
  parseSmiSamples,
  parseSmiTimestamp,
} from '../../src/energy/nvidia-smi-meter.js';
import { liveSamplerPids } from '../../src/energy/sampler-process.js';
import { openMeters } from '../../src/energy/index.js';
import { FIXTURES, fakeNvidiaSmi, liveInGroup, samplersIn, tempDir, transpiledEnergy, waitFor } from './helpers.js';

const TWO_GPUS = [
  'NVIDIA H100 80GB HBM3|GPU-00000000-fake-0000|1980|700.00|250.00|1980|0x0000000000000000',
  'NVIDIA H100 80GB HBM3|GPU-00000000-fake-0001|1980|700.00|100.00|900|0x0000000000000004',
].join(';');
const FAKE_ENV = ['FAKE_SMI_GPUS', 'FAKE_SMI_APPS', 'FAKE_SMI_NO_INSTANT', 'FAKE_SMI_PIDFILE'];

let pidFile: string;
beforeEach(() => {
  pidFile = join(tempDir(), 'samplers');
  process.env.FAKE_SMI_GPUS = TWO_GPUS;
  process.env.FAKE_SMI_PIDFILE = pidFile;
});
afterEach(() => {
  for (const k of FAKE_ENV) delete process.env[k];
});

describe('nvidia-smi output parsing', () => {
  it('reads sample lines, leaving [N/A] fields out rather than as 0', () => {
    const text = [
      '2024/05/01 12:34:56.789, 0, 251.37, 1980, 2619, 45, 99, 0x0000000000000000',
      '2024/05/01 12:34:56.889, 1, [N/A], 1410, 2619, 83, 60, 0x0000000000000004',
      '2024/05/01 12:34:56.9', // a line cut off mid-write
    ].join('\n');
    const s = parseSmiSamples(text);
    expect(s).toHaveLength(2);
    expect(s[0]).toMatchObject({
      index: 0,
      watts: 251.37,
      smMHz: 1980,
      memMHz: 2619,
      temperatureC: 45,
      utilisationPercent: 99,
      throttleMask: 0n,
    });
    expect(s[1]!.watts).toBeUndefined();
    expect(s[1]!.throttleMask).toBe(4n);
    expect(s[1]!.t - s[0]!.t).toBeCloseTo(0.1, 6);
    expect(s[0]!.t).toBe(new Date(2024, 4, 1, 12, 34, 56, 789).getTime() / 1000);
    expect(parseSmiTimestamp('not a time')).toBeNaN();
  });

  it('reads compute processes', () => {
    expect(parseComputeApps('4242, GPU-00000000-fake-0001\nNo running processes found\n')).toEqual([
      { pid: 4242, uuid: 'GPU-00000000-fake-0001' },
    ]);
  });
});

describe('NvidiaSmiMeter (fake nvidia-smi)', () => {
  it('integrates each GPU’s sampled power over the window and stops its sampler', async () => {
    process.env.FAKE_SMI_APPS = `${process.pid},GPU-00000000-fake-0000;4242,GPU-00000000-fake-0001`;
    const { binary } = fakeNvidiaSmi();
    const meter = await NvidiaSmiMeter.open(binary, 50, undefined);
    await meter.start();
    const samplers = samplersIn(pidFile);
    expect(samplers).toHaveLength(1);
    await new Promise((r) => setTimeout(r, 400)); // the "workload"
    const r = await meter.stop();
    expect(r).toMatchObject({ source: 'nvidia-smi', method: 'sampled' });
    const [g0, g1] = r.domains;
    // Constant power: the trapezoid gives exactly watts × window, whatever the coverage.
    expect(g0).toMatchObject({
      domain: 'gpu',
      device: 'gpu0 NVIDIA H100 80GB HBM3 (GPU-00000000-fake-0000)',
      meanWatts: 250,
      peakWatts: 250,
    });
    expect(g0!.joules).toBeCloseTo(250 * r.seconds, 9);
    expect(g1!.joules).toBeCloseTo(100 * r.seconds, 9);
    expect(g0!.samples).toBeGreaterThan(0);
    expect(g0!.coverage).toBeGreaterThan(0);
    expect(g0!.coverage).toBeLessThanOrEqual(1);
    expect(g0!.note).toMatch(/power\.draw\.instant every 50 ms, trapezoid rule/);
    // Telemetry: GPU 1 runs at 900 of 1980 MHz under a power cap and hosts another process.
    expect(r.telemetry.map((t) => [t.index, t.smClockMHz?.min, t.throttleReasons, t.otherProcesses])).toEqual([
      [0, 1980, [], 0],
      [1, 900, ['sw_power_cap'], 1],
    ]);
    expect(r.warnings).toEqual([
      expect.stringMatching(
        /^GPU 1 .* throttled: SM clock fell to 900 MHz, 45% of its 1980 MHz maximum .*sw_power_cap/,
      ),
      'GPU 1 (NVIDIA H100 80GB HBM3) was shared: 1 other compute process(es) ran on it during the measurement',
    ]);
    // The sampler and its watchdog are gone once stop() returns.
    expect(liveInGroup(samplers[0]!.pgrp)).toEqual([]);
    expect(liveSamplerPids()).toEqual([]);
    await meter.close();
  });

  it('meters only the GPUs in CUDA_VISIBLE_DEVICES, and uses power.draw on drivers without power.draw.instant', async () => {
    process.env.FAKE_SMI_NO_INSTANT = '1';
    const { binary } = fakeNvidiaSmi();
    const meter = await NvidiaSmiMeter.open(binary, 50, 'GPU-00000000-fake-0001');
    await meter.start();
    await new Promise((r) => setTimeout(r, 150));
    const r = await meter.stop();
    expect(r.domains.map((d) => d.device)).toEqual(['gpu1 NVIDIA H100 80GB HBM3 (GPU-00000000-fake-0001)']);
    expect(r.domains[0]!.note).toMatch(/nvidia-smi power\.draw every/);
    await expect(NvidiaSmiMeter.open(binary, 50, '7')).rejects.toThrow(
      /none of the 2 GPU\(s\) is in CUDA_VISIBLE_DEVICES=7/,
    );
  });

  it('kills the sampler on close() after start() without stop() (an exception inside the window)', async () => {
    const { binary } = fakeNvidiaSmi();
    const meter = await NvidiaSmiMeter.open(binary, 50, undefined);
    await meter.start();
    const [sampler] = samplersIn(pidFile);
    await meter.close();
    await meter.close(); // twice is harmless
    expect(liveInGroup(sampler!.pgrp)).toEqual([]);
  });

  it('is chosen by openMeters when NVML is absent', async () => {
    const { binary } = fakeNvidiaSmi();
    const { meters, unavailable } = await openMeters({
      nvmlLibrary: '/nonexistent/libnvidia-ml.so.1',
      nvidiaSmi: binary,
      powercapRoot: '/nonexistent',
      pmCountersRoot: '/nonexistent',
      visibleDevices: undefined,
    });
    expect(meters.map((m) => m.source)).toEqual(['nvidia-smi']);
    expect(unavailable.map((u) => u.source)).toEqual(['nvml', 'rapl', 'pm_counters']);
    await Promise.all(meters.map((m) => m.close()));
  });
});

describe('no sampler outlives its parent process', () => {
  const energyJs = transpiledEnergy();

  async function parentThatEnds(how: 'idle' | 'block' | 'throw', end?: NodeJS.Signals) {
    const { binary } = fakeNvidiaSmi();
    const parent = spawn(process.execPath, [join(FIXTURES, 'sampler-parent.mjs'), energyJs, binary, how], {
      env: process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    parent.stdout.on('data', (d) => (out += d));
    parent.stderr.on('data', (d) => (err += d));
    const exited = new Promise<NodeJS.Signals | number | null>((r) =>
      parent.once('exit', (code, signal) => r(signal ?? code)),
    );
    if (how !== 'throw') {
      await waitFor(() => out.includes('started') || parent.exitCode !== null, 'the parent to start its sampler');
      expect(out, err).toContain('started');
      parent.kill(end); // to the parent's PID only, not its group
    }
    const status = await exited;
    const [sampler] = samplersIn(pidFile);
    expect(sampler, err).toBeDefined();
    await waitFor(() => liveInGroup(sampler!.pgrp).length === 0, 'the orphaned sampler to end');
    return { status, err };
  }

  it('after SIGINT of the parent', async () => {
    const { status } = await parentThatEnds('idle', 'SIGINT');
    expect(status).toBe('SIGINT'); // no handler changed what SIGINT does
  });

  it('after SIGINT while the parent’s event loop is blocked by a synchronous workload', async () => {
    expect((await parentThatEnds('block', 'SIGINT')).status).toBe('SIGINT');
  });

  it('after an uncaught exception in the parent', async () => {
    const { status, err } = await parentThatEnds('throw');
    expect(status).toBe(1);
    expect(err).toMatch(/the workload failed inside the measured window/);
  });

  it('after SIGKILL of the parent', async () => {
    expect((await parentThatEnds('idle', 'SIGKILL')).status).toBe('SIGKILL');
  });
});
