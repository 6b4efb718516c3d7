// RAPL against a sysfs-like temp folder laid out as /sys/class/powercap is.
import { execFileSync } from 'node:child_process';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RaplMeter, findRaplZones } from '../../src/energy/rapl.js';
import { tempDir, writeTree } from './helpers.js';

const MAX = 262143328850; // a real package max_energy_range_uj

/** Runs findRaplZones in a child process as another user (needs root, util-linux's runuser). */
function findRaplZonesAs(user: string, root: string): ReturnType<typeof findRaplZones> {
  chmodSync(root, 0o755); // mkdtemp makes it 0700; the temp folder above is world-traversable
  const mod = new URL('../../dist/energy/rapl.js', import.meta.url).pathname;
  const script = `import { findRaplZones } from ${JSON.stringify(mod)}; console.log(JSON.stringify(findRaplZones(${JSON.stringify(root)})));`;
  return JSON.parse(
    execFileSync('runuser', ['-u', user, '--', process.execPath, '--input-type=module', '-e', script], {
      encoding: 'utf8',
    }),
  );
}

function powercap(): string {
  const root = tempDir();
  writeTree(root, {
    'intel-rapl:0/name': 'package-0\n',
    'intel-rapl:0/energy_uj': '1000000\n',
    'intel-rapl:0/max_energy_range_uj': `${MAX}\n`,
    'intel-rapl:0:0/name': 'dram\n',
    'intel-rapl:0:0/energy_uj': '500000\n',
    'intel-rapl:0:0/max_energy_range_uj': '65532610987\n',
    'intel-rapl:0:1/name': 'core\n', // inside the package: must not be added to it
    'intel-rapl:0:1/energy_uj': '7\n',
    'intel-rapl:0:1/max_energy_range_uj': `${MAX}\n`,
    'intel-rapl-mmio:0/name': 'package-0\n', // the MMIO duplicate of the package: ignored
  });
  return root;
}

describe('RAPL (powercap)', () => {
  it('finds package and dram zones, leaving out core and the MMIO duplicate', () => {
    const { zones, problems } = findRaplZones(powercap());
    expect(problems).toEqual([]);
    expect(zones.map((z) => [z.domain, z.device])).toEqual([
      ['cpu', 'package-0'],
      ['memory', 'package-0 dram'],
    ]);
  });

  it('reads the energy between start and stop', async () => {
    const root = powercap();
    const meter = new RaplMeter(findRaplZones(root).zones);
    await meter.start();
    writeFileSync(join(root, 'intel-rapl:0/energy_uj'), '31000000\n'); // +30 J
    writeFileSync(join(root, 'intel-rapl:0:0/energy_uj'), '2500000\n'); // +2 J
    const r = await meter.stop();
    expect(r).toMatchObject({ source: 'rapl', method: 'counter' });
    expect(r.domains.map((d) => [d.device, d.joules, d.coverage])).toEqual([
      ['package-0', 30, 1],
      ['package-0 dram', 2, 1],
    ]);
    expect(r.domains[0]!.meanWatts).toBeCloseTo(30 / r.seconds, 6);
    expect(r.domains[0]!.samples).toBe(2);
  });

  it('adds across counter wrap-arounds seen by polls during the window', async () => {
    const root = powercap();
    const meter = new RaplMeter(findRaplZones(root).zones);
    const pkg = join(root, 'intel-rapl:0/energy_uj');
    writeFileSync(pkg, `${MAX - 4_000_000}\n`);
    await meter.start();
    writeFileSync(pkg, '6000000\n'); // wrapped: 4 J to the top + 6 J
    await new Promise((r) => setTimeout(r, 120)); // the poll is rate-limited to one read per 100 ms
    meter.poll();
    writeFileSync(pkg, `${MAX - 1_000_000}\n`); // +MAX-7 J, no wrap
    await new Promise((r) => setTimeout(r, 120));
    meter.poll();
    writeFileSync(pkg, '2000000\n'); // wrapped again: 1 J + 2 J
    const r = await meter.stop();
    const joules = r.domains.find((d) => d.device === 'package-0')!.joules;
    expect(joules).toBeCloseTo(10 + (MAX - 7_000_000) / 1e6 + 3, 6);
    expect(r.domains[0]!.note).toMatch(/wrapped 2×/);
  });

  it('says why when there is no powercap folder or no zone', () => {
    expect(findRaplZones('/nonexistent/powercap').problems[0]).toMatch(/absent \(no powercap/);
    expect(findRaplZones(tempDir()).problems[0]).toMatch(/no intel-rapl zones/);
  });

  it('names the root-only energy_uj when it cannot be read', () => {
    const root = powercap();
    chmodSync(join(root, 'intel-rapl:0/energy_uj'), 0o000);
    // Root reads any file: as root (CI), look at the folder as an unprivileged user would.
    const { zones, problems } = process.getuid?.() === 0 ? findRaplZonesAs('nobody', root) : findRaplZones(root);
    expect(zones.map((z) => z.device)).toEqual(['package-0 dram']);
    expect(problems[0]).toMatch(/not readable \(root-only since Linux 5\.10/);
  });
});
