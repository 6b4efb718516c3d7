import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Two cores: engine tests and CLI runs compete for them; one file at a time keeps runs predictable.
    fileParallelism: false,
    // `run` and `collect` feed the user's results database by default: not from tests (test/db sets its own).
    env: { FEDBENCH_DB: 'off' },
    // The JSON report lets .ci/run print a plain "N passed, N failed" line.
    reporters: ['default', 'json'],
    outputFile: { json: 'test-artifacts/vitest.json' },
  },
});
