import { readFileSync } from 'node:fs';
import { readPcap } from '@switchyard/wire';
import { describe, expect, it } from 'vitest';
import { basicExample } from '../examples/basic.js';
import { tcpExample } from '../examples/tcp.js';

const root = new URL('..', import.meta.url);

describe('README example', () => {
  it('shows examples/basic.ts and examples/tcp.ts verbatim, with the published import path', () => {
    const readme = readFileSync(new URL('README.md', root), 'utf8');
    const section = readme.slice(readme.indexOf('## Example'), readme.indexOf('## Install'));
    const blocks = [...section.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]);
    const files = ['examples/basic.ts', 'examples/tcp.ts'].map((f) =>
      readFileSync(new URL(f, root), 'utf8').replace("'../src/index.js'", "'@switchyard/netsim'"),
    );
    expect(blocks).toEqual(files);
  });

  it('runs and shows learning and flooding', () => {
    const r = basicExample();
    expect(r.received).toEqual([1, 2, 2]);
    expect(r.learnedPort).toBe(1);
    expect(r.flooded).toBe(2);
    expect(readPcap(r.pcap).records.length).toBe(3 + 2 + 3);
    expect(Buffer.from(basicExample().pcap).equals(Buffer.from(r.pcap))).toBe(true);
  });

  it('runs the TCP transfer to the end', () => {
    const r = tcpExample();
    expect(r).toMatchObject({ received: 200 * 1024, state: 'CLOSED' });
    expect(r.lost).toBeGreaterThan(0);
  });
});
