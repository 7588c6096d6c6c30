import { defineConfig } from 'vitest/config';

// Unit tests are pure and in-process: no global set-up, no build, no services, so `npm run test:unit` runs on a
// fresh clone in seconds. The mutation run (stryker.config.json) uses this config too.
export default defineConfig({
  test: {
    name: 'unit',
    include: ['test/unit/**/*.test.ts'],
    testTimeout: 60_000,
    reporters: ['default'],
  },
});
