import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const src = (path: string) => fileURLToPath(new URL(path, import.meta.url));

// Tests run against the TypeScript sources; processes a test spawns run the built dist/.
export default defineConfig({
  resolve: {
    alias: {
      '@keyledger/events/catalogue': src('./events/src/catalogue/index.ts'),
      '@keyledger/events': src('./events/src/index.ts'),
      '@keyledger/server/schemas': src('./server/src/api/schemas/index.ts'),
      '@keyledger/server': src('./server/src/index.ts'),
      '@keyledger/sdk': src('./sdk/src/index.ts'),
    },
  },
  test: {
    include: ['{events,server,sdk,test}/src/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
