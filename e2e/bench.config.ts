import base from './playwright.config';
import { defineConfig } from '@playwright/test';

// `make bench-ui`: the UI benchmarks of e2e/bench/ (figures printed and
// written to artifacts/, never asserted against a time), with the suite's
// browser settings and server.
export default defineConfig({
  ...base,
  testDir: './bench',
  retries: 0,
  timeout: 300_000,
  reporter: [['list']],
});
