import { defineConfig } from 'vitest/config';

// Workspace packages resolve to their TypeScript sources through the
// `@continuum/source` export condition, so tests need no prior build.
export default defineConfig({
  resolve: { conditions: ['@continuum/source', 'module', 'node', 'import', 'default'] },
  ssr: { resolve: { conditions: ['@continuum/source', 'node', 'import', 'default'] } },
  test: {
    include: ['packages/*/test/**/*.test.ts'],
    setupFiles: ['./vitest.setup.ts'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    pool: 'forks',
  },
});
