/** The README's examples are code: they are the files in examples/, and they run here. */
import { readFileSync } from 'node:fs';
import { codeBlocks, describeReadmeExamples, readReadme } from '@switchyard/vitest-preset/readme';
import { describe, expect, it } from 'vitest';
import { clusterExample } from '../examples/cluster.js';
import { responderExample } from '../examples/responder.js';

const root = new URL('..', import.meta.url);
describeReadmeExamples(root, { blocks: false, index: /Verdict\.ANSWERED/ });

describe('README', () => {
  const readme = readReadme(root);

  it('shows examples/responder.ts and examples/cluster.ts verbatim, with the published import path', () => {
    const files = ['examples/responder.ts', 'examples/cluster.ts'].map((f) =>
      readFileSync(new URL(f, root), 'utf8').replace("'../src/index.js'", "'@switchyard/arp'"),
    );
    expect(codeBlocks(readme, 'Example')).toEqual(files);
  });

  it('keeps the About → Example → Install → API → Guarantees → RFCs order', () => {
    const headings = [...readme.matchAll(/^## (.+)$/gm)].map((m) => m[1]);
    expect(headings).toEqual([
      'About',
      'Example',
      'Install',
      'API',
      'Guarantees',
      'RFCs and claims implemented',
    ]);
  });

  it('the responder example announces 3 times 100 ms apart and answers with the vMAC from the real MAC', () => {
    expect(responderExample()).toEqual({
      verdict: 'answered',
      announcedAt: [0, 100e6, 200e6],
      ethernetSource: '02:00:00:00:00:0a',
      arpSender: '02:53:59:00:00:01',
      learned: 0x02_00_00_00_00_99,
    });
  });

  it('the cluster example: the client holds the vMAC, only the active node answered, the switch never learned the vMAC', () => {
    const r = clusterExample();
    expect(r).toEqual({
      clientSees: '02:53:59:00:00:01',
      answeredBy: [1, 0],
      switchLearnedVmac: false,
      switchLearned: expect.arrayContaining(['02:00:00:00:00:01', '02:00:00:00:00:99']),
    });
    expect(r.switchLearned).not.toContain('02:53:59:00:00:01');
  });
});
