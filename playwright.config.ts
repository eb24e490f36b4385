// End-to-end tests: the built renderer in Chromium, served by the browser host against a
// real Parley server, both started inside the test process (test/e2e/support.ts). Debian's
// /usr/bin/chromium where it is installed (these machines have no Playwright browser download), else
// Playwright's own (`npx playwright install chromium`, as the release workflow does on every OS); the
// background-networking flags keep it from flooding a closed network.
import { existsSync } from 'node:fs';
import { defineConfig } from '@playwright/test';

const SYSTEM_CHROMIUM = '/usr/bin/chromium';

export const CHROMIUM_LAUNCH = {
  executablePath: existsSync(SYSTEM_CHROMIUM) ? SYSTEM_CHROMIUM : undefined,
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ],
};

export default defineConfig({
  testDir: 'test/e2e',
  testMatch: '**/*.spec.ts',
  // Builds out/renderer when its sources are newer than the last build.
  globalSetup: './test/support/build-setup.ts',
  // Servers, hosts and two browser contexts per test on a 2-core machine: one test at a time.
  workers: 1,
  fullyParallel: false,
  retries: 0,
  reporter: 'list',
  outputDir: 'test-results/e2e',
  timeout: 60_000,
  expect: { timeout: 10_000 },
  use: {
    browserName: 'chromium',
    headless: true,
    launchOptions: CHROMIUM_LAUNCH,
    viewport: { width: 1280, height: 800 },
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
  },
});
