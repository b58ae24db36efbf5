// The README's examples are code: every ```ts block of a package's README, and the
// @packageDocumentation example of its src/index.ts, run as tests and assert what they show.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * The README of the package at `packageRoot`.
 * @param {URL} packageRoot
 */
export function readReadme(packageRoot) {
  return readFileSync(join(fileURLToPath(packageRoot), 'README.md'), 'utf8');
}

/**
 * The ```ts blocks of `markdown`, or of one of its `## section`s.
 * @param {string} markdown
 * @param {string} [section] a level-2 heading, e.g. 'Example'
 */
export function codeBlocks(markdown, section) {
  let text = markdown;
  if (section !== undefined) {
    const start = text.indexOf(`## ${section}\n`);
    if (start < 0) return [];
    const end = text.indexOf('\n## ', start + 1);
    text = text.slice(start, end < 0 ? undefined : end);
  }
  return [...text.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]);
}

/**
 * The first Markdown table of `markdown` whose header row starts with `header`.
 * @param {string} markdown
 * @param {string} header e.g. '| flow set |'
 */
export function markdownTable(markdown, header) {
  const lines = markdown.split('\n');
  const start = lines.findIndex((l) => l.startsWith(header));
  if (start < 0) return undefined;
  let end = start;
  while (end < lines.length && lines[end].startsWith('|')) end++;
  return lines.slice(start, end).join('\n');
}

/**
 * The @packageDocumentation example of the package's src/index.ts, without comment stars.
 * @param {URL} packageRoot
 */
export function indexExample(packageRoot) {
  const source = readFileSync(join(fileURLToPath(packageRoot), 'src', 'index.ts'), 'utf8');
  return /@example\n \* ```ts\n([\s\S]*?) \* ```/.exec(source)?.[1]?.replace(/^ \* ?/gm, '');
}

/**
 * Writes `code` to the package's test/.readme/<name>.ts and imports it (its top-level
 * assertions run); `removeScratch` deletes the folder.
 * @param {URL} packageRoot
 * @param {string} name
 * @param {string} code
 */
export async function runCode(packageRoot, name, code) {
  const scratch = join(fileURLToPath(packageRoot), 'test', '.readme');
  mkdirSync(scratch, { recursive: true });
  const file = join(scratch, `${name}.ts`);
  writeFileSync(file, code);
  await import(file);
}

/** @param {URL} packageRoot */
export function removeScratch(packageRoot) {
  rmSync(join(fileURLToPath(packageRoot), 'test', '.readme'), { recursive: true, force: true });
}

/**
 * Registers one test per README ```ts block, and one for the src/index.ts @example.
 * @param {URL} packageRoot the package directory, e.g. `new URL('..', import.meta.url)`
 * @param {{ minimum?: number, blocks?: boolean, index?: RegExp }} [options] `minimum` README
 *   blocks (default 1); `blocks: false` when the README shows example files that other tests
 *   run; `index`: what the index example must contain
 */
export function describeReadmeExamples(packageRoot, options = {}) {
  const blocks = options.blocks === false ? [] : codeBlocks(readReadme(packageRoot));
  const index = indexExample(packageRoot);

  describe('README examples', () => {
    afterAll(() => removeScratch(packageRoot));

    if (options.blocks !== false) {
      it('has examples', () => {
        expect(blocks.length).toBeGreaterThanOrEqual(options.minimum ?? 1);
      });
    }

    it('the @packageDocumentation example in src/index.ts runs', async () => {
      expect(index, 'src/index.ts has an @example').toBeTypeOf('string');
      if (options.index) expect(index).toMatch(options.index);
      await runCode(packageRoot, 'index-example', index);
    });

    blocks.forEach((code, i) => {
      it(`example ${i + 1} runs and its assertions hold`, async () => {
        await runCode(packageRoot, `example-${i + 1}`, code);
      });
    });
  });
}
