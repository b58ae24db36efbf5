import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { completeTransportChecksum, IpProtocol, pseudoHeaderSumV4, sumWords } from '../src/index.js';
import { CLIENT, EtherType, eth, ip4, ip6, tcpSeg, udpDgram, VIP } from './build.js';

/** The frame with its transport checksum field replaced by `value`, as a sender leaving it to the NIC would. */
function withChecksum(frame: Uint8Array, field: number, value: number): Uint8Array {
  const copy = frame.slice();
  copy[field] = value >>> 8;
  copy[field + 1] = value & 0xff;
  return copy;
}

describe('completeTransportChecksum', () => {
  const cases = [
    {
      name: 'TCP over IPv4',
      frame: eth(EtherType.IPv4, ip4(IpProtocol.TCP, tcpSeg(0x18, { payload: Uint8Array.of(1, 2, 3) }))),
      field: 14 + 20 + 16,
    },
    {
      name: 'UDP over IPv4',
      frame: eth(EtherType.IPv4, ip4(IpProtocol.UDP, udpDgram(4))),
      field: 14 + 20 + 6,
    },
    {
      name: 'TCP over IPv6',
      frame: eth(EtherType.IPv6, ip6(IpProtocol.TCP, tcpSeg(0x02, { version: 6 }))),
      field: 14 + 40 + 16,
    },
    {
      name: 'UDP over IPv6',
      frame: eth(EtherType.IPv6, ip6(IpProtocol.UDP, udpDgram(6))),
      field: 14 + 40 + 6,
    },
    {
      name: 'TCP over IPv4 in an 802.1Q tag, with IP options',
      frame: eth(EtherType.IPv4, ip4(IpProtocol.TCP, tcpSeg(0x10), { options: Uint8Array.of(1, 1, 1, 0) }), [
        { tpid: 0x8100, pcp: 0, dei: false, vid: 10 },
      ]),
      field: 18 + 24 + 16,
    },
  ];

  for (const { name, frame, field } of cases) {
    it(`restores the encoder's checksum: ${name}`, () => {
      // A partial checksum (the pseudo-header sum only) and garbage both end in the right value.
      for (const start of [0, 0x1234, 0xffff]) {
        const partial = withChecksum(frame, field, start);
        expect(completeTransportChecksum(partial)).toBe(true);
        expect(partial).toEqual(frame);
      }
    });
  }

  it('works on a frame inside a larger buffer (a ring) and touches nothing outside it', () => {
    const frame = cases[0]!.frame;
    const ring = new Uint8Array(frame.length + 100).fill(0xaa);
    ring.set(withChecksum(frame, cases[0]!.field, 0), 40);
    expect(completeTransportChecksum(ring, 40, frame.length)).toBe(true);
    expect(ring.subarray(40, 40 + frame.length)).toEqual(frame);
    expect(ring.subarray(0, 40).every((b) => b === 0xaa)).toBe(true);
    expect(ring.subarray(40 + frame.length).every((b) => b === 0xaa)).toBe(true);
  });

  it('sends a UDP checksum that computes to zero as 0xffff (RFC 768)', () => {
    // Pick the payload word so that the whole sum folds to 0xffff, i.e. the checksum to 0.
    const base = udpDgram(4, Uint8Array.of(0, 0));
    const frame = eth(EtherType.IPv4, ip4(IpProtocol.UDP, base));
    const l4 = 14 + 20;
    frame[l4 + 6] = 0;
    frame[l4 + 7] = 0;
    let sum = sumWords(frame, l4, frame.length, pseudoHeaderSumV4(CLIENT, VIP, IpProtocol.UDP, base.length));
    while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
    const word = 0xffff - sum;
    frame[frame.length - 2] = word >>> 8;
    frame[frame.length - 1] = word & 0xff;
    expect(completeTransportChecksum(frame)).toBe(true);
    expect((frame[l4 + 6]! << 8) | frame[l4 + 7]!).toBe(0xffff);
  });

  it('leaves what it cannot complete untouched and says so', () => {
    const fragment = eth(
      EtherType.IPv4,
      ip4(IpProtocol.TCP, tcpSeg(0x10), { moreFragments: true, dontFragment: false }),
    );
    const icmpLike = eth(EtherType.IPv4, ip4(IpProtocol.ICMP, Uint8Array.of(8, 0, 0, 0, 0, 0, 0, 0)));
    const extension = eth(
      EtherType.IPv6,
      ip6(IpProtocol.TCP, tcpSeg(0x10, { version: 6 }), [
        { type: IpProtocol.HOPOPT, body: Uint8Array.of(1, 4, 0, 0, 0, 0) },
      ]),
    );
    const arpLike = eth(EtherType.ARP, new Uint8Array(28));
    const whole = cases[0]!.frame;
    const truncated = whole.slice(0, whole.length - 2);
    for (const frame of [fragment, icmpLike, extension, arpLike, truncated, whole.slice(0, 10)]) {
      const before = frame.slice();
      expect(completeTransportChecksum(frame)).toBe(false);
      expect(frame).toEqual(before);
    }
    expect(completeTransportChecksum(whole, 0, whole.length + 1)).toBe(false);
  });

  it('never throws and never writes outside the frame, whatever the bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 200 }), fc.nat(20), (bytes, pad) => {
        const ring = new Uint8Array(bytes.length + 2 * pad).fill(0x55);
        ring.set(bytes, pad);
        completeTransportChecksum(ring, pad, bytes.length);
        expect(ring.subarray(0, pad).every((b) => b === 0x55)).toBe(true);
        expect(ring.subarray(pad + bytes.length).every((b) => b === 0x55)).toBe(true);
      }),
    );
  });
});
