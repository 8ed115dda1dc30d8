import { fileURLToPath } from 'node:url';
import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'serializer',
    include: ['src/**/*.test.ts'],
    // absolute: Stryker runs these tests from the repository's root
    setupFiles: [fileURLToPath(new URL('src/testing/property-seed.ts', import.meta.url))],
    testTimeout: 60_000,
  },
});
