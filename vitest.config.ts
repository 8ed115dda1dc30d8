import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: ['packages/*'],
    // the summary for people, and a JSON file that .ci/run reads the totals from
    reporters: ['default', 'json'],
    outputFile: { json: 'test-results.json' },
  },
});
