// Playwright drives Debian's Chromium (never a downloaded browser: do not run
// `playwright install`). The servers are fixtures (fixtures/test.ts), started in
// each worker on 127.0.0.1 with port 0; global-setup.ts builds what the pages load.
import { defineConfig } from '@playwright/test';
import { chromiumArgs, chromiumPath } from './fixtures/chromium.js';

export default defineConfig({
  testDir: './tests',
  globalSetup: './global-setup.ts',
  // Each test starts its own servers, so files can run side by side; the tests in a
  // file run in order. Two workers keep the timing assertions honest on 2 cores.
  fullyParallel: false,
  workers: process.env.E2E_WORKERS ? Number(process.env.E2E_WORKERS) : 2,
  // A test that needs a retry is a bug to find, not noise to hide.
  retries: 0,
  timeout: 30_000,
  globalTimeout: 5 * 60_000,
  expect: { timeout: 10_000 },
  forbidOnly: !!process.env.CI,
  reporter: [['list']],
  outputDir: './test-results',
  use: {
    browserName: 'chromium',
    headless: true,
    launchOptions: { executablePath: chromiumPath, args: chromiumArgs },
    trace: 'off',
    video: 'off',
    screenshot: 'off',
  },
});
