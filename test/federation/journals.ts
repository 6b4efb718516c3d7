// Constructed campaign journals for tests that need a campaign's state without submitting one.
import { JOURNAL_SCHEMA, type Journal } from '../../src/federation/index.js';

/** A campaign of two GEMM cases planned at site alpha as one job array, then stopped before sbatch: no job id. */
export function unsubmittedJournal(name: string, resultsDir: string): Journal {
  const metric = { name: 'throughput', unit: 'GFLOP/s', direction: 'higher' as const };
  return {
    schema: JOURNAL_SCHEMA,
    name,
    createdAt: new Date().toISOString(),
    suite: { name: 'tiny', file: '/nowhere/tiny.yaml' },
    options: { eachNode: false, wholeNode: false, casesPerTask: 1 },
    resultsDir,
    cases: [16, 32].map((n, index) => ({
      index,
      id: `gemm/onnxruntime/n=${n}`,
      suite: 'tiny',
      benchmark: { id: 'gemm', workload: 'gemm', kind: 'kernel' as const },
      engine: 'onnxruntime' as const,
      backend: null,
      params: { n },
      metric,
    })),
    tasks: [[0], [1]],
    sites: {
      alpha: {
        profile: '/nowhere/alpha.yaml',
        remoteDir: `/work/campaigns/${name}`,
        gpusPerNode: 4,
        // planned, then fedbench was stopped before sbatch: no job id
        jobs: [
          {
            part: 'job-0',
            name: 'fedbench-unsent-0',
            script: 'job-0.sbatch',
            node: null,
            wholeNode: false,
            offset: 0,
            count: 2,
            jobId: null,
            cluster: null,
            submittedAt: null,
          },
        ],
        error: null,
        progress: {},
      },
    },
  };
}
