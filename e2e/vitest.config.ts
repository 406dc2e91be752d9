import { defineConfig } from 'vitest/config';

// The demo's end-to-end tests alone: `npx vitest run --config e2e/vitest.config.ts`.
// (The root vitest.config.ts runs them too once its `include` lists 'e2e/**/*.test.ts'.)
export default defineConfig({
  root: new URL('..', import.meta.url).pathname,
  test: {
    include: ['e2e/**/*.test.ts'],
    globalSetup: ['tests/harness/global_setup.ts'],
    testTimeout: 180_000,
    hookTimeout: 180_000,
    pool: 'forks',
  },
});
