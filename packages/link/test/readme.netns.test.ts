/** The README's example is examples/echo.ts verbatim, and it runs (in a namespace this run creates). */
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { echoExample } from '../examples/echo.js';
import { Lab, netnsSkipReason } from './lab.js';

const root = new URL('..', import.meta.url);
const skip = netnsSkipReason();
if (skip !== undefined) console.warn(`skipping the README example run: ${skip}`);

describe('README example', () => {
  it('shows examples/echo.ts verbatim', () => {
    const readme = readFileSync(new URL('README.md', root), 'utf8');
    const section = readme.slice(readme.indexOf('## Example'), readme.indexOf('## Install'));
    const blocks = [...section.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]);
    expect(blocks).toEqual([readFileSync(new URL('examples/echo.ts', root), 'utf8')]);
  });

  describe.skipIf(skip !== undefined)('run', () => {
    const lab = new Lab();
    afterAll(() => lab.dispose());
    it('moves one frame each way through a TAP and counts it', async () => {
      const r = await echoExample(lab.ns('e'));
      expect(r.atWire).toEqual([60]);
      expect(r.atTap).toHaveLength(1);
      expect(r.counters.wire).toMatchObject({ rxFrames: 1, txFrames: 1, kernelDrops: 0 });
      expect(r.counters.tap).toMatchObject({ rxFrames: 1, txFrames: 1 });
    });
  });
});
