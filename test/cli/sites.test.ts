// `sites check` and `submit` on a local site profile (no `ssh:`: commands run here). Slurm's client commands are
// stand-ins on PATH that fail as they do without a reachable controller, so nothing reaches a real Slurm.
import { chmod, mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { failureReason } from '../../src/federation/index.js';
import { fedbench } from './run-cli.js';

let tmp: string;
let env: NodeJS.ProcessEnv;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'fb-sites-'));
  const bin = path.join(tmp, 'bin');
  await mkdir(bin);
  for (const cmd of ['sinfo', 'scontrol', 'sbatch', 'squeue']) {
    await writeFile(
      path.join(bin, cmd),
      `#!/bin/sh\necho "${cmd}: error: Unable to contact slurm controller (connect failure)" >&2\nexit 1\n`,
    );
    await chmod(path.join(bin, cmd), 0o755);
  }
  env = { PATH: `${bin}:${process.env.PATH}` };
});

/** A local profile in its own sites folder; returns the folder. */
async function localSite(name: string, lines: string[]): Promise<string> {
  const dir = path.join(tmp, `sites-${name}`);
  await mkdir(dir, { recursive: true });
  await writeFile(
    path.join(dir, `${name}.yaml`),
    [
      `name: ${name}`,
      'scheduler: { partition: gpu }',
      ...lines,
      'facts:',
      '  gpu: { model: NVIDIA A100, perNode: 4 }',
      '',
    ].join('\n'),
  );
  return dir;
}

describe('fedbench sites check (local site)', () => {
  it("quotes why fedbench does not start: the exception's message, not Node's version footer", async () => {
    const dir = await localSite('broken', [
      `workdir: ${path.join(tmp, 'work')}`,
      `fedbench: { command: [${JSON.stringify(process.execPath)}, /nonexistent/main.js] }`,
    ]);
    const r = await fedbench(['sites', 'check', 'broken', '--sites-dir', dir], { env });
    expect(r.code, r.stderr).toBe(1);
    // Slurm not answering is one problem; the other checks still run
    expect(r.stdout).toMatch(
      /^broken: local: 'sinfo .*' exited with 1:\nsinfo: error: Unable to contact slurm controller/m,
    );
    const line = r.stdout.split('\n').find((l) => l.startsWith('broken: fedbench does not start'));
    expect(line, r.stdout).toContain("Error: Cannot find module '/nonexistent/main.js'");
    expect(line).not.toMatch(/Node\.js v\d| {4}at /);
  });
});

describe('a working directory that cannot go into a job script', () => {
  it('is refused by the profile schema, with the same file:line message for sites list, sites check and submit, before anything is created', async () => {
    for (const [name, workdir] of [
      ['spaced', path.join(tmp, 'my work')],
      ['quoted', `${tmp}/it's`],
    ] as const) {
      const dir = await localSite(name, [`workdir: "${workdir}"`]);
      const file = path.join(dir, `${name}.yaml`);
      const message = `${file}:3:10: workdir: expected an absolute path or ~/path of letters, digits and _ . / + @ - (it is written into #SBATCH lines)`;
      const check = await fedbench(['sites', 'check', name, '--sites-dir', dir], { env });
      expect(check.code, check.stdout).toBe(2);
      expect(check.stderr).toBe(`fedbench: ${message}\n`);
      const submit = await fedbench(
        [
          'submit',
          '--suite',
          'quick',
          '--bench',
          'gemm',
          '--sites',
          name,
          '--sites-dir',
          dir,
          '--campaigns-dir',
          path.join(tmp, 'campaigns'),
        ],
        { env },
      );
      expect(submit.code, submit.stdout).toBe(2);
      expect(submit.stderr).toBe(`fedbench: ${message}\n`);
      expect(submit.stdout).toBe('');
      const list = await fedbench(['sites', 'list', '--sites-dir', dir, '--json'], { env });
      expect(JSON.parse(list.stdout)).toEqual([expect.objectContaining({ site: name, problem: message })]);
      expect(existsSync(workdir)).toBe(false);
    }
  });
});

describe('a profile naming a scheduler fedbench does not know', () => {
  it('is a problem of that site for sites check, and submit refuses it naming the site and the kinds there are', async () => {
    const dir = await localSite('pbs', [`workdir: ${path.join(tmp, 'work-pbs')}`]);
    const file = path.join(dir, 'pbs.yaml');
    const { readFile } = await import('node:fs/promises');
    await writeFile(
      file,
      (await readFile(file, 'utf8')).replace('{ partition: gpu }', '{ kind: pbs, partition: gpu }'),
    );
    const message = `scheduler.kind 'pbs' (${file}) is not one fedbench knows: slurm`;
    const check = await fedbench(['sites', 'check', 'pbs', '--sites-dir', dir], { env });
    expect(check.code, check.stderr).toBe(1);
    expect(check.stdout).toContain(`pbs: ${message}\n`);
    const submit = await fedbench(
      [
        'submit',
        '--suite',
        'quick',
        '--bench',
        'gemm',
        '--sites',
        'pbs',
        '--sites-dir',
        dir,
        '--campaigns-dir',
        path.join(tmp, 'campaigns'),
        '--campaign',
        'pbs',
      ],
      { env },
    );
    expect(submit.code, submit.stderr).toBe(2);
    expect(submit.stderr).toBe(`fedbench: site pbs: ${message}\n`);
    expect(submit.stdout).toBe('campaign pbs: nothing queued\n');
  });
});

describe('fedbench submit, refused by a profile', () => {
  it('queues nothing, suggests no next step, and exits 2 naming the site and the field', async () => {
    // the workdir passes the schema, but the home it is under holds a space: known only once resolved on the site
    const home = path.join(tmp, 'home dir');
    await mkdir(home);
    const dir = await localSite('homed', ['workdir: ~/work', 'fedbench: { command: [fedbench] }']);
    const r = await fedbench(
      [
        'submit',
        '--suite',
        'quick',
        '--bench',
        'gemm',
        '--sites',
        'homed',
        '--sites-dir',
        dir,
        '--campaigns-dir',
        path.join(tmp, 'campaigns'),
        '--campaign',
        'refused',
      ],
      { env: { ...env, HOME: home } },
    );
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(
      `fedbench: site homed: workdir '~/work' (${path.join(dir, 'homed.yaml')}) is '${home}/work' on the site, not an absolute path of letters, digits and _ . / + @ -`,
    );
    expect(r.stdout).toBe('campaign refused: nothing queued\n');
    expect(r.stdout + r.stderr).not.toMatch(/next:|job array/);
    expect(existsSync(path.join(home, 'work'))).toBe(false);
  });
});

describe('failureReason', () => {
  it("takes a Node.js crash's exception message, else the last line that says something", () => {
    const crash =
      "node:internal/modules/cjs/loader:1210\n  throw err;\n  ^\n\nError: Cannot find module '/x/main.js'\n    at Module._resolveFilename (node:internal/modules/cjs/loader:1207:15) {\n  code: 'MODULE_NOT_FOUND',\n  requireStack: []\n}\n\nNode.js v20.20.2\n";
    expect(failureReason(crash)).toBe("Error: Cannot find module '/x/main.js'");
    expect(
      failureReason(
        "[eval]:1\nthrow e\n^\n\nError [ERR_MODULE_NOT_FOUND]: Cannot find package 'yaml'\n    at f (x:1:1)\n\nNode.js v20.20.2\n",
      ),
    ).toBe("Error [ERR_MODULE_NOT_FOUND]: Cannot find package 'yaml'");
    expect(
      failureReason(
        '[eval]:1\nthrow "a string"\n^\na string\n(Use `node --trace-uncaught ...` to show where the exception was thrown)\n\nNode.js v20.20.2\n',
      ),
    ).toBe('a string');
    expect(failureReason('bash: line 1: npx: command not found\n')).toBe('bash: line 1: npx: command not found');
  });
});

describe('fedbench submit --node-pairs', () => {
  it("plans one job per pair of the partition's nodes, each on its two nodes alone; refuses a case not of 2 nodes", async () => {
    // sinfo lists three nodes; nothing is submitted (--dry-run)
    const bin = path.join(tmp, 'bin-pairs');
    await mkdir(bin, { recursive: true });
    // stand-in sinfo: n4 is drained (a job placed there would wait for it forever)
    await writeFile(
      path.join(bin, 'sinfo'),
      `#!/bin/sh\ncase "$*" in *'%N|%t'*) printf 'n3|idle\\nn1|mix\\nn2|alloc\\nn4|drain\\n';; *) printf 'n3\\nn1\\nn2\\nn4\\n';; esac\n`,
    );
    await chmod(path.join(bin, 'sinfo'), 0o755);
    const dir = await localSite('pairs', [`workdir: ${path.join(tmp, 'work-pairs')}`]);
    const file = path.join(dir, 'pairs.yaml');
    const { readFile } = await import('node:fs/promises');
    await writeFile(
      file,
      (await readFile(file, 'utf8')).replace('{ partition: gpu }', '{ partition: gpu, maxArraySize: 10 }'),
    );
    const args = (suite: string, bench: string, campaign: string) => [
      'submit',
      '--suite',
      suite,
      '--bench',
      bench,
      '--sites',
      'pairs',
      '--sites-dir',
      dir,
      '--campaigns-dir',
      path.join(tmp, 'campaigns'),
      '--campaign',
      campaign,
      '--node-pairs',
      '--dry-run',
      '--json',
    ];
    const pathEnv = { PATH: `${bin}:${process.env.PATH}` };
    const r = await fedbench(args('node-pairs', 'pair-gloo', 'pairs'), { env: pathEnv });
    expect(r.code, r.stderr).toBe(0);
    const scripts = JSON.parse(r.stdout) as Array<{ part: string; text: string }>;
    expect(scripts.map((s) => s.part)).toEqual(['n1+n2-2x1-0', 'n1+n3-2x1-0', 'n2+n3-2x1-0']);
    for (const [s, nodes] of scripts.map((s, i) => [s, ['n1,n2', 'n1,n3', 'n2,n3'][i]] as const)) {
      expect(s.text).toContain(`#SBATCH --nodelist=${nodes}\n`);
      expect(s.text).toContain('#SBATCH --nodes=2\n');
      expect(s.text).toContain('#SBATCH --exclusive\n');
    }
    const told = await fedbench(args('node-pairs', 'pair-gloo', 'pairs').slice(0, -1), { env: pathEnv });
    expect(told.stderr).toContain('pairs: node-pair sweep leaves out n4 (drain): a job there could not start\n');
    const refused = await fedbench(args('scaling', 'ddp-mlp-gloo', 'pairs-refused'), { env: pathEnv });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(
      /^fedbench: case ddp-mlp-gloo\/\S+ asks for 1 node\(s\): --node-pairs runs cases of nodes: 2 .* once on every pair of the partition's nodes/,
    );
  });
});
