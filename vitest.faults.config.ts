import { defineConfig } from 'vitest/config';

// The fault suite (`npm run test:faults`, test/faults/): real server and engine processes killed and
// cut on purpose for a few minutes; not part of `vitest run`. One file, one worker: the processes it
// starts need the machine's cores to themselves.
export default defineConfig({
  test: {
    include: ['test/faults/**/*.test.ts'],
    testTimeout: 300_000,
    hookTimeout: 60_000,
    maxWorkers: 1,
  },
});
