import { readFileSync } from 'node:fs';
import { describeReadmeExamples, markdownTable, readReadme } from '@switchyard/vitest-preset/readme';
import { describe, expect, it } from 'vitest';

const root = new URL('..', import.meta.url);
describeReadmeExamples(root, { minimum: 3, index: /primaryBackup\(keyHash, members\)/ });

describe('README distribution table', () => {
  it('is the one `pnpm bench:distribution` last wrote (it is deterministic)', () => {
    const results = readFileSync(new URL('../../bench/results/distribution.md', root), 'utf8');
    expect(markdownTable(readReadme(root), '| flow set |')).toBeDefined();
    expect(markdownTable(readReadme(root), '| flow set |')).toBe(markdownTable(results, '| flow set |'));
  });
});
