// The user's own program as a benchmark (ReFrame's and hyperfine's model): each invocation is run without a shell,
// its figure of merit read from its output (or its wall time), under the suite's stopping rules, with energy meters
// framing the measured invocations exactly as for the built-in workloads.
import { execFile } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { z } from 'zod';
import { measureHarnessCost, samplingDecision, samplingWarnings, summarize } from '../../measure/index.js';
import type { CommandDetails } from '../../results/index.js';
import { SkipCase, type CustomWorkload, type EngineUsed, type ExecuteContext, type Outcome } from '../types.js';
import {
  worldIssues,
  commOf,
  copiesOf,
  launchRanks,
  ncclTestsTable,
  ranksRecord,
  ranksWarnings,
  worldOf,
  worldProblem,
  type RanksInvocation,
} from '../ranks/index.js';
import { invoke, type Invocation } from './invoke.js';
import { commandMetric, extractionRule, sameAs, substitute, type CommandFields, type CommandMetric } from './spec.js';

export { BEGIN_MARKER, END_MARKER, SKIP_MARKER } from './invoke.js';
export { commandFieldsSchema, placeholders, type CommandFields } from './spec.js';

/** A command that ran but gave no usable figure: a failed record that keeps argv, exit code and stderr's tail. */
export class CommandFailed extends Error {
  override name = 'CommandFailed';
  constructor(
    message: string,
    readonly details: CommandDetails,
  ) {
    super(message);
  }
}

const scalar = z.union([z.number(), z.string(), z.boolean()]);

/** A figure is a finite decimal number (`12`, `-3.5`, `1e3`, `.5`): never hex, an empty capture, null or a boolean. */
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** The number a program printed, or null when what it printed is not a figure. */
function parseFigure(printed: unknown): number | null {
  if (typeof printed === 'number') return Number.isFinite(printed) ? printed : null;
  if (typeof printed !== 'string' || !DECIMAL.test(printed.trim())) return null;
  const value = Number(printed.trim());
  return Number.isFinite(value) ? value : null; // 1e999 is decimal, but no figure
}

/** What an invocation printed where its rule looks for a figure (as printed), and the figure it is, or null. */
interface Found {
  printed: string;
  value: number | null;
}

/** Figures read from one invocation's measured lines, by the suite's rule; wall time when there is none. */
function figuresOf(inv: Invocation, metric: CommandMetric | undefined): Found[] {
  if (metric?.regex) {
    const re = new RegExp(metric.regex);
    return inv.lines.flatMap((line) => {
      const m = re.exec(line);
      return m ? [{ printed: JSON.stringify(m[1] ?? ''), value: parseFigure(m[1] ?? '') }] : [];
    });
  }
  if (metric?.json) {
    const keys = metric.json.split('.');
    return inv.lines.flatMap((line) => {
      if (!line.trimStart().startsWith('{')) return [];
      let v: unknown;
      try {
        v = JSON.parse(line);
      } catch {
        return [];
      }
      for (const k of keys) v = v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined;
      return v === undefined ? [] : [{ printed: JSON.stringify(v), value: parseFigure(v) }];
    });
  }
  const seconds = inv.windowSeconds ?? inv.wallSeconds;
  return [{ printed: String(seconds), value: seconds }];
}

/** Median seconds to start and reap `true`: what an invocation costs beyond the program's own work. */
async function spawnCost(cwd: string): Promise<number> {
  const runs: number[] = [];
  for (let i = 0; i < 5; i++) {
    const inv = await invoke(['true'], { cwd, timeoutSeconds: 10, markers: false });
    runs.push(inv.wallSeconds);
  }
  return runs.sort((a, b) => a - b)[2]!;
}

function which(program: string): string | null {
  if (program.includes('/')) return program;
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const candidate = path.join(dir || '.', program);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return null;
}

/** Why this case cannot run here, from the suite's `requires`, or null. */
async function missingRequirement(fields: CommandFields): Promise<string | null> {
  for (const program of fields.requires?.program ?? [])
    if (!which(program)) return `requires program '${program}', which is not on PATH`;
  for (const module of fields.requires?.['python-module'] ?? []) {
    const python = which('python3');
    if (!python) return `requires Python module '${module}', and python3 is not on PATH`;
    try {
      await promisify(execFile)(python, ['-c', `import ${module}`], { timeout: 120_000 });
    } catch (e) {
      const last = String((e as { stderr?: string }).stderr ?? '')
        .trim()
        .split('\n')
        .pop();
      return `requires Python module '${module}', which ${python} cannot import${last ? ` (${last})` : ''}`;
    }
  }
  return null;
}

/**
 * A workload for one benchmark of a suite: its command, extraction rule and requirements are the suite's.
 * `suiteDir` resolves a relative `cwd` (and is the default one).
 */
export function commandWorkload(fields: CommandFields, suiteDir: string): CustomWorkload & { fields: CommandFields } {
  const cwd = path.resolve(suiteDir, fields.cwd ?? '.');
  const metric = commandMetric(fields.metric);
  const extraction = extractionRule(fields.metric, fields.samples);
  return {
    id: 'command',
    kind: 'command',
    description: `the program ${fields.command[0]}`,
    fields: { ...fields, cwd },
    params: z.record(z.string(), scalar).superRefine(worldIssues),
    metric: () => metric,
    metricSummary: `${metric.unit} (${extraction})`,
    engines: ['command'],
    unsupported: () => null,
    async execute(ctx: ExecuteContext<Record<string, unknown>>): Promise<Outcome> {
      const argv = substitute(fields.command, ctx.params);
      const resolved = which(argv[0]!);
      const engine: EngineUsed = {
        name: 'command' as const,
        backend: fields.as?.engine ?? path.basename(argv[0]!),
        package: resolved ?? argv[0]!,
        version: null,
        threads: null,
        fallbacks: [],
      };
      ctx.onEngine(engine);
      const missing = await missingRequirement(fields);
      if (missing) throw new SkipCase(missing);
      // `nodes` × `gpusPerNode`: fedbench starts the ranks (src/workloads/ranks/)
      const world = worldOf(ctx.params);
      const notHere = world && worldProblem(world);
      if (notHere) throw new SkipCase(notHere);

      const same = sameAs(fields, ctx.params);
      let invocations = 0;
      let last: Invocation | null = null;
      let leftBehind: string | null = null;
      let lastRanks: RanksInvocation | null = null;
      const ranksDetails = (r: RanksInvocation): Pick<CommandDetails, 'ranks' | 'comm'> => {
        const ranks = ranksRecord(r, (rank) => figuresOf(rank, fields.metric).at(-1)?.value ?? null, metric.direction);
        const comm = commOf(r.lines, r.ranks.map((k) => k.stderrTail).join('\n'), ranks);
        return { ranks, ...(comm ? { comm } : {}) };
      };
      /** A single process's collective table (nccl-tests' binaries drive every GPU of a node from one process). */
      const plainComm = (inv: Invocation | null): Pick<CommandDetails, 'comm' | 'copies'> => {
        const comm = inv ? commOf(inv.lines, inv.stderrTail, undefined) : undefined;
        const copies = inv ? copiesOf(inv.lines) : undefined;
        return { ...(comm ? { comm } : {}), ...(copies ? { copies } : {}) };
      };
      /** The record's details; a failed one keeps stdout's tail too, where the figure was looked for. */
      const details = (failed = false): CommandDetails => ({
        kind: 'command',
        argv,
        cwd,
        extraction,
        invocations,
        exitCode: last?.exitCode ?? null,
        ...(last?.stderrTail ? { stderrTail: last.stderrTail } : {}),
        ...(failed && last?.stdoutTail ? { stdoutTail: last.stdoutTail } : {}),
        ...(leftBehind ? { leftBehind } : {}),
        ...(same ? { sameAs: same } : {}),
        ...(lastRanks ? ranksDetails(lastRanks) : plainComm(last)),
      });
      /** Runs the program once; a run without a usable figure ends the case with the reason. */
      const run = async (onBegin?: () => unknown): Promise<{ inv: Invocation; figures: number[] }> => {
        const opts = { cwd, timeoutSeconds: fields.timeout, markers: fields.markers, onBegin };
        const inv = world ? await launchRanks(argv, world, opts) : await invoke(argv, opts);
        invocations++;
        last = inv;
        if (world) lastRanks = inv as RanksInvocation;
        const n = world && 'who' in inv && inv.who ? `${invocations} (${inv.who})` : invocations;
        if (inv.device) engine.device = inv.device;
        if (inv.leftBehind && !leftBehind) leftBehind = `invocation ${n}: ${inv.leftBehind}`;
        const failed = (message: string): CommandFailed => new CommandFailed(message, details(true));
        if (inv.spawnError) throw failed(inv.spawnError);
        if (inv.skipReason !== null && inv.exitCode === 0) throw new SkipCase(inv.skipReason);
        if (inv.timedOut)
          throw failed(
            `invocation ${n} ran past its per-invocation time-out (timeout: ${fields.timeout} s) and was killed`,
          );
        if (inv.exitCode !== 0)
          throw failed(
            `invocation ${n} ${inv.signal ? `was killed by ${inv.signal}` : `exited with code ${inv.exitCode}`}`,
          );
        if (fields.markers && inv.windowSeconds === null)
          throw failed(
            `invocation ${n} did not print both FEDBENCH:BEGIN and FEDBENCH:END lines on stdout (markers: true)`,
          );
        const corrupt = ncclTestsTable(inv.lines)?.wrong[0];
        if (corrupt)
          throw failed(
            `invocation ${n}: nccl-tests found ${corrupt.elements} wrong element${corrupt.elements === 1 ? '' : 's'} at ${corrupt.bytes} B (#wrong): the collective corrupted data`,
          );
        let found = figuresOf(inv, fields.metric);
        if (!found.length) throw failed(`invocation ${n} printed no figure (${extraction})`);
        if (fields.samples === 'invocation') found = found.slice(-1);
        const bad = found.find((f) => f.value === null);
        if (bad)
          throw failed(
            `invocation ${n} printed ${bad.printed} where its figure was expected (${extraction}): a figure is a finite decimal number such as 12, -3.5, 1e3 or .5`,
          );
        return { inv, figures: found.map((f) => f.value!) };
      };

      const warmups = fields.warmup ?? (fields.samples === 'all' ? 0 : 1);
      const warmStart = process.hrtime.bigint();
      for (let i = 0; i < warmups; i++) await run();
      const warmSeconds = Number(process.hrtime.bigint() - warmStart) / 1e9;

      const samples: number[] = [];
      const iterationSeconds: number[] = [];
      const t0 = process.hrtime.bigint();
      let elapsed = 0;
      let stopReason: ReturnType<typeof samplingDecision> = null;
      let measured = 0;
      while (!stopReason) {
        // The energy window opens with the first measured invocation (at its BEGIN marker when it prints one).
        const { inv, figures } = await run(measured === 0 ? ctx.hooks.onSamplingStart : undefined);
        measured++;
        const seconds = inv.windowSeconds ?? inv.wallSeconds;
        samples.push(...figures);
        iterationSeconds.push(...figures.map(() => seconds / figures.length));
        elapsed = Number(process.hrtime.bigint() - t0) / 1e9;
        ctx.hooks.onSample?.(samples.length, elapsed);
        stopReason = samplingDecision(ctx.rules, { samples, elapsedSeconds: elapsed });
      }
      await ctx.hooks.onSamplingEnd?.();
      // fedbench's own cost per invocation: starting and reaping a process, measured here with `true`.
      const spawnSeconds = await spawnCost(cwd);
      const medianSeconds = [...iterationSeconds].sort((a, b) => a - b)[Math.floor(iterationSeconds.length / 2)]!;
      const { timerNs } = await measureHarnessCost(true, 100);

      // the same warnings as every built-in workload, on the figures as the program printed them
      const warnings = [
        ...(lastRanks ? ranksWarnings(lastRanks) : []),
        ...samplingWarnings(summarize(samples), samples, stopReason, ctx.rules, 'figures'),
      ];
      if (leftBehind) warnings.push(leftBehind);
      if (fields.markers && measured > 1)
        warnings.push(
          'energy covers the measured invocations from the first BEGIN marker to the last exit, so the set-up of invocations after the first is inside the energy window',
        );
      return {
        engine,
        metric,
        samples,
        iterationSeconds,
        secondary: [],
        measurement: {
          callsPerSample: 1,
          // the suite's fixed count of warm-up runs, not a check that times were stable
          warmup: { iterations: warmups, seconds: warmSeconds, end: 'count' },
          stopReason,
          samplingSeconds: elapsed,
          rules: ctx.rules,
          harness: { timerNs, loopNsPerCall: spawnSeconds * 1e9, fractionOfMedian: spawnSeconds / medianSeconds },
        },
        warnings,
        calls: fields.samples === 'all' ? samples.length : measured,
        gigaWorkPerCall: null,
        callUnit:
          fields.samples === 'all' ? { one: 'sample', many: 'samples' } : { one: 'invocation', many: 'invocations' },
        details: details(),
      };
    },
  };
}
