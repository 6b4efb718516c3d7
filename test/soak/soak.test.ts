// The chaos soak in CI (issue 23): a few seeded campaigns on the Slurm test sites with every fault kind injected at
// least once, then fedbench run again as a user would; every invariant must hold. The soak brings the sites up and
// down itself (slurm/testenv/up.sh), so it must not run beside another test file that uses them.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FAULT_KINDS } from '../../src/soak/faults.js';
import { INVARIANTS } from '../../src/soak/soak.js';
import { IN_CI, missingPrerequisite, ROOT } from '../federation/testenv.js';

const missing =
  missingPrerequisite() ??
  (existsSync(path.join(ROOT, 'dist/soak/main.js')) ? null : "no built soak (dist/soak/main.js): run 'npm run build'");
if (missing && IN_CI) throw new Error(`the soak cannot run in CI: ${missing}`);

interface Outcome {
  seed: number;
  faults: Record<string, { injected: number; missed: number }>;
  campaigns: Array<{ name: string; cases: number; records: number }>;
  invariants: Array<{ name: string; violations: Array<{ campaign: string; detail: string }> }>;
}

function soak(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(ROOT, 'dist/soak/main.js'), ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe.skipIf(missing !== null)(`the chaos soak${missing ? ` (skipped: ${missing})` : ''}`, () => {
  it('2 seeded campaigns, every fault kind injected: every case ends once, nothing lost, doubled or left running', async () => {
    const r = await soak(['--campaigns', '2', '--seed', '23', '--json', '--recovery-seconds', '150']);
    let o: Outcome;
    try {
      o = JSON.parse(r.stdout) as Outcome;
    } catch {
      throw new Error(`the soak printed no outcome (exit ${r.code}): ${r.stderr.slice(-2000)}`);
    }
    const violations = o.invariants.flatMap((i) => i.violations.map((v) => `${i.name}: ${v.campaign}: ${v.detail}`));
    expect(violations, r.stderr).toEqual([]);
    expect(r.code, r.stderr).toBe(0);
    expect(o.invariants.map((i) => i.name)).toEqual([...INVARIANTS]);
    for (const k of FAULT_KINDS)
      expect(o.faults[k]!.injected, `fault ${k} (${JSON.stringify(o.faults[k])})`).toBeGreaterThan(0);
    expect(o.campaigns).toHaveLength(2);
    for (const c of o.campaigns) expect(c.records, c.name).toBeGreaterThanOrEqual(c.cases);
  }, 420_000);
});
