import { InvalidArgumentError, Ipv4Address, Ipv6Address } from '@switchyard/wire';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  encodeFlowKey,
  FLOW_KEY_IPV4_LENGTH,
  FLOW_KEY_IPV6_LENGTH,
  FlowHasher,
  FlowKey,
  Protocol,
  SipHash24,
} from '../src/index.js';
import { sipHashRef } from './reference.js';

const KEY = Uint8Array.from({ length: 16 }, (_, i) => i);
const hexOf = (b: Uint8Array) => Buffer.from(b).toString('hex');
const flow4 = FlowKey.ipv4(
  Ipv4Address.parse('10.0.0.1'),
  Ipv4Address.parse('10.0.0.2'),
  40000,
  80,
  Protocol.TCP,
);
const flow6 = FlowKey.ipv6(
  Ipv6Address.parse('2001:db8::1'),
  Ipv6Address.parse('2001:db8::2'),
  40000,
  443,
  Protocol.UDP,
);

const u32 = fc.integer({ min: 0, max: 0xffff_ffff });
const port = fc.integer({ min: 0, max: 0xffff });
const anyKey = fc.oneof(
  fc
    .tuple(u32, u32, port, port, fc.constantFrom(6, 17))
    .map(([s, d, sp, dp, p]) => FlowKey.ipv4(s, d, sp, dp, p)),
  fc
    .tuple(
      fc.bigInt({ min: 0n, max: (1n << 128n) - 1n }),
      fc.bigInt({ min: 0n, max: (1n << 128n) - 1n }),
      port,
      port,
    )
    .map(([s, d, sp, dp]) => FlowKey.ipv6(s, d, sp, dp, 6)),
);

describe('canonical encoding of a flow key', () => {
  it('IPv4: source, destination, source port, destination port, protocol in network order (13 bytes)', () => {
    const out = new Uint8Array(13);
    expect(encodeFlowKey(flow4, out)).toBe(FLOW_KEY_IPV4_LENGTH);
    //                    10.0.0.1  10.0.0.2  40000 80   TCP
    expect(hexOf(out)).toBe('0a000001' + '0a000002' + '9c40' + '0050' + '06');
  });

  it('IPv6: the same fields with 16-byte addresses (37 bytes), written at an offset', () => {
    const out = new Uint8Array(40).fill(0xa5);
    expect(encodeFlowKey(flow6, out, 2)).toBe(FLOW_KEY_IPV6_LENGTH);
    expect(hexOf(out.subarray(2, 39))).toBe(
      '20010db8000000000000000000000001' + '20010db8000000000000000000000002' + '9c40' + '01bb' + '11',
    );
    expect(out[0]).toBe(0xa5);
    expect(out[39]).toBe(0xa5);
  });

  it('symmetric: the endpoint that sorts first (address, then port) goes first', () => {
    const a = new Uint8Array(13);
    const b = new Uint8Array(13);
    encodeFlowKey(flow4, a, 0, true);
    encodeFlowKey(new FlowKey().copyFrom(flow4).reverse(), b, 0, true);
    expect(hexOf(a)).toBe('0a0000010a0000029c40005006'); // 10.0.0.1 < 10.0.0.2: unchanged
    expect(hexOf(b)).toBe(hexOf(a));
    // Same address both ways: the port decides.
    const loop = FlowKey.ipv4(1, 1, 9000, 80, 6);
    encodeFlowKey(loop, a, 0, true);
    expect(hexOf(a)).toBe('00000001000000010050232806');
  });

  it('refuses an output range that is too short', () => {
    expect(() => encodeFlowKey(flow6, new Uint8Array(36))).toThrow(InvalidArgumentError);
  });
});

describe('FlowHasher: SipHash-2-4 over the canonical encoding', () => {
  it('pinned vector: key 00..0f, 10.0.0.1:40000 → 10.0.0.2:80 TCP', () => {
    // Changing this value changes which node owns every flow: a compatibility break between versions.
    const h = new FlowHasher({ key: KEY });
    const low = h.hash(flow4);
    const ref = sipHashRef(KEY, Buffer.from('0a0000010a0000029c40005006', 'hex'));
    expect(BigInt(h.high) * 2n ** 32n + BigInt(low)).toBe(ref);
    expect(low).toBe(0x93afbb61);
    expect(h.high).toBe(0x22234b9f);
  });

  it('equals SipHash-2-4 of encodeFlowKey for any key (IPv4 and IPv6)', () => {
    const h = new FlowHasher({ key: KEY });
    const sip = new SipHash24(KEY);
    const buf = new Uint8Array(37);
    fc.assert(
      fc.property(anyKey, (k) => {
        const len = encodeFlowKey(k, buf);
        const expected = sip.hash(buf, 0, len);
        const expectedHigh = sip.high;
        return h.hash(k) === expected && h.high === expectedHigh;
      }),
    );
  });

  it('hashInt32 is the same 32 bits as a signed int32, and sets the same high half', () => {
    const h = new FlowHasher({ key: KEY });
    let negative = 0;
    fc.assert(
      fc.property(anyKey, (k) => {
        const u = h.hash(k);
        const high = h.high;
        const i = h.hashInt32(k);
        if (i < 0) negative++;
        return i === (u | 0) && i >>> 0 === u && h.high === high;
      }),
      { numRuns: 500 },
    );
    expect(negative).toBeGreaterThan(0); // the case that matters: values above 2^31 as a u32
  });

  it('returns a u32 (what @switchyard/hrw takes as keyHash)', () => {
    const h = new FlowHasher({ key: KEY });
    fc.assert(
      fc.property(anyKey, (k) => Number.isInteger(h.hash(k)) && h.hash(k) >= 0 && h.hash(k) < 2 ** 32),
    );
  });

  it('symmetric mode hashes both directions of a flow the same', () => {
    const h = new FlowHasher({ key: KEY, symmetric: true });
    expect(h.symmetric).toBe(true);
    fc.assert(
      fc.property(anyKey, (k) => {
        const forward = h.hash(k);
        const forwardHigh = h.high;
        const back = h.hash(new FlowKey().copyFrom(k).reverse());
        return forward === back && forwardHigh === h.high;
      }),
    );
  });

  it('directional by default: a flow and its reverse hash differently', () => {
    const h = new FlowHasher({ key: KEY });
    expect(h.symmetric).toBe(false);
    expect(h.hash(flow4)).not.toBe(h.hash(new FlowKey().copyFrom(flow4).reverse()));
  });

  it('another cluster key gives other hashes (the key is what keeps owners unpredictable)', () => {
    const a = new FlowHasher({ key: KEY });
    const b = new FlowHasher({ key: new Uint8Array(16).fill(1) });
    expect(a.hash(flow4)).not.toBe(b.hash(flow4));
    expect(a.hash(flow6)).not.toBe(b.hash(flow6));
  });

  it('hashMember is SipHash-2-4 of 0x4d and the id in network order', () => {
    const h = new FlowHasher({ key: KEY });
    const low = h.hashMember(0x01020304);
    const ref = sipHashRef(KEY, Uint8Array.of(0x4d, 1, 2, 3, 4));
    expect(BigInt(h.high) * 2n ** 32n + BigInt(low)).toBe(ref);
    for (const bad of [-1, 2 ** 32, 1.5]) expect(() => h.hashMember(bad)).toThrow(InvalidArgumentError);
  });

  it('refuses a key that is not 16 bytes', () => {
    expect(FlowHasher.KEY_LENGTH).toBe(16);
    expect(() => new FlowHasher({ key: new Uint8Array(8) })).toThrow(InvalidArgumentError);
  });
});
