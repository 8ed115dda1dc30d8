import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'packaging',
    include: ['src/**/*.test.ts'],
    // packing and `npm install` into an empty project happen once, before the tests
    globalSetup: ['src/consumer-project.ts'],
    testTimeout: 180_000,
    hookTimeout: 600_000,
  },
});
