import { configDefaults, defineConfig } from 'vitest/config';
import vue from '@vitejs/plugin-vue';

export default defineConfig({
  test: {
    testTimeout: 30_000,
    // Tests of the built app (bundles, icons) need out/: built here when stale, never skipped.
    globalSetup: ['test/support/build-setup.ts'],
    hookTimeout: 30_000,
    // Each file runs its own servers on ephemeral ports; two workers fit these 2-core machines.
    maxWorkers: 2,
    projects: [
      { extends: true, test: { name: 'node', include: ['test/**/*.test.ts'], exclude: [...configDefaults.exclude, 'test/renderer/**', 'test/faults/**', 'test/cluster/**'] } },
      // The UI: SFCs compiled by the Vue plugin, run against happy-dom with the bridge mocked.
      { extends: true, plugins: [vue()], test: { name: 'renderer', include: ['test/renderer/**/*.test.ts'], environment: 'happy-dom' } },
    ],
  },
});
