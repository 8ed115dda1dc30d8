// The tarballs as the registry would serve them, checked by the tools the ecosystem uses: publint
// (fields, files, formats) and Are the Types Wrong (types under every module resolution).
import { basename } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { runAt, tool } from './tools.js';

const { tarballs, scratch } = inject('consumer');

describe.each(tarballs.map((tarball) => [basename(tarball), tarball]))('%s', (_, tarball) => {
  it('ships a LICENSE, honest engines, its type dependency, no tests, and maps with their sources', async () => {
    const files = (await runAt(scratch, 'tar', ['-tzf', tarball])).trim().split('\n');
    expect(files).toContain('package/LICENSE');
    expect(files.filter((f) => /\.test\.|\/testing\/|test-helpers|\/fixtures\//.test(f))).toEqual(
      [],
    );
    const manifest = JSON.parse(
      await runAt(scratch, 'tar', ['-xzOf', tarball, 'package/package.json']),
    );
    expect(manifest.license).toBe('MIT');
    expect(manifest.engines).toEqual({ node: '>=20.19.0' });
    expect(manifest.peerDependencies).toMatchObject({ '@types/node': '>=20' });
    const map = files.find((f) => f.endsWith('/index.js.map'))!;
    const sourceMap = JSON.parse(await runAt(scratch, 'tar', ['-xzOf', tarball, map]));
    expect(sourceMap.sourcesContent?.[0]).toEqual(expect.stringContaining('export'));
  });

  it('is clean under publint --strict', async () => {
    const out = await runAt(scratch, process.execPath, [
      tool('publint/src/cli.js'),
      'run',
      tarball,
      '--strict',
    ]);
    expect(out).toMatch(/All good!/);
  });

  it('has types that resolve under node10, node16 (ESM and CommonJS) and bundler', async () => {
    // `require()` of these ES modules is Node's own since 20.19, the oldest Node they support
    // (engines), and TypeScript's under `module: node20`/`nodenext`: attw's warning about it is
    // the only one set aside
    const out = await runAt(scratch, process.execPath, [
      tool('@arethetypeswrong/cli/dist/index.js'),
      tarball,
      '--ignore-rules',
      'cjs-resolves-to-esm',
      '--format',
      'json',
    ]);
    const { analysis } = JSON.parse(out) as { analysis: { problems: unknown[] } };
    expect(
      analysis.problems.filter((p) => (p as { kind: string }).kind !== 'CJSResolvesToESM'),
    ).toEqual([]);
  });
});
