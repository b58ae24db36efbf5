/** The README's examples are code: they are the files in examples/, and they run here. */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { clusterExample } from '../examples/cluster.js';
import { responderExample } from '../examples/responder.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const scratch = join(here, '.readme');

describe('README', () => {
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('shows examples/responder.ts and examples/cluster.ts verbatim, with the published import path', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## Example'), readme.indexOf('## Install'));
    const blocks = [...section.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]);
    const files = ['examples/responder.ts', 'examples/cluster.ts'].map((f) =>
      readFileSync(join(root, f), 'utf8').replace("'../src/index.js'", "'@switchyard/arp'"),
    );
    expect(blocks).toEqual(files);
  });

  it('keeps the About → Example → Install → API → Guarantees → RFCs order', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
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

  it('the @packageDocumentation example in src/index.ts runs', async () => {
    const source = readFileSync(join(root, 'src', 'index.ts'), 'utf8');
    const example = /@example\n \* ```ts\n([\s\S]*?) \* ```/.exec(source)?.[1]?.replace(/^ \* ?/gm, '');
    expect(example).toMatch(/Verdict\.ANSWERED/);
    mkdirSync(scratch, { recursive: true });
    const file = join(scratch, 'index-example.ts');
    writeFileSync(file, example!);
    await import(file);
  });
});
