// HPE/Cray pm_counters against a temp folder laid out as /sys/cray/pm_counters is.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PmCountersMeter, findPmCounters, parsePmCounter } from '../../src/energy/pm-counters.js';
import { tempDir, writeTree } from './helpers.js';

describe('parsePmCounter', () => {
  it('reads the plain form and the form with a timestamp', () => {
    expect(parsePmCounter('123456 J\n')).toEqual({ value: 123456, unit: 'J', timestampUs: null });
    expect(parsePmCounter('215 W 1712345678901234 us\n')).toEqual({
      value: 215,
      unit: 'W',
      timestampUs: 1712345678901234,
    });
  });
  it('rejects anything else', () => {
    expect(() => parsePmCounter('N/A\n')).toThrow(/not a pm_counters value/);
    expect(() => parsePmCounter('')).toThrow();
  });
});

function cray(withTimestamps: boolean): string {
  const root = tempDir();
  const ts = (us: number) => (withTimestamps ? ` ${us} us` : '');
  writeTree(root, {
    energy: `1000000 J${ts(1_000_000_000)}\n`,
    power: `600 W${ts(1_000_000_000)}\n`,
    cpu_energy: `300000 J${ts(1_000_000_000)}\n`,
    cpu_power: `180 W${ts(1_000_000_000)}\n`,
    memory_energy: `50000 J${ts(1_000_000_000)}\n`,
    accel0_energy: `400000 J${ts(1_000_000_000)}\n`,
    accel0_power: `350 W${ts(1_000_000_000)}\n`,
    freshness: '42\n',
    version: '2\n',
  });
  return root;
}

describe('PmCountersMeter', () => {
  it('finds node, cpu, memory and accelerator counters', () => {
    const { channels, problems } = findPmCounters(cray(false));
    expect(problems).toEqual([]);
    expect(channels.map((c) => [c.domain, c.device, c.powerPath !== null])).toEqual([
      ['gpu', 'accel0', true],
      ['cpu', 'cpu', true],
      ['node', 'node', true],
      ['memory', 'memory', false],
    ]);
  });

  it('reads energy deltas, takes the mean over the firmware timestamps, and the peak from the power files', async () => {
    const root = cray(true);
    const meter = new PmCountersMeter(findPmCounters(root).channels);
    await meter.start();
    // 2 s later by the firmware clock (timestamps in µs), whatever our clock says.
    writeFileSync(join(root, 'energy'), '1001400 J 1002000000 us\n');
    writeFileSync(join(root, 'power'), '720 W 1002000000 us\n');
    writeFileSync(join(root, 'accel0_energy'), '400800 J 1002000000 us\n');
    writeFileSync(join(root, 'cpu_energy'), '300300 J 1002000000 us\n');
    writeFileSync(join(root, 'memory_energy'), '50020 J 1002000000 us\n');
    const r = await meter.stop();
    const by = Object.fromEntries(r.domains.map((d) => [d.device, d]));
    expect(by.node).toMatchObject({ domain: 'node', joules: 1400, meanWatts: 700, peakWatts: 720, coverage: 1 });
    expect(by.accel0).toMatchObject({ domain: 'gpu', joules: 800, meanWatts: 400, peakWatts: 350 });
    expect(by.cpu).toMatchObject({ joules: 300, meanWatts: 150 });
    expect(by.memory).toMatchObject({ joules: 20, peakWatts: null });
    expect(r.warnings).toEqual([]);
  });

  it('warns when the 1 J resolution makes the figure uncertain', async () => {
    const root = cray(false);
    const meter = new PmCountersMeter(findPmCounters(root).channels.filter((c) => c.domain === 'node'));
    await meter.start();
    writeFileSync(join(root, 'energy'), '1000003 J\n');
    const r = await meter.stop();
    expect(r.domains[0]!.joules).toBe(3);
    expect(r.warnings[0]).toMatch(/moved only 3 J .* 1 J resolution/);
  });

  it('says why on a machine that is not a Cray node', () => {
    expect(findPmCounters('/nonexistent/pm_counters').problems).toEqual([
      '/nonexistent/pm_counters absent (not an HPE/Cray node)',
    ]);
  });
});
