/** The README's examples are code: each ```ts block runs here (as root) and asserts what it shows. */
import {
  codeBlocks,
  indexExample,
  readReadme,
  removeScratch,
  runCode,
} from '@switchyard/vitest-preset/readme';
import { afterAll, describe, expect, it } from 'vitest';
import { canCreateNamespaces, liveLabCount } from '../src/index.js';

const root = new URL('..', import.meta.url);
const blocks = codeBlocks(readReadme(root));
const index = indexExample(root);

async function runExample(name: string, code: string): Promise<void> {
  const before = liveLabCount();
  await runCode(root, name, code);
  // Every example cleans up after itself.
  expect(liveLabCount()).toBe(before);
}

describe('README examples', () => {
  afterAll(() => removeScratch(root));

  it('has examples', () => {
    expect(blocks.length).toBeGreaterThanOrEqual(2);
    expect(index).toMatch(/createLab\(/);
  });

  describe.skipIf(!canCreateNamespaces())('run (needs root: CAP_NET_ADMIN and CAP_SYS_ADMIN)', () => {
    it('the @packageDocumentation example in src/index.ts runs', () => runExample('index-example', index!));

    blocks.forEach((code, i) => {
      it(`example ${i + 1} runs and its assertions hold`, () => runExample(`example-${i + 1}`, code));
    });
  });
});
