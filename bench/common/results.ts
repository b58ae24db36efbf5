/**
 * What every benchmark records beside its figures (BENCHMARKS.md: the machine, the commit,
 * whether the measured sources were dirty) and how it writes them: a JSON result and a
 * Markdown table in bench/results/, the table also printed.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const resultsDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'results');
export const repoRoot = join(resultsDir, '..', '..');

/** Output of `git args` in the repository, or undefined when git is unavailable. */
export function git(args: string[]): string | undefined {
  try {
    return execFileSync('git', args, {
      cwd: repoRoot,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch {
    return undefined;
  }
}

/** The machine the run happened on; pass the load average read before measuring. */
export function machine(loadAverageBefore: number[]) {
  const cpus = os.cpus();
  return {
    node: process.version,
    v8: process.versions.v8,
    platform: `${process.platform} ${os.release()}`,
    arch: process.arch,
    cpuModel: cpus[0]?.model ?? 'unknown',
    cpuCount: cpus.length,
    totalMemoryGiB: Number((os.totalmem() / 2 ** 30).toFixed(1)),
    loadAverageBefore,
    loadAverageAfter: os.loadavg(),
    execArgv: process.execArgv,
  };
}

/** The commit measured, and for each source folder whether it had uncommitted changes. */
export function source(folders: string[]) {
  return {
    gitCommit: git(['rev-parse', 'HEAD']),
    dirty: Object.fromEntries(folders.map((f) => [f, git(['status', '--porcelain', '--', f]) !== ''])),
  };
}

/** Writes bench/results/<name>.json and <name>.md, and prints the Markdown. */
export function writeResults(name: string, result: unknown, markdown: string, seconds: number): void {
  mkdirSync(resultsDir, { recursive: true });
  writeFileSync(join(resultsDir, `${name}.json`), `${JSON.stringify(result, null, 2)}\n`);
  writeFileSync(join(resultsDir, `${name}.md`), markdown);
  console.log(markdown);
  console.log(`wrote bench/results/${name}.json and ${name}.md in ${seconds.toFixed(1)} s`);
}
