import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'toolchains',
    // the corpus's own test file runs only inside the vitest rows of the matrix
    include: ['src/*.test.ts'],
    testTimeout: 60_000,
  },
});
