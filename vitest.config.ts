import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'src/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    globalSetup: ['test/global-setup.ts'],
    setupFiles: ['test/setup.ts'],
    // Engine workers load TypeScript through tsx, whose compile cache would stay in the temp folder.
    env: { TSX_DISABLE_CACHE: '1' },
  },
});
