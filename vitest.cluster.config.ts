import { defineConfig } from 'vitest/config';

// The cluster suite (`npm run test:cluster`, test/cluster/): three server processes on PostgreSQL and a
// Redis of its own behind a real nginx, killed and restarted on purpose, two behind HAProxy, and the
// systemd unit; not part of `vitest run`. One file at a time: the processes need the machine's cores
// to themselves.
export default defineConfig({
  test: {
    include: ['test/cluster/**/*.test.ts'],
    testTimeout: 240_000,
    hookTimeout: 90_000,
    maxWorkers: 1,
    fileParallelism: false,
  },
});
