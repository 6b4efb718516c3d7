// The proof of a redaction, as issue 24's hostile review ran it: records holding what once survived (the
// `SURVIVED` values) and every identifying value of records.ts, through `report --redact` in every format, then
// `fedbench redact check` over each file; the same check over an unredacted report finds them. A property-based
// generator places identifying values in every string field of real records and greps every format for them.
import { mkdir, mkdtemp, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { compileWalk, RECORD_PLAN } from '../../src/redact/plan.js';
import { type ReplacedValue, redactRecords, survivors } from '../../src/redact/index.js';
import { buildReportModel, renderHtml, toCsv, toMarkdown, type ReportModel } from '../../src/report/index.js';
import { type RunRecord, runRecordSchema, writeRecord } from '../../src/results/index.js';
import { fedbench } from '../cli/run-cli.js';
import { identifyingRecords, ORIGINALS, SURVIVED, SURVIVED_VALUES, survivedRecords } from './records.js';

let tmp: string;
let results: string;
let sites: string;
const GAMMA = `name: gamma\nscheduler: { partition: ${SURVIVED.partition}, timeLimit: "00:10:00" }\nworkdir: /tmp/w\nfacts: { gpu: { model: NVIDIA H100, perNode: 4 } }\n`;

const asValues = (values: readonly string[]): ReplacedValue[] =>
  values.map((value) => ({ kind: 'value', value, label: '', inText: true }));

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'fb-redact-check-'));
  results = path.join(tmp, 'results');
  for (const r of [...(await identifyingRecords()), ...survivedRecords()]) await writeRecord(results, r);
  sites = path.join(tmp, 'sites');
  await mkdir(sites);
  await writeFile(path.join(sites, 'gamma.yaml'), GAMMA);
  // an invalid profile of a site no record is of: skipped with a warning, not a failed report
  await writeFile(path.join(sites, 'broken.yaml'), 'name: broken\nscheduler: { partition: 12 }\n');
});

async function report(name: string, extra: string[]) {
  const dir = path.join(tmp, name);
  const out = path.join(dir, 'report.html');
  const args = ['report', '-r', results, '--out', out, '--export', 'csv,json,md'];
  const r = await fedbench([...args, '--workload', `mycmd/${SURVIVED.workloadUser}`, '--sites-dir', sites, ...extra]);
  expect(r.code, r.stderr).toBe(0);
  const files = (await readdir(dir)).filter((f) => f.startsWith('report.') && !f.endsWith('.replaced.json'));
  return { dir, out, r, files: files.map((f) => path.join(dir, f)) };
}

describe('fedbench redact check', () => {
  it('passes every format of report --redact, and names each value that survives in the unredacted one', async () => {
    const red = await report('redacted', ['--redact']);
    expect(red.files.map((f) => path.extname(f)).sort()).toEqual(['.csv', '.html', '.json', '.md']);
    const ok = await fedbench(['redact', 'check', ...red.files, '--against', results, '--sites-dir', sites]);
    expect(ok.code, ok.stdout + ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/^redact check: none of \d+ identifying values from \d+ records is in 4 file\(s\)/);
    // the requested workload is ranked under its label, as the records name it
    const model = JSON.parse(await readFile(path.join(red.dir, 'report.json'), 'utf8')) as ReportModel;
    expect(model.rankings.note).toMatch(/^ranked for mycmd\/user-\d+$/);
    expect(model.overview.flatMap((s) => s.partitions ?? [])).not.toContain(SURVIVED.partition);

    const plain = await report('plain', []);
    const leaky = await fedbench(['redact', 'check', ...plain.files, '--against', results, '--sites-dir', sites]);
    expect(leaky.code).toBe(1);
    for (const v of [SURVIVED.workloadUser, SURVIVED.partition, SURVIVED.cluster, SURVIVED.jobUser])
      expect(leaky.stdout, v).toContain(`"${v}" survives`);
    expect(leaky.stdout).toMatch(/report\.html:\d+: user "u100234" survives \(plain\)/);
    expect(leaky.stdout).toMatch(/redact check: \d+ identifying value\(s\) survive in 4 file\(s\)\n$/);
  });

  it('leaves none of what the review found, nor any value of records.ts, in any file (by the test’s own list too)', async () => {
    const red = await report('redacted-own', ['--redact']);
    for (const file of red.files) {
      const text = await readFile(file, 'utf8');
      expect(survivors(text, asValues([...SURVIVED_VALUES, ...ORIGINALS])), file).toEqual([]);
    }
  });

  it('writes the replaced values beside the report, readable only by its owner, and in no export', async () => {
    const red = await report('proof', ['--redact']);
    const proof = path.join(red.dir, 'report.replaced.json');
    expect(red.r.stdout).toContain(`replaced values (keep at the centre, do not share): ${proof}`);
    expect((await stat(proof)).mode & 0o077).toBe(0);
    const { values } = JSON.parse(await readFile(proof, 'utf8')) as { values: ReplacedValue[] };
    const replaced = new Map(values.map((v) => [v.value.toLowerCase(), v]));
    for (const v of [SURVIVED.workloadUser, SURVIVED.jobUser, SURVIVED.partition, SURVIVED.cluster, SURVIVED.md5])
      expect(replaced.get(v.toLowerCase())?.label, v).toMatch(/^[a-z-]+-\d+$/);
    for (const file of red.files) expect(await readFile(file, 'utf8')).not.toContain(SURVIVED.workloadUser);
  });

  it('skips an invalid profile with a warning naming it, and fails when a record is of that site', async () => {
    const red = await report('invalid-profile', ['--redact']);
    expect(red.r.stderr).toMatch(/warning: skipped .*broken\.yaml for redaction \(no record is of site broken\): /);
    await writeFile(path.join(sites, 'gamma.yaml'), 'name: gamma\nscheduler: { partition: [x] }\n');
    try {
      const dir = path.join(tmp, 'fail-closed');
      const r = await fedbench([
        'report',
        '-r',
        results,
        '--out',
        path.join(dir, 'r.html'),
        '--redact',
        '--sites-dir',
        sites,
      ]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/cannot redact the records of site gamma: its profile is invalid/);
      await expect(readdir(dir)).rejects.toThrow(); // nothing written
    } finally {
      await writeFile(path.join(sites, 'gamma.yaml'), GAMMA);
    }
  });
});

// Identifying values a generator makes, each placed where redaction can tell what it is (a home path, a host
// field, `user@host`, a fingerprint after `SHA256:`) and also in every string field of real records.
const word = (min: number) =>
  fc.array(fc.constantFrom(...'abcdefghjkmnpqrstvwxyz0123456789'.split('')), { minLength: min, maxLength: min + 5 });
const secrets = fc.record({
  user: word(4).map((a) => `u${a.join('')}qz`),
  host: fc.tuple(word(3), word(3)).map(([a, b]) => `h${a.join('')}q.${b.join('')}x.example.lu`),
  ip: fc.tuple(fc.integer({ min: 11, max: 99 }), fc.integer({ min: 1, max: 254 })).map(([a, b]) => `10.${a}.7.${b}`),
  uuid: fc.uuid({ version: 4 }),
  sha: fc.stringMatching(/^[A-Za-z0-9+/]{43}$/),
  job: fc.integer({ min: 1_000_000, max: 99_999_999 }).map(String),
});

type Secrets = typeof secrets extends fc.Arbitrary<infer T> ? T : never;

function plant(records: RunRecord[], s: Secrets, seed: number): RunRecord[] {
  const text = `/home/${s.user}/x ${s.user}@${s.host} ${s.ip} ${s.uuid} SHA256:${s.sha} job ${s.job}`;
  // each field's text its own (numbered), so no field's whole text stands for the values inside another's
  let n = 0;
  const everywhere = compileWalk(RECORD_PLAN, () => `field ${n++}: ${text}`, true);
  return records.map((r, i) => {
    const planted = everywhere(r) as RunRecord;
    // site names are public by definition, and times must stay times
    planted.site = r.site;
    planted.startedAt = r.startedAt;
    planted.finishedAt = r.finishedAt;
    if (r.slurm && planted.slurm) Object.assign(planted.slurm, { start: r.slurm.start, end: r.slurm.end });
    planted.system.env = { ...planted.system.env, SLURM_JOB_USER: `field ${n++}: ${text}`, UNLISTED: text };
    planted.id = `${i}-${seed}-${s.job}`;
    return planted;
  });
}

describe('redaction of generated identifying values in every string field', () => {
  it('leaves none in the records, HTML, CSV, Markdown or JSON', async () => {
    const base = (await identifyingRecords()).slice(0, 6);
    let seed = 0;
    fc.assert(
      fc.property(secrets, (s) => {
        const records = plant(base, s, seed++);
        const values = asValues([s.user, s.host, s.ip, s.uuid, s.sha, s.job, 'example.lu']);
        expect(survivors(JSON.stringify(records), values).length).toBe(values.length); // there to begin with
        const { records: red } = redactRecords(records);
        for (const r of red) runRecordSchema.parse(r);
        const model = buildReportModel(red);
        for (const [format, text] of [
          ['records', JSON.stringify(red)],
          ['html', renderHtml(model)],
          ['csv', toCsv(red)],
          ['md', toMarkdown(model)],
          ['json', JSON.stringify(model)],
        ] as const)
          expect(
            survivors(text, values).map((v) => `${v.value.value} (${v.form})`),
            format,
          ).toEqual([]);
      }),
      { numRuns: 15 },
    );
  }, 300_000);
});
