import { fileURLToPath } from 'node:url';
import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'core',
    include: ['src/**/*.test.ts'],
    // the serializer's, shared; absolute: Stryker runs these tests from the repository's root
    setupFiles: [
      fileURLToPath(new URL('../serializer/src/testing/property-seed.ts', import.meta.url)),
    ],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    typecheck: { enabled: true, include: ['src/**/*.test-d.ts'], tsconfig: './tsconfig.json' },
  },
});
