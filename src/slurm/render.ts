// Job scripts from slurm/templates/: {{name}} placeholders filled with values that are either checked
// (names, paths used in #SBATCH lines) or shell-quoted (everything that reaches bash).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { InputError } from '../errors.js';
import type { ArrayJob } from '../scheduler/contract.js';
import { exportLine, quoteWord } from '../remote/index.js';
import { isScriptPath, SCRIPT_PATH_RULE, type Site } from '../sites/index.js';

export const TEMPLATES_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../slurm/templates');

export function template(name: string, dir = TEMPLATES_DIR): string {
  return readFileSync(path.join(dir, name), 'utf8');
}

/** Fills every {{name}}; a placeholder without a value, or a value without a placeholder, is a bug. */
export function fill(text: string, vars: Record<string, string>, what: string): string {
  const used = new Set<string>();
  const out = text.replace(/\{\{([A-Za-z]+)\}\}/g, (_, name: string) => {
    const v = vars[name];
    if (v === undefined) throw new Error(`${what}: no value for {{${name}}}`);
    used.add(name);
    return v;
  });
  const unused = Object.keys(vars).filter((k) => !used.has(k));
  if (unused.length) throw new Error(`${what}: template has no {{${unused.join('}}, {{')}}}`);
  return out;
}

/** Paths written into #SBATCH lines (not parsed by a shell): the site profile's rule for its workdir. */
export function checkScriptPath(p: string, what: string): string {
  if (!isScriptPath(p)) throw new InputError(`${what} '${p}' must be ${SCRIPT_PATH_RULE}`);
  return p;
}

/** The GPU request in the site's style: --gres=gpu:a100:N or --gpus=a100:N. */
export function gpuDirective(site: Site, count: number): string | null {
  if (count <= 0) return null;
  const g = site.scheduler.gpus;
  return g.style === 'gres'
    ? `--gres=gpu:${g.type ? `${g.type}:` : ''}${count}`
    : `--gpus=${g.type ? `${g.type}:` : ''}${count}`;
}

export type { ArrayJob };

/** sbatch options from the profile and the job's shape. */
export function directives(site: Site, job: ArrayJob): string[] {
  const s = site.scheduler;
  const gpusPerNode = site.facts.gpu.perNode;
  if (job.world) return worldDirectives(site, job.world, job.nodes);
  const gpus = job.wholeNode ? gpusPerNode : s.gpus.perJob;
  const d = [`--partition=${s.partition}`, `--time=${s.timeLimit}`, '--nodes=1'];
  if (s.account) d.push(`--account=${s.account}`);
  if (s.qos) d.push(`--qos=${s.qos}`);
  const g = gpuDirective(site, gpus);
  if (g) d.push(g);
  if (job.wholeNode) d.push(`--ntasks-per-node=${gpusPerNode}`);
  if (s.cpusPerGpu && gpus > 0)
    d.push(job.wholeNode ? `--cpus-per-task=${s.cpusPerGpu}` : `--cpus-per-task=${s.cpusPerGpu * gpus}`);
  if (s.memory) d.push(`--mem=${s.memory}`);
  if (job.node) d.push(`--nodelist=${job.node}`);
  if (job.wholeNode || job.node) d.push('--exclusive');
  d.push(...s.extra);
  return d;
}

/**
 * ` --estimate-tdp W` from the profile's declared GPU TDP × the GPUs one run uses: a figure for cases no meter
 * measures on the node (fedbench run uses it only then, labelled method: estimate). Empty without a TDP.
 */
export function estimateOption(site: Site, gpus: number): string {
  const tdp = site.facts.peak.tdpWatts;
  return tdp && gpus > 0 ? ` --estimate-tdp ${tdp * gpus}` : '';
}

/** A job of nodes × ranks per node: one task and one GPU per rank on every node (GPUs requested per node). */
function worldDirectives(site: Site, w: { nodes: number; perNode: number }, nodes?: readonly string[]): string[] {
  const s = site.scheduler;
  const d = [
    `--partition=${s.partition}`,
    `--time=${s.timeLimit}`,
    `--nodes=${w.nodes}`,
    `--ntasks-per-node=${w.perNode}`,
  ];
  if (s.account) d.push(`--account=${s.account}`);
  if (s.qos) d.push(`--qos=${s.qos}`);
  if (site.facts.gpu.perNode > 0) {
    const type = s.gpus.type ? `${s.gpus.type}:` : '';
    d.push(s.gpus.style === 'gres' ? `--gres=gpu:${type}${w.perNode}` : `--gpus-per-node=${type}${w.perNode}`);
  }
  if (s.cpusPerGpu) d.push(`--cpus-per-task=${s.cpusPerGpu}`);
  if (s.memory) d.push(`--mem=${s.memory}`);
  // a node-pair sweep: these two nodes and nothing else on them, so the pair's figure is the link's alone
  if (nodes?.length) d.push(`--nodelist=${nodes.join(',')}`, '--exclusive');
  d.push(...s.extra);
  return d;
}

/** The launcher step fedbench runs the ranks with inside the job (FEDBENCH_RANK_LAUNCHER), as a JSON argv. */
export function rankLauncher(campaignDir: string, w: { nodes: number; perNode: number }): string[] {
  return [
    'srun',
    '--label',
    '--kill-on-bad-exit=1',
    `--nodes=${w.nodes}`,
    `--ntasks=${w.nodes * w.perNode}`,
    `--ntasks-per-node=${w.perNode}`,
    `${campaignDir}/rank-env.sh`,
  ];
}

export function renderArrayScript(site: Site, job: ArrayJob, dir = TEMPLATES_DIR): string {
  checkScriptPath(job.campaignDir, `working directory of site ${site.name}`);
  for (const node of [...(job.node !== undefined ? [job.node] : []), ...(job.nodes ?? [])])
    if (!/^[A-Za-z0-9_.-]+$/.test(node)) throw new InputError(`bad node name '${node}'`);
  const setup = [
    ...site.modules.map((m) => `module load ${quoteWord(m)}`),
    ...Object.entries(site.env).map(([k, v]) => exportLine(k, v)),
  ].join('\n');
  const workers = site.facts.gpu.perNode;
  const estimate = estimateOption(site, job.wholeNode ? 1 : site.scheduler.gpus.perJob);
  const runCase = job.world
    ? fill(
        template('run-case-ranks.sh', dir),
        {
          launcher: quoteWord(JSON.stringify(rankLauncher(job.campaignDir, job.world))),
          campaignQuoted: quoteWord(job.campaign),
          estimate: estimateOption(site, site.facts.gpu.perNode > 0 ? job.world.nodes * job.world.perNode : 0),
        },
        'run-case-ranks.sh',
      )
    : job.wholeNode
      ? fill(
          template('run-case-whole-node.sh', dir),
          {
            workers: String(workers),
            cpusPerWorker: String(site.scheduler.cpusPerGpu ?? 1),
            campaignQuoted: quoteWord(job.campaign),
            estimate,
          },
          'run-case-whole-node.sh',
        )
      : fill(template('run-case.sh', dir), { campaignQuoted: quoteWord(job.campaign), estimate }, 'run-case.sh');
  return fill(
    template('array.sbatch', dir),
    {
      campaign: job.campaign,
      site: site.name,
      part: job.part,
      jobName: job.jobName,
      array: job.count === 1 ? '0' : `0-${job.count - 1}`,
      campaignDir: job.campaignDir,
      directives: directives(site, job)
        .map((x) => `#SBATCH ${x}`)
        .join('\n'),
      setup: setup || '# (no modules or environment in the site profile)',
      campaignDirQuoted: quoteWord(job.campaignDir),
      offset: String(job.offset),
      fedbench: job.fedbench.map(quoteWord).join(' '),
      runCase: runCase.replace(/\n$/, ''),
    },
    'array.sbatch',
  );
}
