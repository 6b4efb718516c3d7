import { Command } from 'commander';
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
