// Redaction on records, in process: nothing identifying survives anywhere in a record or in what the report
// builds from it, one value gets one label in every record, what readers need stays, and redacting twice
// changes nothing. The report files written by the CLI are checked in cli.test.ts.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildReportModel, renderHtml, toCsv, toMarkdown } from '../../src/report/index.js';
import { redactRecords } from '../../src/redact/index.js';
import { expandHostList, findInText } from '../../src/redact/patterns.js';
import { runRecordSchema, type RunRecord } from '../../src/results/index.js';
import { syntheticRecord } from '../../src/bench/synthetic.js';
import { GPU, ID, identifyingRecords, leaksIn, ORIGINALS } from './records.js';

const found = (text: string) => {
  const out: string[] = [];
  findInText(text, (f) => out.push(`${f.kind}:${f.value}`));
  return out;
};

describe('identifying values found by their shape', () => {
  it('finds addresses, and not versions, times or C++ names', () => {
    expect(found(`connect ${ID.ipv4}:22, [${ID.ipv6}]:22, ${ID.linkLocal}%ib0 and 127.0.0.1`)).toEqual([
      `ip:${ID.ipv4}`,
      `ip:${ID.ipv6}`,
      `ip:${ID.linkLocal}`,
    ]);
    expect(found('onnxruntime 1.30.0, driver 550.54.15, at 12:30:45, std::vector<int>, 1.2.3.4.5, 300.1.2.3')).toEqual(
      [],
    );
    expect(found(`eth0 ${ID.mac}`)).toEqual([`mac:${ID.mac}`]);
  });

  it('finds GPU and MIG UUIDs, serial numbers, and users in home, scratch and login forms', () => {
    expect(found(`${ID.gpuUuid} MIG-GPU-${ID.gpuUuid.slice(4)}/1/0 ${ID.migUuid}`)).toEqual([
      `gpu-uuid:${ID.gpuUuid}`,
      `gpu-uuid:GPU-${ID.gpuUuid.slice(4)}`,
      `mig-uuid:${ID.migUuid}`,
    ]);
    expect(found('Serial Number                         : 1652922014518')).toEqual(['serial:1652922014518']);
    expect(found('{"serial": "PX-1234-ab"}')).toEqual(['serial:PX-1234-ab']);
    expect(
      found(
        '/home/users/u100123/x /scratch/project_465000123/alice/y /leonardo/home/userexternal/bmoss000 C:\\Users\\Carol\\x ~dave/z /home/$USER/q',
      ),
    ).toEqual([
      'user:u100123',
      'user:u100123',
      'user:alice',
      'user:bmoss000',
      'user:bmoss000',
      'user:Carol',
      'user:dave',
    ]);
    expect(found('ssh erin@login01.example.org; git@github.com:a/b; onnxruntime-node@1.30.0; tfjs@latest')).toEqual([
      'user:erin',
      'host:login01.example.org',
      'host:github.com',
    ]);
  });

  it('finds Slurm job ids where the text names them as jobs, not other long numbers', () => {
    expect(
      found('Slurm job 7734219_14 ended; srun (job 7734230); slurm-7734231.out; SLURM_JOB_ID=7734232; jobid=7734233'),
    ).toEqual(['job:7734219', 'job:7734219', 'job:7734230', 'job:7734231', 'job:7734232', 'job:7734233']); // as a task, and as a job
    expect(found('model_2048_4.onnx, 123456 samples, 1.12345_6, n=65536')).toEqual([]);
  });

  it("expands Slurm's host lists, zero padding kept", () => {
    expect(expandHostList('mel[2001-2003,2010],gpu07')).toEqual(['mel2001', 'mel2002', 'mel2003', 'mel2010', 'gpu07']);
    expect(expandHostList('n[08-10]-ib')).toEqual(['n08-ib', 'n09-ib', 'n10-ib']);
    expect(expandHostList('n[1-')).toBeNull();
  });
});

describe('redactRecords', () => {
  it('leaves no identifying value in any record, in any form', async () => {
    const records = await identifyingRecords();
    // the originals really are there to begin with
    expect(leaksIn(JSON.stringify(records), ORIGINALS)).toEqual(ORIGINALS);
    const { records: redacted } = redactRecords(records);
    expect(leaksIn(JSON.stringify(redacted), ORIGINALS)).toEqual([]);
    for (const r of redacted) runRecordSchema.parse(r);
    // and the input is untouched
    expect(records[0]!.system.host).toBe(ID.nodes[0]);
  });

  it('gives one value one label in every record and every field', async () => {
    const records = await identifyingRecords();
    const { records: red } = redactRecords(records);
    const [infer, local, train, command, missing] = red as [RunRecord, RunRecord, RunRecord, RunRecord, RunRecord];
    const node1 = infer.system.host;
    expect(node1).toMatch(/^node-\d+$/);
    expect(infer.slurm?.node).toBe(node1);
    expect(infer.system.env['SLURMD_NODENAME']).toBe(node1);
    expect(train.system.host).toMatch(/^node-\d+$/);
    expect(train.system.host).not.toBe(node1);
    expect(infer.warnings[0]).toContain(`${node1}.hpc.example`);
    // the node list holds the same labels as the nodes
    expect(infer.system.env['SLURM_JOB_NODELIST']).toBe([node1, train.system.host, missing.system.host].join(','));
    // the synthetic records on the same nodes
    const synthetic = red.slice(5);
    expect(new Set(synthetic.filter((r) => r.site === 'meluxina').map((r) => r.system.host))).toEqual(
      new Set([node1, train.system.host, missing.system.host]),
    );
    expect(missing.error).toContain(`srun: error: ${missing.system.host}: task 0`);
    expect(command.error).toContain(`on ${command.system.host} (`);
    // the user, in every path and login
    const user = /\/home\/(user-\d+)\/fedbench/.exec(
      infer.details?.kind === 'inference' ? infer.details.modelFile! : '',
    )?.[1];
    expect(user).toBeDefined();
    const cmd = command.details?.kind === 'command' ? command.details : null;
    expect(cmd?.cwd).toBe(`/home/${user}/bench`);
    expect(cmd?.argv).toContain(`/scratch/project_465000123/${user}/data`);
    expect(command.campaign).toBe(`acceptance-${user}`);
    expect(command.benchmark.params['data']).toBe(`/home/${user}/data`);
    expect(cmd?.stderrTail).toContain(`\\/home\\/${user}\\/x.log`);
    expect(cmd?.stderrTail).toContain(`file:///home/${user}/my%20model.onnx`);
    expect(local.engine.fallbacks[0]!.reason).toContain(`/home/${user}/.local/lib`);
    // jobs and array tasks: the same job label everywhere, tasks renumbered from 0 in their order (12, 13, 14, 20, 21)
    const job = infer.slurm?.jobId;
    expect(job).toMatch(/^job-\d+$/);
    expect([train.slurm?.jobId, missing.slurm?.jobId, infer.system.env['SLURM_ARRAY_JOB_ID']]).toEqual([job, job, job]);
    expect([infer.slurm?.arrayTaskId, train.slurm?.arrayTaskId, missing.slurm?.arrayTaskId]).toEqual([0, 1, 2]);
    expect(infer.system.env['SLURM_ARRAY_TASK_ID']).toBe('0');
    expect(missing.id).toBe(`slurm-meluxina-${job}_2-4`);
    expect(missing.error).toMatch(new RegExp(`^Slurm job ${job}_2 at site meluxina: .*\\(job job-\\d+\\)$`));
    expect(command.slurm?.jobId).not.toBe(job);
    // addresses and the GPU
    expect(infer.warnings[0]).toMatch(/^another process shared gpu-uuid-1 on node-\d+\.hpc\.example \(ip-\d+\)$/);
    const ip = /\((ip-\d+)\)/.exec(infer.warnings[0]!)![1];
    expect(cmd?.argv.at(-1)).toBe(`${ip}:29500`);
    expect(infer.system.gpus[0]!.uuid).toBe('gpu-uuid-1');
    expect(infer.system.env['CUDA_VISIBLE_DEVICES']).toBe('mig-uuid-1');
    expect(cmd?.stderrTail).toMatch(/Serial Number : serial-1; UUID : gpu-uuid-1; MAC mac-1/);
  });

  it('keeps what readers need: sites, GPU models, versions, figures, dates, vocabulary', async () => {
    const records = await identifyingRecords();
    const { records: red } = redactRecords(records);
    red.forEach((r, i) => {
      const o = records[i]!;
      expect(r.site).toBe(o.site);
      expect(r.system.gpus.map((g) => [g.name, g.driver, g.cuda])).toEqual(
        o.system.gpus.map((g) => [g.name, g.driver, g.cuda]),
      );
      expect([r.engine.name, r.engine.backend, r.engine.version]).toEqual([
        o.engine.name,
        o.engine.backend,
        o.engine.version,
      ]);
      expect([r.samples, r.stats, r.iterationSeconds]).toEqual([o.samples, o.stats, o.iterationSeconds]);
      expect([r.startedAt, r.finishedAt, r.status, r.case, r.metric]).toEqual([
        o.startedAt,
        o.finishedAt,
        o.status,
        o.case,
        o.metric,
      ]);
      expect([r.system.node, r.system.packages, r.system.os, r.system.cpu]).toEqual([
        o.system.node,
        o.system.packages,
        o.system.os,
        o.system.cpu,
      ]);
    });
    const energy = red[0]!.energy.status === 'measured' ? red[0]!.energy : null;
    expect(energy?.readings?.[0]).toMatchObject({ domain: 'gpu', device: `gpu0 ${GPU} (gpu-uuid-1)` });
    expect(energy?.readings?.[0]?.note).toMatch(/^read on node-\d+ through \/sys\/cray\/pm_counters\/accel0_energy$/);
    expect(red[3]!.error).toMatch(
      /^\/home\/user-\d+\/bench\/train.py exited with code 1 on node-\d+ \(ssh user-\d+@host-\d+, user-\d+@ip-\d+\) for proj-secret-x9$/,
    );
    // the same report, but for names: every figure and verdict as before
    const plain = buildReportModel(records);
    const shared = buildReportModel(red);
    const figures = (m: typeof plain) =>
      m.benchmarks.map((b) =>
        b.rows.map((r) => [r.site.startsWith('local:') ? 'local' : r.site, r.median, r.ci95, r.verdict]),
      );
    expect(figures(shared)).toEqual(figures(plain));
    expect(shared.benchmarks.flatMap((b) => b.rows.map((r) => r.site))).toContain('local:host-2');
  });

  it('leaves fedbench vocabulary alone when a host shares its name', () => {
    const r = syntheticRecord({ site: 'alpha', node: 'gpu', median: 100, watts: 200, gpu: 'NVIDIA A100' });
    const measured = {
      ...r,
      status: 'ok' as const,
      error: 'gpu ok on gpu',
      energy: {
        ...r.energy,
        status: 'measured',
        readings: [
          {
            source: 'nvml',
            method: 'counter',
            domain: 'gpu',
            device: 'gpu0',
            joules: 1,
            meanWatts: 1,
            peakWatts: null,
            samples: 2,
            coverage: 1,
          },
        ],
      },
    } as RunRecord;
    const [red] = redactRecords([measured]).records;
    expect(red!.system.host).toBe('node-1');
    expect(red!.error).toBe('node-1 ok on node-1');
    expect(red!.energy.status === 'measured' && red!.energy.readings?.[0]?.domain).toBe('gpu');
    expect(red!.energy.status === 'measured' && red!.energy.readings?.[0]?.device).toBe('gpu0');
    expect(red!.status).toBe('ok');
    runRecordSchema.parse(red);
  });

  it('gives a machine named by its short name in one place and in full in another one label everywhere', () => {
    const r = syntheticRecord({ site: 'alpha', node: 'gn012.cluster.example.org', median: 100, status: 'failed' });
    const [red] = redactRecords([
      { ...r, error: 'gn012 lost its link', system: { ...r.system, host: 'gn012' } },
    ]).records;
    expect(red!.slurm?.node).toBe('node-1');
    expect(red!.system.host).toBe('node-1');
    expect(red!.error).toBe('node-1 lost its link');
    // two machines sharing a short name stay apart: the short name is then a value of its own
    const other = syntheticRecord({ site: 'beta', node: 'gn012.other.example.net', median: 100 });
    const both = redactRecords([{ ...r, system: { ...r.system, host: 'gn012' } }, other]).records;
    expect(new Set([both[0]!.slurm?.node, both[0]!.system.host, both[1]!.slurm?.node]).size).toBe(3);
  });

  it('keeps site names whole, and words that say nothing', () => {
    const r = syntheticRecord({ site: 'mel-n01', node: 'n01', median: 100 });
    const [red] = redactRecords([
      { ...r, error: 'on n01 at site mel-n01; host unknown', system: { ...r.system, host: 'unknown' } },
    ]).records;
    expect(red!.error).toBe('on node-1 at site mel-n01; host unknown');
    expect(red!.system.host).toBe('unknown');
  });

  it("replaces a test cluster's short job ids in their fields and JOB_TASK forms, not every such number", () => {
    const r = syntheticRecord({
      site: 'alpha',
      node: 'n001',
      median: 100,
      status: 'failed',
      error: 'Slurm job 12_3 ended; 12 samples',
    });
    const [red] = redactRecords([
      {
        ...r,
        system: { ...r.system, env: { SLURM_ARRAY_JOB_ID: '12', SLURM_ARRAY_TASK_ID: '3', OMP_NUM_THREADS: '12' } },
        slurm: { ...r.slurm, jobId: '12', arrayTaskId: 3 },
      },
    ]).records;
    expect(red!.error).toBe('Slurm job job-1_0 ended; 12 samples');
    expect(red!.slurm).toMatchObject({ jobId: 'job-1', arrayTaskId: 0 });
    expect(red!.system.env).toEqual({ SLURM_ARRAY_JOB_ID: 'job-1', SLURM_ARRAY_TASK_ID: '0', OMP_NUM_THREADS: '12' });
  });

  it('redacts the data given with the same labels, keys kept, and counts kinds, never values', async () => {
    const records = await identifyingRecords();
    const { extra, summary } = redactRecords(records, {
      extra: {
        texts: [`report for ${ID.user}`, `records read from /home/${ID.user}/results, /Users/someone_else/r`],
        [ID.nodes[0]!]: { node: ID.nodes[0], older: 'mxq2999', id: `slurm-meluxina-${ID.arrayJob}_12-0`, median: 12 },
      },
      known: { values: ['p465000123'], accounts: ['acct-77x'], nodes: ['mxq2999'] },
    });
    const [title, sources] = extra.texts;
    expect(title).toMatch(/^report for user-\d+$/);
    expect(sources).toMatch(/^records read from \/home\/user-\d+\/results, \/Users\/user-\d+\/r$/);
    // a node the records name, under a key kept as it is; a node only `known` names
    const data = extra[ID.nodes[0]!]!;
    expect(data).toEqual({
      node: expect.stringMatching(/^node-\d+$/),
      older: 'node-5',
      id: expect.stringMatching(/^slurm-meluxina-job-\d+_0-0$/),
      median: 12,
    });
    expect(leaksIn(JSON.stringify(summary), [...ORIGINALS, 'p465000123', 'someone_else'])).toEqual([]);
    const count = Object.fromEntries(summary.replaced.map((r) => [r.kind, r.count]));
    expect(count).toMatchObject({
      node: 5,
      host: 2,
      user: 3, // zelda77, qbert_99, someone_else; `user` of the real records' /home/user/fedbench says nothing
      job: 3,
      task: 8, // 12, 13, 14, 20, 21 of one array job; 3, 20, 21 of the other
      ip: 3,
      'gpu-uuid': 1,
      'mig-uuid': 1,
      serial: 1,
      mac: 1,
      account: 1,
      value: 1,
    });
  });

  it('changes nothing on records already redacted', async () => {
    const once = redactRecords(await identifyingRecords());
    const twice = redactRecords(once.records);
    expect(twice.records).toEqual(once.records);
    expect(twice.summary).toEqual(once.summary);
  });
});

// Names a user or a site could have, hostile ones included: regular-expression metacharacters, markup, quotes,
// shell. Each holds `Qz9` so that finding it in a report (with its inlined chart libraries) can only be a leak.
const hostile = fc.constantFrom(
  '<script>',
  '</script>',
  '"',
  "'",
  '$(',
  ')',
  '`',
  '&amp;',
  '\\',
  '.*',
  '+?',
  '[a-z]',
  '{1}',
  '|',
  '^',
  '%2F',
  ' ',
  '\n',
);
const nameChar = fc.constantFrom(...'abcXYZ019-_.'.split(''));
const hostName = fc
  .tuple(
    fc.array(fc.oneof(hostile, nameChar), { maxLength: 4 }),
    fc.array(fc.oneof(hostile, nameChar), { maxLength: 4 }),
  )
  .map(([a, b]) => `${a.join('')}Qz9${b.join('')}`);
const userName = fc
  .array(fc.constantFrom(...'abcdxyz0189_-+'.split('')), { minLength: 1, maxLength: 8 })
  .map((a) => `u${a.join('')}Qz9`);
const jobId = fc.integer({ min: 10_000, max: 99_999_999 }).map(String);

function hostileRecords(host: string, node: string, user: string, job: string): RunRecord[] {
  const home = `/home/${user}`;
  return [0, 1].map((i) => {
    const r = syntheticRecord({
      site: 'alpha',
      node,
      median: 1000 + i,
      gpu: GPU,
      status: i ? 'failed' : 'ok',
      error: `${home}/run.sh on ${node} via ${host}: "${host}" '${node}' ${encodeURIComponent(host)} job ${job}_${i}`,
      seed: i + 1,
    });
    return {
      ...r,
      campaign: `c-${user}`,
      system: {
        ...r.system,
        host: i ? host : node,
        env: { SLURMD_NODENAME: node, SLURM_ARRAY_JOB_ID: job, SLURM_ARRAY_TASK_ID: String(i) },
      },
      slurm: { ...r.slurm, jobId: job, arrayTaskId: i },
      warnings: [`cwd ${home}/x; model ${JSON.stringify(`${home}/m.onnx`)}`],
    };
  });
}

describe('redactRecords on hostile names', () => {
  it('leaves none of them in the report, its exports or the records, and keeps every record valid', () => {
    fc.assert(
      fc.property(hostName, hostName, userName, jobId, (host, node, user, job) => {
        fc.pre(!host.toLowerCase().includes(node.toLowerCase()) && !node.toLowerCase().includes(host.toLowerCase()));
        const records = hostileRecords(host, node, user, job);
        const originals = [host, node, user, `/home/${user}`, job];
        expect(leaksIn(JSON.stringify(records), originals)).toEqual(originals); // there to begin with
        const { records: red } = redactRecords(records);
        for (const r of red) runRecordSchema.parse(r);
        const model = buildReportModel(red);
        const written = [JSON.stringify(red), renderHtml(model), toCsv(red), toMarkdown(model), JSON.stringify(model)];
        for (const text of written) expect(leaksIn(text, originals)).toEqual([]);
        // one label per value: the node in its fields and in the error text
        expect(red[1]!.error).toContain(` on ${red[0]!.system.host} via ${red[1]!.system.host}: `);
        expect(redactRecords(red).records).toEqual(red);
      }),
      { numRuns: 100 },
    );
  });
});
