// The README's examples are code: every ```ts block of a package's README, and the
// @packageDocumentation example of its src/index.ts, runs as a test and asserts what it shows.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * Registers one test per README example of the package at `packageRoot`.
 * @param {URL} packageRoot the package directory, e.g. `new URL('..', import.meta.url)`
 * @param {{ minimum?: number }} [options] how many README blocks there must be at least
 */
export function describeReadmeExamples(packageRoot, options = {}) {
  const root = fileURLToPath(packageRoot);
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]);
  const index = readFileSync(join(root, 'src', 'index.ts'), 'utf8');
  const indexExample = /@example\n \* ```ts\n([\s\S]*?) \* ```/.exec(index)?.[1]?.replace(/^ \* ?/gm, '');
  const scratch = join(root, 'test', '.readme');

  const run = async (name, code) => {
    mkdirSync(scratch, { recursive: true });
    const file = join(scratch, `${name}.ts`);
    writeFileSync(file, code);
    await import(file);
  };

  describe('README examples', () => {
    afterAll(() => rmSync(scratch, { recursive: true, force: true }));

    it('has examples', () => {
      expect(blocks.length).toBeGreaterThanOrEqual(options.minimum ?? 1);
    });

    it('the @packageDocumentation example in src/index.ts runs', async () => {
      expect(indexExample, 'src/index.ts has an @example').toBeTypeOf('string');
      await run('index-example', indexExample);
    });

    blocks.forEach((code, i) => {
      it(`example ${i + 1} runs and its assertions hold`, async () => {
        await run(`example-${i + 1}`, code);
      });
    });
  });
}
