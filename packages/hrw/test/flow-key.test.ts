import {
  InvalidArgumentError,
  Ipv4Address,
  Ipv6Address,
  MalformedError,
  TruncatedError,
  WireError,
} from '@switchyard/wire';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FLOW_KEY_LENGTH, type FlowKey, flowKey } from '../src/index.js';
import { flowKeys } from './arbitraries.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('flowKey vectors (worked by hand)', () => {
  it('IPv4 TCP 10.77.0.1:40000 → 10.77.0.50:80', () => {
    const bytes = flowKey.encode({
      family: 4,
      protocol: 6,
      source: Ipv4Address.parse('10.77.0.1'),
      destination: Ipv4Address.parse('10.77.0.50'),
      sourcePort: 40000,
      destinationPort: 80,
    });
    expect(bytes.length).toBe(FLOW_KEY_LENGTH);
    expect(hex(bytes)).toBe(
      // family proto | source + 12 zero bytes             | destination + 12 zero bytes          | 40000 | 80
      `0406${'0a4d0001'}${'00'.repeat(12)}${'0a4d0032'}${'00'.repeat(12)}9c400050`,
    );
  });

  it('IPv6 UDP [2001:db8::1]:53 → [2001:db8::2]:5353', () => {
    const bytes = flowKey.encode({
      family: 6,
      protocol: 17,
      source: Ipv6Address.parse('2001:db8::1'),
      destination: Ipv6Address.parse('2001:db8::2'),
      sourcePort: 53,
      destinationPort: 5353,
    });
    expect(hex(bytes)).toBe(`0611${'20010db8'}${'00'.repeat(11)}01${'20010db8'}${'00'.repeat(11)}02003514e9`);
  });
});

describe('flowKey codec', () => {
  it('decode(encode(k)) is k, at offset 0 and inside a larger buffer', () => {
    fc.assert(
      fc.property(flowKeys, (k) => {
        expect(flowKey.decode(flowKey.encode(k))).toEqual({ value: k, bytesRead: FLOW_KEY_LENGTH });
        const big = new Uint8Array(60).fill(0xa5);
        const written = flowKey.encode(k, big, 10);
        expect(hex(written)).toBe(hex(flowKey.encode(k)));
        expect(big[9]).toBe(0xa5);
        expect(big[48]).toBe(0xa5);
        expect(flowKey.decode(big, 10).value).toEqual(k);
      }),
    );
  });

  it('random bytes either decode to a key that re-encodes identically or throw a WireError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 40 }), (bytes) => {
        try {
          const { value } = flowKey.decode(bytes);
          expect(hex(flowKey.encode(value))).toBe(hex(bytes.subarray(0, FLOW_KEY_LENGTH)));
        } catch (e) {
          expect(e).toBeInstanceOf(WireError);
        }
      }),
    );
  });

  it('encodingLength is 38', () => expect(flowKey.encodingLength()).toBe(38));

  it('rejects a short key with how many bytes it needs', () => {
    expect(() => flowKey.decode(new Uint8Array(37))).toThrow(TruncatedError);
    try {
      flowKey.decode(new Uint8Array(37));
    } catch (e) {
      expect((e as TruncatedError).needed).toBe(38);
    }
    expect(() => flowKey.decode(new Uint8Array(38), 39)).toThrow(TruncatedError);
  });

  it('rejects an unknown family', () => {
    const b = new Uint8Array(38);
    b[0] = 5;
    expect(() => flowKey.decode(b)).toThrow(MalformedError);
  });

  it('rejects non-zero IPv4 padding (one flow, one byte string)', () => {
    const b = flowKey.encode({
      family: 4,
      protocol: 6,
      source: 1,
      destination: 2,
      sourcePort: 3,
      destinationPort: 4,
    });
    const s = b.slice();
    s[10] = 1;
    expect(() => flowKey.decode(s)).toThrow(/source/);
    const d = b.slice();
    d[30] = 1;
    expect(() => flowKey.decode(d)).toThrow(/destination/);
  });

  it('refuses values it cannot encode', () => {
    const ok: FlowKey = {
      family: 4,
      protocol: 6,
      source: 1,
      destination: 2,
      sourcePort: 3,
      destinationPort: 4,
    };
    const bad: unknown[] = [
      { ...ok, protocol: 256 },
      { ...ok, sourcePort: 65536 },
      { ...ok, destinationPort: -1 },
      { ...ok, source: 2 ** 32 },
      { ...ok, destination: 1.5 },
      { ...ok, family: 5 },
      { ...ok, family: 6, source: 1 },
      { ...ok, family: 6, source: 0n, destination: 1n << 128n },
    ];
    for (const k of bad) expect(() => flowKey.encode(k as FlowKey)).toThrow(InvalidArgumentError);
    expect(() => flowKey.encode(ok, new Uint8Array(40), 3)).toThrow(InvalidArgumentError);
    expect(() => flowKey.decode(new Uint8Array(40), -1)).toThrow(InvalidArgumentError);
  });
});
