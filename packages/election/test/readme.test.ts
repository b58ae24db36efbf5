/** The README's example is code: examples/failover.ts is shown verbatim and run here; so is the index.ts example. */
import { readFileSync } from 'node:fs';
import { codeBlocks, describeReadmeExamples, readReadme } from '@switchyard/vitest-preset/readme';
import { describe, expect, it } from 'vitest';
import { failoverExample } from '../examples/failover.js';

const root = new URL('..', import.meta.url);
const readme = readReadme(root);
describeReadmeExamples(root, { blocks: false, index: /bad-tag/ });

describe('README example', () => {
  it('shows examples/failover.ts verbatim', () => {
    expect(codeBlocks(readme, 'Example')).toEqual([
      readFileSync(new URL('examples/failover.ts', root), 'utf8'),
    ]);
  });

  it('runs: VIPs spread, node 3 takes over within the dead interval plus one heartbeat', () => {
    const r = failoverExample();
    expect(r.before).toEqual([1, 2]);
    expect(r.after).toEqual([3, 2]);
    expect(r.failoverMs).toBeGreaterThan(20);
    expect(r.failoverMs).toBeLessThanOrEqual(40);
    expect(r.members).toEqual([2, 3]);
    expect(failoverExample()).toEqual(r); // deterministic
  });

  it('the README table is the one the benchmark wrote', () => {
    const md = readFileSync(new URL('../../bench/results/failover.md', root), 'utf8');
    const table = md.split('\n').filter((l) => l.startsWith('|'));
    for (const line of table) expect(readme).toContain(line);
  });
});
