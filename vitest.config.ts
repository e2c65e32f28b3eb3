import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    setupFiles: ['tests/support/yield-between-tests.ts'],
    testTimeout: 60_000,
    pool: 'forks',
    // vitest's default is one worker less than the cores: a single worker on a 2-core CI machine. Most files wait
    // on brokers, ptys and child processes, so two workers keep both cores busy.
    maxWorkers: 2,
    minWorkers: 1,
  },
});
