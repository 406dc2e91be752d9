import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts', 'e2e/**/*.test.ts'],
    // One clear failure, first, when the browser the WebGPU tests need is missing (tests/harness/global_setup.ts).
    globalSetup: ['tests/harness/global_setup.ts'],
    testTimeout: 120_000,
    hookTimeout: 180_000,
    pool: 'forks',
  },
});
