import { defineConfig } from 'vitest/config';

// Three projects so each can be run alone (`npm run test:unit`, `test:integration`);
// `vitest run` runs them all. Integration tests start real loopback servers, so they get
// longer timeouts, and infra tests synthesize CDK apps (esbuild bundling is slow-ish).
// `.ci/run` sets VITEST_JSON_REPORT so it can print the real pass/fail counts.
const jsonReport = process.env.VITEST_JSON_REPORT;

export default defineConfig({
  test: {
    allowOnly: false,
    reporters: jsonReport ? ['default', ['json', { outputFile: jsonReport }]] : ['default'],
    passWithNoTests: false,
    projects: [
      {
        extends: true,
        test: { name: 'unit', include: ['test/unit/**/*.test.ts'], testTimeout: 10_000 },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 60_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'infra',
          include: ['test/infra/**/*.test.ts'],
          testTimeout: 180_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
});
