// Vitest global setup: packs every published package as it would be published (`pnpm pack`, which
// writes out the workspace versions), then installs the tarballs with npm into an empty project
// outside the workspace, as a stranger would, with the fixtures beside them. Removed afterwards.
import { execFileSync } from 'node:child_process';
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';

export const publishedPackages = ['serializer', 'core', 'bullmq'] as const;

export interface Consumer {
  /** The empty project the tarballs are installed in. */
  readonly app: string;
  /** A folder for the tests' own output, outside the project. */
  readonly scratch: string;
  readonly tarballs: readonly string[];
}

declare module 'vitest' {
  export interface ProvidedContext {
    consumer: Consumer;
  }
}

const packages = fileURLToPath(new URL('../../', import.meta.url));

export default function setup(project: TestProject): () => void {
  const root = mkdtempSync(join(tmpdir(), 'closure-pool-consumer-'));
  const packed = join(root, 'tarballs');
  for (const name of publishedPackages)
    run(pnpm(), ['pack', '--pack-destination', packed], join(packages, name));
  const tarballs = readdirSync(packed).map((file) => join(packed, file));
  const app = join(root, 'app');
  mkdirSync(app);
  writeFileSync(
    join(app, 'package.json'),
    `${JSON.stringify({ name: 'consumer-app', private: true, type: 'module' }, null, 2)}\n`,
  );
  cpSync(fileURLToPath(new URL('./fixtures/', import.meta.url)), app, { recursive: true });
  // and what a consumer tests with: the vitest this workspace uses, with its coverage provider
  const vitest = JSON.parse(
    readFileSync(new URL('../../../node_modules/vitest/package.json', import.meta.url), 'utf8'),
  ).version as string;
  run(
    'npm',
    [
      'install',
      '--no-audit',
      '--no-fund',
      ...tarballs,
      '@types/node@20',
      `vitest@${vitest}`,
      `@vitest/coverage-v8@${vitest}`,
    ],
    app,
  );
  const scratch = join(root, 'scratch');
  mkdirSync(scratch);
  project.provide('consumer', { app, scratch, tarballs });
  return () => rmSync(root, { recursive: true, force: true });
}

/** pnpm as this run was started with (`npx -y pnpm@10 test`), or fetched the same way. */
function pnpm(): string[] {
  const execPath = process.env.npm_execpath;
  if (execPath && /pnpm/.test(execPath)) return [process.execPath, execPath];
  return ['npx', '-y', 'pnpm@10'];
}

function run(command: string | string[], args: string[], cwd: string): void {
  const [file, ...pre] = Array.isArray(command) ? command : [command];
  execFileSync(file!, [...pre, ...args], { cwd, stdio: 'pipe', env: { ...process.env, CI: '1' } });
}
