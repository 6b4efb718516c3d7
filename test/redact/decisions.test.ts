// Redaction is an allow-list over the one record schema: every string field has a decision (kept, replaced by a
// label, scanned, dropped), a field added without one fails here, and README's table is the decisions' own text.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { syntheticRecord } from '../../src/bench/synthetic.js';
import { decisionsMarkdown, FIELD_DECISIONS, redactRecords } from '../../src/redact/index.js';
import { planOf, SCHEMA_PLAN, stringFields } from '../../src/redact/plan.js';
import { runRecordSchema } from '../../src/results/index.js';
import { ROOT } from '../cli/run-cli.js';

const undecided = (fields: string[]) => fields.filter((f) => !(f in FIELD_DECISIONS));

describe('redaction decisions', () => {
  it('has a decision for every string field of the record schema, and none for a field it does not have', () => {
    const fields = stringFields(SCHEMA_PLAN);
    expect(fields.length).toBeGreaterThan(50);
    expect(undecided(fields)).toEqual([]);
    expect(Object.keys(FIELD_DECISIONS).filter((f) => !fields.includes(f))).toEqual([]);
    // a field the schema grows is found without a decision: this test then fails until one is written
    const grown = runRecordSchema.extend({ contact: z.string(), notes: z.array(z.object({ by: z.string() })) });
    expect(undecided(stringFields(planOf(grown)))).toEqual(['contact', 'notes[].by']);
  });

  it('keeps, labels, scans and drops the environment by variable: one not on the list is dropped', () => {
    const r = syntheticRecord({ site: 'alpha', median: 1, seed: 1 });
    r.system.env = {
      OMP_NUM_THREADS: '8',
      SLURM_JOB_USER: 'hq_rk42',
      SLURM_JOB_PARTITION: 'gpu',
      SLURM_CLUSTER_NAME: 'clustrix-q9',
      SLURM_JOB_ACCOUNT: 'p465000999',
      MY_TOKEN: 'not-a-shape-anyone-knows',
    };
    const env = redactRecords([r]).records[0]!.system.env;
    expect(env).toEqual({
      OMP_NUM_THREADS: '8',
      SLURM_JOB_USER: 'user-1',
      SLURM_JOB_PARTITION: 'partition-1',
      SLURM_CLUSTER_NAME: 'cluster-1',
      SLURM_JOB_ACCOUNT: 'account-1',
    });
  });

  it("README's redaction table is the decisions' own text (`fedbench redact fields`)", () => {
    const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const section = /<!-- redact fields: start -->\n([\s\S]*?)<!-- redact fields: end -->/.exec(readme)?.[1];
    expect(section, 'README lacks the generated table').toBeDefined();
    expect(section).toBe(decisionsMarkdown());
  });
});
