import { EtherType, ethernet, type MacAddress } from '@switchyard/wire';
import type { SimLink } from '../src/index.js';

export const mac = (n: number): MacAddress => 0x02_00_00_00_00_00 + n;

/** A frame from `src` to `dst` carrying `tag` in its first payload word. */
export function frame(
  src: MacAddress,
  dst: MacAddress,
  tag = 0,
  etherType: number = EtherType.LocalExperimental1,
): Uint8Array {
  const payload = new Uint8Array(46);
  new DataView(payload.buffer).setUint32(0, tag);
  return ethernet.encode({ destination: dst, source: src, tags: [], etherType, payload });
}

export function tagOf(f: Uint8Array): number {
  return new DataView(f.buffer, f.byteOffset).getUint32(14);
}

/** Records copies of the tags each link receives. */
export function record(links: readonly SimLink[]): number[][] {
  return links.map((l) => {
    const got: number[] = [];
    l.onReceive((f) => {
      got.push(tagOf(f));
    });
    return got;
  });
}
