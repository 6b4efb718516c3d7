import { Command } from 'commander';
import { fabricProblems } from '../analysis/index.js';
import { energySources } from '../energy/index.js';
import { probeOrt } from '../engines/onnxruntime.js';
import { probeTfjs } from '../engines/tfjs.js';
import { systemInfo } from '../system/index.js';

export function infoCommand(): Command {
  return new Command('info')
    .description(
      'what this machine has: hardware, engines, backends/providers (with the reason when one is missing), energy sources',
    )
    .option('--json', 'machine-readable output')
    .action(async (opts: { json?: boolean }) => {
      const system = await systemInfo();
      const engines = [await probeOrt(), await probeTfjs()];
      const energy = await energySources();
      if (opts.json) return void process.stdout.write(`${JSON.stringify({ system, engines, energy }, null, 2)}\n`);
      const gib = (system.memoryBytes / 2 ** 30).toFixed(1);
      const lines = [
        `host     ${system.host} — ${system.os.distro ?? system.os.platform} (${system.os.release}, ${system.os.arch})`,
        `cpu      ${system.cpu.model}; ${system.cpu.availableParallelism} of ${system.cpu.logicalCores} logical cores usable; ${system.cpu.flags.join(' ') || 'no notable SIMD flags'}`,
        `memory   ${gib} GiB`,
        `gpus     ${system.gpus.length ? system.gpus.map((g) => `[${g.index}] ${g.name} ${g.memoryMiB ?? '?'} MiB, driver ${g.driver ?? '?'}`).join('; ') : system.gpuSource}`,
        `fabric   ${fabricLine(system.fabric?.infiniband ?? [])}`,
        ...fabricProblems(system.fabric?.infiniband ?? []).map(
          (p) => `         warning: ${p}: check the cable and switch port (ibstat)`,
        ),
        ...(system.fabric?.gpuTopology
          ? ['gpu links (nvidia-smi topo -m)', ...system.fabric.gpuTopology.split('\n').map((l) => `  ${l}`)]
          : []),
        `node     ${system.node}`,
        ...Object.entries(system.env).map(([k, v]) => `env      ${k}=${v}`),
        '',
        'engines',
      ];
      for (const e of engines) {
        lines.push(`  ${e.engine} (${e.package} ${e.version ?? 'not installed'})`);
        for (const b of e.backends)
          lines.push(
            `    ${b.available ? 'yes' : 'no '}  ${b.name.padEnd(15)} ${b.available ? (b.detail ?? '') : b.reason}`,
          );
      }
      lines.push('', 'energy sources');
      for (const s of energy)
        lines.push(`    ${s.used ? 'used' : s.present ? 'yes ' : 'no  '}  ${s.source.padEnd(12)} ${s.detail}`);
      if (!energy.some((s) => s.used))
        lines.push('    no energy source: records will say energy unavailable, with these reasons');
      process.stdout.write(`${lines.join('\n')}\n`);
    });
}

/** "mlx5_0/1 ACTIVE 200 Gb/sec (4X HDR), …", or why there is nothing to show. */
function fabricLine(
  ports: ReadonlyArray<{ device: string; port: number; state: string; rate: string; linkLayer: string }>,
): string {
  if (!ports.length) return 'no InfiniBand or RoCE port (/sys/class/infiniband is empty or absent)';
  return ports
    .map(
      (p) =>
        `${p.device}/${p.port} ${p.state.replace(/^\d+:\s*/, '')} ${p.rate}${p.linkLayer === 'InfiniBand' ? '' : ` (${p.linkLayer})`}`,
    )
    .join(', ');
}
