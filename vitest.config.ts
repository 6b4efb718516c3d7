import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Two cores: engine tests and CLI runs compete for them; one file at a time keeps runs predictable.
    fileParallelism: false,
  },
});
