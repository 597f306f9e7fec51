import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Files run in parallel; each uses its own Redis key prefix (test/support/redis.ts).
    fileParallelism: true,
    pool: 'forks',
  },
});
