import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    setupFiles: ['test/support/setup.ts'],
    reporters: ['default', './test/support/summary-reporter.ts'],
    // Generous: the limits catch hangs, not slowness (a loaded 2-core machine runs these several times slower).
    testTimeout: 60_000,
    hookTimeout: 180_000,
    pool: 'forks',
    // Two cores: more workers only contend for DynamoDB Local.
    maxWorkers: 2,
    // Tests feed the stream consumer synchronously: no commit can overlap a read, so no read lag is needed.
    env: { LOG_LEVEL: 'silent', CONFIG_CACHE_SECONDS: '0', RANKING_READ_LAG_MS: '0' },
  },
});
