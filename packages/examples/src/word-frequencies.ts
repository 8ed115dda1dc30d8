// A real workload: word frequencies over many text files. The workers read the files themselves
// through moduleRef('node:fs/promises'); the stop words travel as a captured Set; each file's
// counts come back as a Map and are merged here, with a progress bar while it runs.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClosurePool, capture, moduleRef } from '@closure-pool/core';
import { SingleBar } from 'cli-progress';

const vocabulary =
  'the a of and to in is it that pool thread worker closure capture map chunk item result error value function node python pickle dill pathos'.split(
    ' ',
  );

/** Writes `files` text files of seeded random words; returns their directory and paths. */
async function writeCorpus(files: number, wordsPerFile: number) {
  const dir = await mkdtemp(join(tmpdir(), 'closure-pool-words-'));
  let state = 7;
  const paths: string[] = [];
  for (let f = 0; f < files; f++) {
    const words = Array.from({ length: wordsPerFile }, () => {
      state = (state * 1103515245 + 12345) % 2 ** 31;
      return vocabulary[state % vocabulary.length];
    });
    const path = join(dir, `text-${f}.txt`);
    await writeFile(path, words.join(' '));
    paths.push(path);
  }
  return { dir, paths };
}

export async function wordFrequenciesExample({
  files = 200,
  wordsPerFile = 20_000,
  progress = process.stderr.isTTY,
} = {}) {
  const { dir, paths } = await writeCorpus(files, wordsPerFile);
  const fs = moduleRef<typeof import('node:fs/promises')>('node:fs/promises');
  const stopWords = new Set(['the', 'a', 'of', 'and', 'to', 'in', 'is', 'it', 'that']);
  const bar = new SingleBar({
    format: 'word counts [{bar}] {value}/{total} files',
    noTTYOutput: false,
  });
  if (progress) bar.start(paths.length, 0);
  try {
    await using pool = new ClosurePool();
    const started = performance.now();
    const perFile = await pool.map(
      async (path: string) => {
        const counts = new Map<string, number>();
        for (const word of (await fs.readFile(path, 'utf8')).split(/\s+/)) {
          if (word && !stopWords.has(word)) counts.set(word, (counts.get(word) ?? 0) + 1);
        }
        return counts;
      },
      paths,
      capture({ fs, stopWords }),
      { chunkSize: 4, onProgress: ({ completed }) => progress && bar.update(completed) },
    );
    const totals = new Map<string, number>();
    for (const counts of perFile)
      for (const [word, n] of counts) totals.set(word, (totals.get(word) ?? 0) + n);
    const top = [...totals].sort((a, b) => b[1] - a[1]).slice(0, 5);
    return {
      files: paths.length,
      words: files * wordsPerFile,
      top,
      totals,
      seconds: (performance.now() - started) / 1000,
    };
  } finally {
    if (progress) bar.stop();
    await rm(dir, { recursive: true, force: true });
  }
}
