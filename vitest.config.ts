import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Each file runs its own servers on ephemeral ports; two workers fit these 2-core machines.
    maxWorkers: 2,
  },
});
