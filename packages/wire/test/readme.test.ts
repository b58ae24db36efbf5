/** The README's examples are code: each ```ts block runs here and asserts what it shows. */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { describePcap } from '../examples/decode-pcap.js';
import { PcapWriter } from '../src/index.js';
import { EtherType, eth, ip4, tcpSeg } from './build.js';

const here = dirname(fileURLToPath(import.meta.url));
const readme = readFileSync(join(here, '..', 'README.md'), 'utf8');
const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);
// The @packageDocumentation example of src/index.ts, without its comment stars.
const indexSource = readFileSync(join(here, '..', 'src', 'index.ts'), 'utf8');
const indexExample = /@example\n \* ```ts\n([\s\S]*?) \* ```/.exec(indexSource)?.[1]?.replace(/^ \* ?/gm, '');
const scratch = join(here, '.readme');

describe('README examples', () => {
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('has examples', () => expect(blocks.length).toBeGreaterThanOrEqual(2));

  it('the @packageDocumentation example in src/index.ts runs', async () => {
    expect(indexExample).toMatch(/decodeFrame\(frame, d\)/);
    mkdirSync(scratch, { recursive: true });
    const file = join(scratch, 'index-example.ts');
    writeFileSync(file, indexExample!);
    await import(file);
  });

  blocks.forEach((code, i) => {
    it(`example ${i + 1} runs and its assertions hold`, async () => {
      mkdirSync(scratch, { recursive: true });
      const file = join(scratch, `example-${i + 1}.ts`);
      writeFileSync(file, code);
      await import(file);
    });
  });
});

describe('examples/decode-pcap.ts', () => {
  it('prints one line per frame and a closing count', () => {
    const w = new PcapWriter();
    w.write(eth(EtherType.IPv4, ip4(6, tcpSeg(2))), 1_000_000_000n);
    const bad = eth(EtherType.IPv4, ip4(6, tcpSeg(2)));
    bad[50] = bad[50]! ^ 0xff; // corrupt the TCP checksum (14 + 20 + 16)
    w.write(bad, 1_500_000_000n);
    w.write(new Uint8Array(8), 2_000_000_000n);
    const lines = describePcap(w.toBytes());
    expect(lines).toHaveLength(4);
    expect(lines[0]).toMatch(/^ {2}1 {3}0\.000000 {2}IPv4 10\.77\.0\.1\.40000 > 10\.77\.0\.50\.80 TCP \[S\]/);
    expect(lines[1]).toMatch(/0\.500000 .*\[bad checksum: tcp\]$/);
    expect(lines[2]).toMatch(/malformed ethernet/);
    expect(lines[3]).toBe('3 frames, 1 malformed');
  });
});
