import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'serializer',
    include: ['src/**/*.test.ts'],
    setupFiles: ['src/testing/property-seed.ts'],
    testTimeout: 60_000,
  },
});
