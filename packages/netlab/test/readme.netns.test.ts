/** The README's examples are code: each ```ts block runs here (as root) and asserts what it shows. */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { canCreateNamespaces, liveLabCount } from '../src/index.js';

const here = dirname(fileURLToPath(import.meta.url));
const readme = readFileSync(join(here, '..', 'README.md'), 'utf8');
const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);
// The @packageDocumentation example of src/index.ts, without its comment stars.
const indexSource = readFileSync(join(here, '..', 'src', 'index.ts'), 'utf8');
const indexExample = /@example\n \* ```ts\n([\s\S]*?) \* ```/.exec(indexSource)?.[1]?.replace(/^ \* ?/gm, '');
const scratch = join(here, '.readme');

async function runExample(name: string, code: string): Promise<void> {
  mkdirSync(scratch, { recursive: true });
  const file = join(scratch, `${name}.ts`);
  writeFileSync(file, code);
  const before = liveLabCount();
  await import(file);
  // Every example cleans up after itself.
  expect(liveLabCount()).toBe(before);
}

describe('README examples', () => {
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('has examples', () => {
    expect(blocks.length).toBeGreaterThanOrEqual(2);
    expect(indexExample).toMatch(/createLab\(/);
  });

  describe.skipIf(!canCreateNamespaces())('run (needs root: CAP_NET_ADMIN and CAP_SYS_ADMIN)', () => {
    it('the @packageDocumentation example in src/index.ts runs', () =>
      runExample('index-example', indexExample!));

    blocks.forEach((code, i) => {
      it(`example ${i + 1} runs and its assertions hold`, () => runExample(`example-${i + 1}`, code));
    });
  });
});
