import { readFileSync } from 'node:fs';
import { describeReadmeExamples, markdownTable, readReadme } from '@switchyard/vitest-preset/readme';
import { describe, expect, it } from 'vitest';

const root = new URL('..', import.meta.url);
// The examples: owner of a frame, an ICMP error, the formulas.
describeReadmeExamples(root, { minimum: 3, index: /additive3\(key, 3\)/ });

describe('README claims that tests elsewhere do not pin', () => {
  const readme = readReadme(root);

  it('the distribution table is the one `pnpm bench:distribution` last wrote (it is deterministic)', () => {
    const results = readFileSync(new URL('../../bench/results/distribution.md', root), 'utf8');
    expect(markdownTable(readme, '| flow set |')).toBeDefined();
    expect(markdownTable(readme, '| flow set |')).toBe(markdownTable(results, '| flow set |'));
  });

  it('names the default policy and the generated lab stand-in', () => {
    expect(readme).toMatch(/default is \*\*rendezvous/);
    expect(readme).toMatch(/generated stand-in/);
  });
});
