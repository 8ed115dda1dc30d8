import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

// Every TypeScript sample in the root README is a region of a file that the tests run.
const root = new URL('../../../', import.meta.url);
const readme = readFileSync(new URL('README.md', root), 'utf8');
const marker = /<!-- region: (\S+)#(\S+) -->\n```ts\n([\s\S]*?)```/g;

function region(file: string, name: string): string {
  const text = readFileSync(new URL(file, root), 'utf8');
  const match = new RegExp(`// #region ${name}\\n([\\s\\S]*?)\\n\\s*// #endregion ${name}`).exec(
    text,
  );
  if (!match) throw new Error(`${file} has no region ${name}`);
  const lines = match[1]!.split('\n');
  const indent = Math.min(...lines.filter((l) => l.trim()).map((l) => /^ */.exec(l)![0].length));
  return lines.map((l) => l.slice(indent)).join('\n');
}

describe('README samples', () => {
  const samples = [...readme.matchAll(marker)];

  it('every ts block comes from a file the tests run', () => {
    expect(samples.length).toBeGreaterThan(0);
    expect(samples).toHaveLength((readme.match(/```ts\n/g) ?? []).length);
  });

  it.each(samples.map((m) => [`${m[1]}#${m[2]}`, m[1]!, m[2]!, m[3]!]))(
    '%s is quoted verbatim',
    (_, file, name, block) => {
      expect(block.trimEnd()).toBe(region(file, name).trimEnd());
    },
  );
});
