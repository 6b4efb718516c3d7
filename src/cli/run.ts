import path from 'node:path';
import { spawn } from 'node:child_process';
import { Command, Option } from 'commander';
import cliProgress from 'cli-progress';
import type { EnergySource } from '../energy/index.js';
import { errorLine, InputError } from '../errors.js';
import { heapChoiceProblem } from '../measure/index.js';
import { writeReport } from '../report/index.js';
import { runCases, type RunOptions } from '../runner/index.js';
import { loadSuite, type Case, type Suite } from '../suite/index.js';
import { modelSuite } from './model-suite.js';
import { terminalWidth } from './format.js';
import { commSummary, repeatSummary, runSummary } from './run-summary.js';
import { checkRecord, type RunRecord } from '../results/index.js';
import { parseEngineFilter, selectCases } from './select.js';
import { intOption, positiveNumberOption } from './options.js';
import { feedDb } from './db-feed.js';

const say = (line: string) => void process.stderr.write(`fedbench: ${line}\n`);

const collect = (value: string, previous: string[]) => [...previous, value];
const collectInt = (value: string, previous: number[]) => [...previous, intOption(value)];

function defaultCampaign(): string {
  return `local-${new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').replace('T', '-')}`;
}

/** Sources fedbench run can meter with (sacct is joined later by collect; the estimate has its own flag). */
const METER_SOURCES = ['nvml', 'nvidia-smi', 'rapl', 'pm_counters'] as const;

function excludedSources(names: string[]): EnergySource[] {
  const list = names.map((n) => n.trim()).filter(Boolean);
  const bad = list.filter((n) => !(METER_SOURCES as readonly string[]).includes(n));
  if (bad.length)
    throw new InputError(
      `unknown energy source '${bad[0]}' in --exclude-energy / FEDBENCH_ENERGY_EXCLUDE. Valid sources: ${METER_SOURCES.join(', ')}`,
    );
  return list as EnergySource[];
}

export function runCommand(): Command {
  return new Command('run')
    .description('run a suite on this machine and write one run record per case')
    .option('-s, --suite <name|file>', 'built-in suite name or path to a suite file', 'quick')
    .option('-b, --bench <id...>', 'only these benchmark ids')
    .option(
      '-e, --engine <engine...>',
      'only these engines, optionally pinning the backend (e.g. onnxruntime:cpu, tfjs:wasm)',
    )
    .option(
      '-t, --threads <n>',
      'threads for engines that take a count: ONNX Runtime intra-op, tfjs wasm (at most 8) (default: all available CPUs)',
      intOption,
    )
    .option('-o, --out <dir>', 'folder for run records (default: results/<campaign>)')
    .option('--campaign <name>', 'campaign name recorded in every record')
    .option('--report [file]', 'then write an HTML report of this run (default: reports/<campaign>.html)')
    .option('--json', 'print the records as JSON on stdout (no progress, no table)')
    .option('--verbose', "after the table, every case's warnings in full (instead of one line of advice per kind)")
    .option(
      '--estimate-tdp <watts>',
      'when no energy source measures, estimate energy as this declared power × time (labelled method: estimate)',
      positiveNumberOption,
    )
    .option(
      '--estimate-utilisation <fraction>',
      'with --estimate-tdp: fraction of the declared power assumed drawn (default 1)',
      positiveNumberOption,
    )
    .option(
      '--exclude-energy <source...>',
      `energy sources not to use: ${METER_SOURCES.join(', ')} (default: $FEDBENCH_ENERGY_EXCLUDE, comma-separated; for a source known to be wrong here)`,
    )
    .option('--model <file.onnx>', 'benchmark this ONNX model on onnxruntime (instead of --suite)')
    .option(
      '--input <name=dims...>',
      'with --model: dimensions of an input, e.g. pixel_values=1x3x224x224 (repeat per input; NAME=scalar=VALUE fills a scalar)',
      collect,
      [] as string[],
    )
    .option('--scenario <name>', 'with --model: offline | single-stream | server', 'offline')
    .option(
      '--batch <n...>',
      "with --model, offline: batch sizes to sweep (replace the model's dynamic batch dimension)",
      collectInt,
      [] as number[],
    )
    .option('--qps <rate>', 'with --model, server: target queries per second', positiveNumberOption)
    .option('--p99-bound <ms>', 'with --model, server: p99 latency bound in ms (default 100)', positiveNumberOption)
    .option('--find-max-qps', 'with --model, server: search for the highest rate whose p99 meets the bound')
    .option(
      '--repeat <k>',
      'measure every case in K fresh processes, one after another, each with its own warm-up; the summary and report pool them, with intervals that cover the spread between processes',
      intOption,
      1,
    )
    .option(
      '--db <url|dir>',
      'also add the records to this results database (default: $FEDBENCH_DB, else the embedded one)',
    )
    .option('--no-db', 'do not add the records to the results database (also: FEDBENCH_DB=off)')
    .addOption(new Option('--repetition <i/k>', 'internal: stamp records as repetition i of k').hideHelp())
    .action(async (opts: RunOpts) => {
      if (opts.estimateUtilisation !== undefined && (opts.estimateTdp === undefined || opts.estimateUtilisation > 1)) {
        throw new InputError('--estimate-utilisation needs --estimate-tdp and must be at most 1');
      }
      const heapProblem = heapChoiceProblem();
      if (heapProblem) throw new InputError(heapProblem);
      const exclude = excludedSources(
        opts.excludeEnergy ??
          (process.env.FEDBENCH_ENERGY_EXCLUDE ? process.env.FEDBENCH_ENERGY_EXCLUDE.split(',') : []),
      );
      const suite = await suiteOf(opts);
      const cases = selectCases(suite.cases, {
        ...(opts.bench ? { bench: opts.bench } : {}),
        ...(opts.engine ? { engines: opts.engine.map(parseEngineFilter) } : {}),
      });
      const campaign = opts.campaign ?? defaultCampaign();
      const out = path.resolve(opts.out ?? path.join('results', campaign));
      const repetition = opts.repetition ? parseRepetition(opts.repetition) : undefined;
      if (opts.repeat < 1) throw new InputError(`--repeat must be at least 1 (got ${opts.repeat})`);
      const run = { opts, suite, campaign, out };
      if (opts.repeat > 1) {
        const records = await repeatInFreshProcesses(opts, campaign, out);
        if (records === null) return;
        await finish(records, run, {
          summary: () =>
            `${repeatSummary(records, { verbose: !!opts.verbose, out })}\n${records.length} record(s) (${cases.length} case(s) × ${opts.repeat} processes) in ${out}\n`,
          title: ` (${opts.repeat} processes per case)`,
          // each repetition's process has named its failed cases already
          nameFailures: false,
        });
        return;
      }
      const records = await runInThisProcess(cases, run, {
        ...(repetition ? { repetition } : {}),
        ...energyOptions(opts, exclude),
      });
      await finish(records, run, {
        summary: () =>
          `${runSummary(records, { verbose: !!opts.verbose, out })}\n${commLines(records)}${records.length} record(s) in ${out}\n`,
        title: '',
        nameFailures: true,
      });
    });
}

/** The communication summary's lines, if the records hold any. */
function commLines(records: readonly RunRecord[]): string {
  const comm = commSummary(records);
  return comm ? `${comm}\n` : '';
}

/** The suite a run measures: a model's (`--model`) or a suite file's. */
async function suiteOf(opts: RunOpts): Promise<Suite> {
  if (!opts.model) return loadSuite(opts.suite);
  return modelSuite({
    model: opts.model,
    input: opts.input,
    scenario: opts.scenario,
    ...(opts.batch.length ? { batch: opts.batch } : {}),
    ...(opts.findMaxQps ? { findMaxQps: true } : {}),
    ...(opts.qps ? { targetQps: opts.qps } : {}),
    ...(opts.p99Bound ? { p99BoundMs: opts.p99Bound } : {}),
  });
}

/** The runner's energy options from --exclude-energy and --estimate-tdp / --estimate-utilisation. */
function energyOptions(opts: RunOpts, exclude: EnergySource[]): Pick<RunOptions, 'energy'> {
  if (!opts.estimateTdp && !exclude.length) return {};
  return {
    energy: {
      ...(exclude.length ? { exclude } : {}),
      ...(opts.estimateTdp
        ? { estimate: { tdpWatts: opts.estimateTdp, utilisation: opts.estimateUtilisation ?? 1 } }
        : {}),
    },
  };
}

/** What a run is: its options, suite, campaign and records folder. */
interface RunContext {
  opts: RunOpts;
  suite: Suite;
  campaign: string;
  out: string;
}

/**
 * The cases run here, with a progress bar on a terminal (else one line per case). Ctrl-C, or Slurm's SIGTERM at a
 * time limit: every finished case already has its record on disk (written atomically; one being written is waited
 * for); say so, and which case had none, so a job log explains what is missing. The handler runs when the event
 * loop is free: a long blocking engine call delays it (Slurm's KillWait still ends the job).
 */
async function runInThisProcess(
  cases: readonly Case[],
  { opts, campaign, out }: RunContext,
  more: Pick<RunOptions, 'repetition' | 'energy'>,
): Promise<RunRecord[]> {
  const tty = !opts.json && process.stderr.isTTY;
  const bar = tty
    ? new cliProgress.SingleBar(
        {
          format: '{bar} {value}/{total} cases | {case} | {samples} samples, {elapsed}s',
          stream: process.stderr,
          hideCursor: true,
          clearOnComplete: true,
        },
        cliProgress.Presets.shades_classic,
      )
    : null;
  bar?.start(cases.length, 0, { case: '', samples: 0, elapsed: '0.0' });
  let current: string | null = null;
  let kept = 0;
  let writing: Promise<unknown> | null = null;
  let stopping = false;
  const stop = (signal: NodeJS.Signals, code: number) => async () => {
    stopping = true;
    if (writing) {
      const ok = await writing.then(
        () => true,
        () => false,
      );
      if (ok && current) kept++; // its record is on disk: the case is not "in progress" any more
      if (ok) current = null;
    }
    bar?.stop();
    process.stderr.write(
      `\nfedbench: ${signal}${current ? ` during ${current}` : ''}: ${kept} record(s) kept in ${out}; ${current ? 'the case in progress has no record' : 'no case was in progress'}\n`,
    );
    process.exit(code);
  };
  const onInt = stop('SIGINT', 130);
  const onTerm = stop('SIGTERM', 143);
  process.once('SIGINT', onInt);
  process.once('SIGTERM', onTerm);
  const records = await runCases(cases, {
    campaign,
    out,
    ...(opts.threads ? { threads: opts.threads } : {}),
    ...more,
    events: {
      caseStart: (c, i) => {
        if (stopping) return;
        current = c.id;
        // the bar's other fields take ~45 columns: the case id gets the rest of the line
        bar?.update(i, { case: fitLine(c.id, terminalWidth() - 45), samples: 0, elapsed: '0.0' });
      },
      sample: (_c, n, t) => bar?.update({ samples: n, elapsed: t.toFixed(1) }),
      writing: (_c, done) => {
        writing = done;
      },
      caseEnd: (r) => {
        if (stopping) return;
        writing = null;
        current = null;
        kept++;
        if (!bar && !opts.json) process.stderr.write(`${fitLine(`${r.status.padEnd(7)} ${r.case}`)}\n`);
      },
    },
  });
  process.off('SIGINT', onInt);
  process.off('SIGTERM', onTerm);
  bar?.update(cases.length);
  bar?.stop();
  return records;
}

/**
 * A run's one finish, in this process or over fresh ones: the records (JSON with --json, else `summary`), the
 * results database, the report with --report (its title ends with `title`), exit code 1 when a case failed.
 */
async function finish(
  records: RunRecord[],
  { opts, suite, campaign, out }: RunContext,
  how: { summary: () => string; title: string; nameFailures: boolean },
): Promise<void> {
  process.stdout.write(opts.json ? `${JSON.stringify(records, null, 2)}\n` : how.summary());
  await feedDb(records, out, opts.db, say);
  if (opts.report) {
    const file = path.resolve(typeof opts.report === 'string' ? opts.report : path.join('reports', `${campaign}.html`));
    const written = await writeReport(records, file, {
      title: `fedbench ${suite.name} — ${campaign}${how.title}`,
      sources: [`suite ${suite.file}`, `records in ${out}`],
    });
    process.stderr.write(`report: ${written.html}\n`);
  }
  const failed = records.filter((r) => r.status === 'failed');
  if (!failed.length) return;
  if (how.nameFailures)
    process.stderr.write(
      `${failed.length} case(s) failed:\n${failed.map((r) => `  ${r.case}: ${r.error}`).join('\n')}\n`,
    );
  process.exitCode = 1;
}

/** A progress line cut to the terminal's width (the full case id is in the record and the summary's table). */
function fitLine(text: string, width = terminalWidth()): string {
  const chars = [...text];
  return chars.length <= width ? text : `${chars.slice(0, Math.max(1, width - 1)).join('')}…`;
}

function parseRepetition(text: string): { index: number; of: number } {
  const m = /^(\d+)\/(\d+)$/.exec(text);
  if (!m || Number(m[1]) < 1 || Number(m[1]) > Number(m[2]) || Number(m[2]) < 2)
    throw new InputError(`--repetition expects i/k with 1 ≤ i ≤ k and k ≥ 2, not '${text}'`);
  return { index: Number(m[1]), of: Number(m[2]) };
}

/** `fedbench run`'s options as commander gives them. */
type RunOpts = {
  /** --db URL or folder; false with --no-db. */
  db?: string | false;
  suite: string;
  bench?: string[];
  engine?: string[];
  threads?: number;
  out?: string;
  campaign?: string;
  report?: string | boolean;
  repetition?: string;
  model?: string;
  input: string[];
  scenario: string;
  batch: number[];
  qps?: number;
  p99Bound?: number;
  findMaxQps?: boolean;
  estimateTdp?: number;
  estimateUtilisation?: number;
  excludeEnergy?: string[];
  repeat: number;
  json?: boolean;
  verbose?: boolean;
};

/**
 * `--repeat K`: the same selection run K times, each time by a fresh `fedbench run` (a new process: its own engine
 * start, thread placement, memory layout and warm-up, as pyperf does), one after another. Records land in `out`,
 * each stamped with its repetition. null when a repetition was interrupted (its exit code is kept).
 */
async function repeatInFreshProcesses(opts: RunOpts, campaign: string, out: string): Promise<RunRecord[] | null> {
  const records: RunRecord[] = [];
  const selection = [
    ...(opts.model
      ? [
          '--model',
          opts.model,
          '--scenario',
          opts.scenario,
          ...opts.input.flatMap((i) => ['--input', i]),
          ...(opts.batch.length ? ['--batch', ...opts.batch.map(String)] : []),
          ...(opts.qps ? ['--qps', String(opts.qps)] : []),
          ...(opts.p99Bound ? ['--p99-bound', String(opts.p99Bound)] : []),
          ...(opts.findMaxQps ? ['--find-max-qps'] : []),
        ]
      : ['--suite', opts.suite]),
    ...(opts.bench ? ['--bench', ...opts.bench] : []),
    ...(opts.engine ? ['--engine', ...opts.engine] : []),
    ...(opts.threads ? ['--threads', String(opts.threads)] : []),
    ...(opts.estimateTdp ? ['--estimate-tdp', String(opts.estimateTdp)] : []),
    ...(opts.estimateUtilisation ? ['--estimate-utilisation', String(opts.estimateUtilisation)] : []),
    ...(opts.excludeEnergy?.length ? ['--exclude-energy', ...opts.excludeEnergy] : []),
  ];
  for (let i = 1; i <= opts.repeat; i++) {
    if (!opts.json) process.stderr.write(`repetition ${i}/${opts.repeat}: a fresh fedbench process\n`);
    const args = [
      process.argv[1]!,
      'run',
      ...selection,
      '--out',
      out,
      '--campaign',
      campaign,
      '--json',
      '--repetition',
      `${i}/${opts.repeat}`,
      '--no-db', // the parent adds every repetition's records at the end
    ];
    const { code, stdout } = await new Promise<{ code: number | null; stdout: string }>((resolve, reject) => {
      const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
      let text = '';
      child.stdout.on('data', (d: Buffer) => (text += d.toString('utf8')));
      child.on('error', reject);
      child.on('close', (c) => resolve({ code: c, stdout: text }));
    });
    if (code === 130 || code === 143 || code === null) {
      process.stderr.write(
        `fedbench: repetition ${i}/${opts.repeat} was interrupted: ${records.length} record(s) of earlier repetitions kept in ${out}\n`,
      );
      process.exitCode = code ?? 130;
      return null;
    }
    if (code !== 0 && code !== 1)
      throw new Error(`repetition ${i}/${opts.repeat} ended with exit code ${code} (its message is above)`);
    // a fresh process's output is checked like any record fedbench reads, not trusted by its shape
    let printed: unknown;
    try {
      printed = JSON.parse(stdout);
    } catch (err) {
      throw new Error(`repetition ${i}/${opts.repeat} printed no JSON records on stdout: ${errorLine(err)}`);
    }
    if (!Array.isArray(printed))
      throw new Error(`repetition ${i}/${opts.repeat} printed JSON that is not a list of records`);
    for (const [k, raw] of printed.entries()) {
      const checked = checkRecord(raw);
      if ('error' in checked)
        throw new Error(
          `repetition ${i}/${opts.repeat}: printed record ${k + 1} is not a valid record: ${checked.error}`,
        );
      records.push(checked.record);
    }
  }
  return records;
}
