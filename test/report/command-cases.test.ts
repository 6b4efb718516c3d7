// What the report says about users' programs (workload: command) and about medians from a handful of samples.
// The records are constructed (syntheticRecord): the text and the cells are under test, not the figures.
import { describe, expect, it } from 'vitest';
import { syntheticRecord } from '../../src/bench/synthetic.js';
import { num } from '../../src/format.js';
import { runSummary } from '../../src/cli/run-summary.js';
import { buildReportModel, charts, renderHtml, toCsv, toMarkdown } from '../../src/report/index.js';

const program = (site: string, median: number, n = 30) =>
  syntheticRecord({ site, median, n, kind: 'command', benchmark: 'my-train', params: { batch: 64 } });
const kernel = (site: string, median: number) => syntheticRecord({ site, median });

/** The Method section's text, tags dropped. */
function methodText(records: ReturnType<typeof syntheticRecord>[]): string {
  const page = renderHtml(buildReportModel(records, {}));
  return page.slice(page.indexOf('<section id="method">')).replace(/<[^>]+>/g, ' ');
}

describe("report: users' programs", () => {
  it('the Method section says what was done for a program, and the built-in checks only for built-in cases', () => {
    const onlyPrograms = methodText([program('a', 100), program('b', 90)]);
    expect(onlyPrograms).toContain("Users' programs (workload: command): the figure is the program's own");
    expect(onlyPrograms).toContain('fedbench runs no reference check and counts no FLOP');
    expect(onlyPrograms).toContain("Warm-up is the suite's fixed count of runs, not checked for stability");
    expect(onlyPrograms).not.toMatch(/JavaScript reference|2n³ FLOP|times are stable/);

    const onlyKernels = methodText([kernel('a', 100), kernel('b', 90)]);
    expect(onlyKernels).toContain('Each case is first checked at a small size against a plain JavaScript reference');
    expect(onlyKernels).not.toContain("Users' programs");

    const both = methodText([kernel('a', 100), kernel('b', 90), program('a', 100), program('b', 90)]);
    expect(both).toContain('Built-in workloads: each case is first checked at a small size');
    expect(both).toContain('Built-in workloads: figures of merit are computed from the work each call does');
    expect(both).toContain("Users' programs (workload: command)");
  });
});

describe('report: intervals from few samples', () => {
  it('a median from two samples shows their range, labelled as one, in the report, its exports and the CLI', () => {
    const two = program('a', 100, 2);
    const many = program('b', 90);
    const [lo, hi] = [Math.min(...two.samples), Math.max(...two.samples)];
    expect(two.stats!.ci95).toEqual([lo, hi]); // what the cell shows: the samples' min–max, not an interval
    const model = buildReportModel([two, many], {});
    const page = renderHtml(model);
    const md = toMarkdown(model);
    const range = `range [${num(lo)}, ${num(hi)}]`;
    expect(page).toContain(`<td>${range}</td>`);
    expect(md).toContain(`| ${range} |`);
    expect(page).toContain('With fewer than 6 samples no pair of samples bounds a 95% interval of the median');
    // thirty samples give a 95% interval: not labelled a range
    const [a, b] = many.stats!.ci95;
    expect(page).toContain(`<td>[${num(a)}, ${num(b)}]</td>`);
    expect(md).toContain(`| [${num(a)}, ${num(b)}] |`);
    // the terminal's table too (its bounds to 3 significant digits), for the two-sample case only
    const summary = runSummary([two, many], { width: 200 });
    expect(summary.match(/range \[/g)).toHaveLength(1);
    expect(summary.split('\n').find((l) => l.includes('range ['))).toMatch(/ 2( +\S.*)?$/);
    // the CSV leaves the interval empty, says why, and keeps the range in min and max
    const csv = toCsv([two, many]).split('\n');
    const col = (line: string, name: string) => line.split(',')[csv[0]!.split(',').indexOf(name)];
    const twoRow = csv.find((l) => l.includes(two.id))!;
    expect([col(twoRow, 'ci95_low'), col(twoRow, 'ci95_high'), col(twoRow, 'ci_method')]).toEqual(['', '', 'none']);
    expect([col(twoRow, 'min'), col(twoRow, 'max')]).toEqual([String(lo), String(hi)]);
    const manyRow = csv.find((l) => l.includes(many.id))!;
    expect(col(manyRow, 'ci95_low')).toBe(String(a));
    expect(col(manyRow, 'ci_method')).toBe('order-statistics');
    // the chart's tooltip names what the bar spans
    const spec = JSON.stringify(charts.benchmarkChart('my-train', model.benchmarks));
    expect(spec).toContain('"interval":"range (too few samples for a 95% CI)"');
    expect(spec).toContain('"interval":"95% CI"');
  });
});

describe('report: scaling axes', () => {
  it('a parameter with whole values only gets whole ticks; a fractional one keeps its own', () => {
    const at = (param: string, values: number[]) =>
      buildReportModel(
        values.flatMap((v, i) => [
          syntheticRecord({ site: 'a', median: 100 + i, params: { [param]: v }, seed: i + 1 }),
          syntheticRecord({ site: 'b', median: 90 + i, params: { [param]: v }, seed: i + 11 }),
        ]),
        {},
      ).benchmarks;
    const whole = charts.scalingChart('gemm', 'threads', at('threads', [1, 2, 3])) as {
      encoding: { x: { axis?: unknown } };
    };
    expect(whole.encoding.x.axis).toEqual({ tickMinStep: 1, format: 'd' });
    const fractional = charts.scalingChart('gemm', 'ratio', at('ratio', [0.5, 1, 1.5])) as {
      encoding: { x: { axis?: unknown } };
    };
    expect(fractional.encoding.x.axis).toBeUndefined();
  });
});
