// The packaged smoke test (test/packaged/), run by the release workflow after `npm run dist:*` on each
// OS: `npx playwright test -c playwright.packaged.config.ts` (under xvfb-run on Linux). Not part of
// `npm test`: it needs the app electron-builder packaged, which needs the Electron binary.
import { defineConfig } from '@playwright/test';

export default defineConfig({
  testDir: 'test/packaged',
  testMatch: '**/*.spec.ts',
  workers: 1,
  retries: 0,
  reporter: 'list',
  outputDir: 'test-results/packaged-output',
  timeout: 180_000,
  expect: { timeout: 15_000 },
});
