// The report's communication section from constructed records of ranked cases (the figures are made up; the
// record shapes are the ones fedbench writes for nodes × gpusPerNode cases).
import { describe, expect, it } from 'vitest';
import { accept, linkShares, nodePairViews, scalingEfficiency, transports } from '../../src/analysis/index.js';
import { syntheticRecord } from '../../src/bench/synthetic.js';
import { commSummary } from '../../src/cli/run-summary.js';
import { buildReportModel, renderReportBody } from '../../src/report/index.js';
import { runRecordSchema, type CommRow, type RunRecord } from '../../src/results/index.js';
import { parseSite, siteFacts } from '../../src/sites/index.js';
import { referencesFileSchema, type Reference } from '../../src/suite/index.js';

function ranked(
  site: string,
  benchmark: string,
  params: Record<string, unknown>,
  median: number,
  world: number,
  nodes: string[],
  comm?: { backend: string; transport: string[]; flag?: string; rows: CommRow[]; commShare?: number },
): RunRecord {
  const r = syntheticRecord({ site, benchmark, params, median, kind: 'command', seed: world, spread: 0 });
  r.metric = { name: 'throughput', unit: 'samples/s', direction: 'higher' };
  r.details = {
    kind: 'command',
    argv: ['python3', 'x.py'],
    exitCode: 0,
    extraction: 'json path samples_per_s',
    ranks: {
      world,
      nodes,
      perNode: world / nodes.length,
      launcher: 'fedbench (local processes)',
      rendezvous: { masterAddr: '127.0.0.1', masterPort: 29500 },
      perRank: Array.from({ length: world }, (_, rank) => ({
        rank,
        node: nodes[Math.floor(rank / (world / nodes.length))]!,
        localRank: rank % (world / nodes.length),
        figure: median,
        exitCode: 0,
      })),
      summary: { min: median, median, max: median, slowestRank: 0 },
    },
    ...(comm ? { comm } : {}),
  };
  return runRecordSchema.parse(r);
}

const row = (bytes: number, timeUs: number, n: number): CommRow => {
  const algbw = bytes / (timeUs * 1e-6) / 1e9;
  return {
    collective: 'all_reduce',
    dtype: 'fp32',
    bytes,
    timeUs,
    algbw,
    busbw: (algbw * 2 * (n - 1)) / n,
    checked: true,
  };
};

describe('communication and scaling in the report', () => {
  const ddp = (w: number, m: number, share?: number) =>
    ranked('s1', 'ddp', { nodes: 1, gpusPerNode: w, batch: 64 }, m, w, ['n1'], {
      backend: 'gloo',
      transport: ['gloo over TCP'],
      rows: [],
      ...(share !== undefined ? { commShare: share } : {}),
    });
  const ddpOnly = ddp(1, 1000);
  const records = [
    ddp(1, 1000),
    ddp(2, 1800, 0.2),
    ddp(4, 3000, 0.4),
    ranked('s1', 'comm', { nodes: 2, gpusPerNode: 4 }, 20, 8, ['n1', 'n2'], {
      backend: 'nccl',
      transport: ['P2P/IPC', 'NET/Socket/0'],
      flag: '2 nodes connected over sockets (TCP), not InfiniBand',
      rows: [row(1024, 20, 8), row(1 << 20, 100, 8)],
    }),
  ];

  it('scaling efficiency is T(N) / (N × T(1)) across the worlds of one sweep, with the communication share', () => {
    const rows = scalingEfficiency(records);
    expect(rows.map((r) => [r.world, r.efficiency, r.commShare])).toEqual([
      [1, 1, null],
      [2, 0.9, 0.2],
      [4, 0.75, 0.4],
    ]);
  });

  it('draws busbw against size (log–log), efficiency against ranks, and flags a multi-node run over sockets', () => {
    expect(transports(records).find((t) => t.backend === 'nccl')).toMatchObject({
      nodes: 2,
      world: 8,
      flag: /sockets/,
    });
    const m = buildReportModel(records);
    expect(m.comm.curves).toEqual([
      expect.objectContaining({ site: 's1', collective: 'all_reduce', world: 8, nodes: 2 }),
    ]);
    const { body, specs } = renderReportBody(m, ['communication']);
    const text = body.toString();
    expect(text).toContain('<span class="bad">2 nodes connected over sockets (TCP), not InfiniBand</span>');
    expect(text).toMatch(/<td>75\.0%<\/td>/);
    expect(specs.toString()).toContain('"text":"Bus bandwidth"');
    expect(specs.toString()).toContain('"scale":{"type":"log","base":2}');
    expect(specs.toString()).toContain('"text":"Scaling efficiency"');
  });

  it('fedbench run prints busbw per size for each collective sweep, with the transport and its flag', () => {
    const text = commSummary(records);
    const lines = text.split('\n');
    expect(lines[1]!.trim().split(/\s+/)).toEqual(['bytes', 'all_reduce', 'fp32', '×8/2n']);
    // 1024 B in 20 µs: algbw 0.0512 GB/s, busbw × 2·7/8
    expect(lines[2]!.trim().split(/\s+/)).toEqual(['1024', '0.0896']);
    expect(text).toContain('nccl: P2P/IPC, NET/Socket/0 — 2 nodes connected over sockets (TCP), not InfiniBand');
    expect(commSummary([ddpOnly])).toBe('');
  });
  it("gives an NCCL curve's best busbw as a share of the link its ranks crossed, from the profile's interconnect", () => {
    const profile = (name: string, interconnect: string) =>
      siteFacts(
        parseSite(
          `name: ${name}\nscheduler: { partition: gpu }\nworkdir: ~/w\nfacts:\n  gpu: { model: A100, perNode: 4 }\n  interconnect: ${interconnect}\n  sources: [the site's hardware page]\n`,
          `${name}.yaml`,
        ),
      );
    const facts = {
      a: profile(
        'a',
        '{ intraNode: { link: NVLink 3, gbPerSecPerGpu: 300 }, interNode: { link: 4× HDR, rails: 4, gbitPerNode: 800 } }',
      ),
      b: profile('b', '{ interNode: { link: 2× HDR } }'),
    };
    const nccl = (site: string, world: number, nodes: string[], busbw: number[]) =>
      ranked(site, 'comm', { nodes: nodes.length, gpusPerNode: world / nodes.length }, 1, world, nodes, {
        backend: 'nccl',
        transport: ['NET/IB/0/GDRDMA'],
        rows: busbw.map((b, i) => ({ ...row(1024 << (10 * i), 10, world), busbw: b })),
      });
    const recs = [
      nccl('a', 4, ['n1'], [1.5, 180, 240]), // inside a node: best 240 GB/s of NVLink's 300 per direction
      nccl('a', 8, ['n1', 'n2'], [0.9, 60, 85]), // between nodes: 85 of 800 Gb/s = 100 GB/s
      nccl('b', 8, ['n1', 'n2'], [0.5, 20]), // a link without its rate
      nccl('b', 4, ['n1'], [1, 2]), // no intra-node link declared
      ...records.filter((r) => r.benchmark.id === 'ddp'), // gloo: host buffers, no row
    ];
    const m = buildReportModel(recs, { facts });
    expect(
      m.comm.links.map((l) => [l.site, l.world, l.scope, l.bestBusbw, l.atBytes, l.peakGbPerSec, l.share]),
    ).toEqual([
      ['a', 4, 'intraNode', 240, 1024 << 20, 300, 0.8],
      ['a', 8, 'interNode', 85, 1024 << 20, 100, 0.85],
      ['b', 4, 'intraNode', 2, 1024 << 10, null, null],
      ['b', 8, 'interNode', 20, 1024 << 10, null, null],
    ]);
    expect(m.comm.links[2]!.note).toBe(
      'no link inside a node declared: add facts.interconnect.intraNode to the site profile',
    );
    expect(m.comm.links[3]!.note).toMatch(/names the link between nodes without its rate/);
    expect(linkShares(m.comm.curves, {})).toHaveLength(4);
    const text = renderReportBody(m, ['communication']).body.toString();
    expect(text).toContain('<td>80.0%</td>');
    expect(text).toContain('240 GB/s at 1 GiB');
    expect(text).toContain('site profile a (facts.interconnect; the site&#39;s hardware page)');
  });
  it('validate judges busbw at a message size and scaling efficiency at a world, saying what is missing', () => {
    const refs = referencesFileSchema.parse({
      references: [
        { benchmark: 'comm', busbwAt: 1 << 20, value: 9, unit: 'GB/s', tolerance: { rel: 0.1 } },
        { benchmark: 'ddp', params: { gpusPerNode: 2 }, efficiency: true, value: 0.85, unit: 'ratio' },
        { benchmark: 'ddp', params: { gpusPerNode: 4 }, efficiency: true, value: 0.85, unit: 'ratio' },
      ],
    }).references as Reference[];
    const rows = accept(records, refs);
    // 1 MiB in 100 µs: algbw 10.49 GB/s, busbw × 2·7/8 = 18.35 — above 9 − 10%
    expect(rows.find((r) => r.case.startsWith('comm/'))).toMatchObject({ verdict: 'PASS', unit: 'GB/s' });
    expect(rows.find((r) => r.case.startsWith('comm/'))!.reason).toMatch(/^busbw at 1 MiB 18\.35 within/);
    const ddp2 = rows.find((r) => r.case.startsWith('ddp/') && r.case.includes('gpusPerNode=2'))!;
    const ddp4 = rows.find((r) => r.case.startsWith('ddp/') && r.case.includes('gpusPerNode=4'))!;
    expect([ddp2.verdict, ddp2.median, ddp2.reason]).toEqual([
      'PASS',
      0.9,
      expect.stringMatching(/^scaling efficiency 0\.9 within/),
    ]);
    expect([ddp4.verdict, ddp4.median]).toEqual(['FAIL', 0.75]);
    // a size the table lacks, and a sweep without its one-rank case: FAIL, saying why
    const missing = accept(
      records.filter((r) => !r.case.includes('gpusPerNode=1,')),
      [{ ...refs[0]!, busbwAt: 3 }, refs[1]!],
    );
    expect(missing.find((r) => r.case.startsWith('comm/'))!.reason).toBe(
      "no busbw at 3 B: no row at 3 B in the case's table (1 KiB … 1 MiB)",
    );
    expect(missing.find((r) => r.case.includes('gpusPerNode=2'))!.reason).toBe(
      'no scaling efficiency: no one-rank case of the same sweep at this site to scale against',
    );
    expect(() =>
      referencesFileSchema.parse({
        references: [{ benchmark: 'x', busbwAt: 8, efficiency: true, value: 1, unit: 'GB/s' }],
      }),
    ).toThrow(/busbwAt or efficiency, not both/);
  });
});

describe('node pairs: which pair of nodes, and which node, is slow', () => {
  // a constructed node-pair sweep: 4 nodes, 6 pairs; every pair with n4 runs at 40% of the others (n4's link)
  const pair = (a: string, b: string, timeUs: number, site = 's1') =>
    ranked(site, 'allreduce', { nodes: 2, gpusPerNode: 1 }, 1, 2, [a, b], {
      backend: 'nccl',
      transport: ['NET/IB/0'],
      rows: [row(1024, 30, 2), row(1 << 24, timeUs, 2)],
    });
  const nodes = ['n1', 'n2', 'n3', 'n4'];
  const sweep = nodes.flatMap((a, i) =>
    nodes.slice(i + 1).map((b) => pair(a, b, b === 'n4' || a === 'n4' ? 2500 : 1000)),
  );

  it('each pair against the fastest; a node whose every pair is slow is the suspect', () => {
    const [v] = nodePairViews(sweep);
    expect(v!.nodes).toEqual(nodes);
    expect(v!.pairs).toHaveLength(6);
    expect(v!.pairs.filter((p) => p.slow).map((p) => `${p.a}-${p.b}`)).toEqual(['n1-n4', 'n2-n4', 'n3-n4']);
    expect(v!.pairs.find((p) => p.a === 'n1' && p.b === 'n4')!.ofBest).toBeCloseTo(0.4, 6);
    expect(v!.pairs.find((p) => p.a === 'n1' && p.b === 'n2')!).toMatchObject({
      ofBest: 1,
      slow: false,
      atBytes: 1 << 24,
    });
    expect(v!.suspects).toEqual([{ node: 'n4', slowPairs: 3, ports: [] }]);
  });

  it('three nodes, one bad: its two pairs are slow, the median would have hidden it', () => {
    const three = [pair('n1', 'n2', 1000), pair('n1', 'n3', 2000), pair('n2', 'n3', 2000)];
    // the bad node's ports as its rank read them in the job: the suspect comes with its down port
    const d = three[2]!.details as { ranks: { fabric?: unknown } };
    d.ranks.fabric = [
      { node: 'n2', infiniband: [] },
      {
        node: 'n3',
        infiniband: [
          { device: 'mlx5_0', port: 1, state: '1: DOWN', rate: '10 Gb/sec', gbitPerSec: 10, linkLayer: 'InfiniBand' },
        ],
      },
    ];
    expect(nodePairViews(three)[0]!.suspects).toEqual([
      { node: 'n3', slowPairs: 2, ports: ['InfiniBand port mlx5_0/1 is DOWN, not ACTIVE'] },
    ]);
  });

  it('a pair whose runs failed is slow and says why; another case on the same nodes is its own view', () => {
    const dead = (a: string, b: string) => {
      const r = pair(a, b, 1000);
      r.status = 'failed';
      r.error = `rank 1 of 2 on node ${b}: exited with code 1`;
      delete (r.details as { comm?: unknown }).comm;
      return r;
    };
    // n3's pairs: one failed outright, one slow: n3 is the suspect
    const three = [pair('n1', 'n2', 1000), dead('n1', 'n3'), pair('n2', 'n3', 2500)];
    const [v] = nodePairViews(three);
    expect(v!.pairs.find((p) => p.b === 'n3' && p.a === 'n1')).toMatchObject({
      busbw: null,
      runs: 0,
      failed: 1,
      slow: true,
      error: 'rank 1 of 2 on node n3: exited with code 1',
    });
    expect(v!.suspects.map((x) => x.node)).toEqual(['n3']);
    const body = renderReportBody(buildReportModel(three, {}), ['communication']).body.toString();
    expect(body).toContain('<span class="bad">failed</span>');
    expect(body).toContain('<li>n1 and n3: rank 1 of 2 on node n3: exited with code 1</li>');
    // the same nodes under another case (another message-size ceiling): never pooled with the sweep
    const other = pair('n1', 'n2', 100);
    other.case = 'allreduce/command/nodes=2,gpusPerNode=1,maxBytes=65536';
    const views = nodePairViews([...three, other]);
    expect(views).toHaveLength(2);
    expect(views.find((x) => x.case === other.case)!.pairs).toHaveLength(1);
  });

  it('one pair only: shown, not judged, saying why; repeated runs of a pair give their median', () => {
    const [v] = nodePairViews([pair('n1', 'n2', 1000), pair('n1', 'n2', 2000), pair('n1', 'n2', 1100)]);
    expect(v!.pairs).toHaveLength(1);
    expect(v!.pairs[0]).toMatchObject({ runs: 3, ofBest: null, slow: false });
    expect(v!.pairs[0]!.busbw).toBeCloseTo(row(1 << 24, 1100, 2).busbw, 6);
    expect(v!.note).toMatch(/one pair of nodes measured/);
    // runs on one node, or on more than two, are not pairs
    expect(
      nodePairViews([
        ranked('s1', 'allreduce', { nodes: 1, gpusPerNode: 2 }, 1, 2, ['n1'], {
          backend: 'nccl',
          transport: [],
          rows: [row(1024, 30, 2)],
        }),
      ]),
    ).toEqual([]);
  });

  it('the report draws the matrix and names the suspect, escaping node names', () => {
    const hostile = [pair('n1', '<b>x', 1000), pair('n1', 'n3', 1000), pair('<b>x', 'n3', 1000)];
    const model = buildReportModel([...sweep, ...hostile.map((r) => ({ ...r, site: 's2' }))], {});
    const body = renderReportBody(model, ['communication']).body.toString();
    expect(body).toContain('<h3>Node pairs</h3>');
    expect(body).toMatch(/Suspect node: n4 \(all 3 of its pairs slow or failed\)/);
    expect(body).toMatch(/<span class="bad">[\d.]+ GB\/s \(40(\.0)?%\) slow<\/span>/);
    expect(body).toContain('&lt;b&gt;x');
    expect(body).not.toContain('<b>x');
  });
});
