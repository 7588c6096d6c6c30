import { defineConfig } from 'vitest/config';

// `npm test` runs both projects: the unit tests first, then the tests that spawn the built CLI or talk to the local
// services (Redmine, Mosquitto), which need the global set-up.
export default defineConfig({
  test: {
    reporters: ['default'],
    projects: [
      { extends: './vitest.unit.config.ts', test: { sequence: { groupOrder: 0 } } },
      {
        test: {
          name: 'services',
          include: ['test/integration/**/*.test.ts', 'test/e2e/**/*.test.ts', 'test/security/**/*.test.ts'],
          globalSetup: ['test/helpers/global-setup.ts'],
          // Integration tests share one real Redmine: files run one at a time so their writes do not interleave.
          fileParallelism: false,
          testTimeout: 60_000,
          hookTimeout: 180_000,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
