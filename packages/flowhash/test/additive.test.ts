import { InvalidArgumentError, Ipv4Address, Ipv6Address } from '@switchyard/wire';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { additive3, additive3Sum, additive5, additive5Sum, FlowKey, Protocol } from '../src/index.js';
import { additiveRef } from './reference.js';

const v4 = Ipv4Address.parse;

describe('additive3 = (SRC_IP + DST_IP + DST_PORT) % N', () => {
  it('worked by hand: 10.0.0.1 → 10.0.0.2:80', () => {
    // 10.0.0.1 = 10 x 2^24 + 1 = 167772161; 10.0.0.2 = 167772162
    // 167772161 + 167772162 + 80 = 335544403
    // 335544403 % 3: digit sum 31, 31 % 3 = 1  → 1
    // 335544403 % 2: odd                        → 1
    // 335544403 % 5: ends in 3                  → 3
    const key = FlowKey.ipv4(v4('10.0.0.1'), v4('10.0.0.2'), 40000, 80, Protocol.TCP);
    expect(additive3Sum(key)).toBe(335544403);
    expect(additive3(key, 3)).toBe(1);
    expect(additive3(key, 2)).toBe(1);
    expect(additive3(key, 5)).toBe(3);
    expect(additive3(key, 1)).toBe(0);
  });

  it('sums without overflow: 255.255.255.255 + 255.255.255.254 + 65535 is not wrapped to 32 bits', () => {
    // 4294967295 + 4294967294 + 65535 = 8590000124 (> 2^32 = 4294967296)
    // 8590000124 % 7 = 6   (8590000124 = 7 x 1227142874 + 6)
    // A 32-bit wrapping sum would give 8590000124 - 2 x 2^32 = 65532, and 65532 % 7 = 5: a different owner.
    const key = FlowKey.ipv4(v4('255.255.255.255'), v4('255.255.255.254'), 1, 65535, Protocol.UDP);
    expect(additive3Sum(key)).toBe(8590000124);
    expect(additive3(key, 7)).toBe(6);
  });

  it('ignores the source port and the protocol (one client host → one owner per service)', () => {
    const a = FlowKey.ipv4(v4('10.0.0.1'), v4('10.0.0.2'), 40000, 80, Protocol.TCP);
    const b = FlowKey.ipv4(v4('10.0.0.1'), v4('10.0.0.2'), 51234, 80, Protocol.UDP);
    expect(additive3(a, 7)).toBe(additive3(b, 7));
  });

  it('/24-strided clients all land on one owner when N divides 256', () => {
    // 10.1.0.5 + 256 x i: the stride 256 is 0 mod 8, so every client has the same sum mod 8.
    // (167837701 + 256 i + 167772260 + 443) % 8 = (335610404 + 256 i) % 8 = 4 for every i.
    const owners = new Set<number>();
    for (let i = 0; i < 200; i++) {
      owners.add(additive3(FlowKey.ipv4(v4('10.1.0.5') + 256 * i, v4('10.0.0.100'), 40000 + i, 443, 6), 8));
    }
    expect([...owners]).toEqual([4]);
  });
});

describe('additive5 = (SRC_IP + SRC_PORT + DST_IP + DST_PORT + PROTOCOL) % N', () => {
  it('worked by hand: 10.0.0.1:40000 → 10.0.0.2:80 TCP', () => {
    // 167772161 + 40000 + 167772162 + 80 + 6 = 335584409
    // 335584409 % 4: last two digits 09 → 1
    // 335584409 % 3: digit sum 41, 41 % 3 = 2 → 2
    const key = FlowKey.ipv4(v4('10.0.0.1'), v4('10.0.0.2'), 40000, 80, Protocol.TCP);
    expect(additive5Sum(key)).toBe(335584409);
    expect(additive5(key, 4)).toBe(1);
    expect(additive5(key, 3)).toBe(2);
  });

  it('the largest IPv4 sum is exact: 2 x (2^32 - 1) + 2 x 65535 + 255', () => {
    // 8589934590 + 131070 + 255 = 8590065915; % 1000 = 915
    const key = FlowKey.ipv4(0xffff_ffff, 0xffff_ffff, 65535, 65535, 255);
    expect(additive5Sum(key)).toBe(8590065915);
    expect(additive5(key, 1000)).toBe(915);
  });
});

describe('IPv6 extension: an address counts as the exact sum of its four 32-bit words', () => {
  it('worked by hand: [2001:db8::1]:40000 → [2001:db8::2]:443 TCP', () => {
    // 2001:db8::1 = words 0x20010db8, 0, 0, 0x00000001 → 536939960 + 1 = 536939961
    // 2001:db8::2 → 536939960 + 2 = 536939962
    // additive3: 536939961 + 536939962 + 443 = 1073880366;  % 5 → 1
    // additive5: 1073880366 + 40000 + 6 = 1073920372;        % 5 → 2
    const key = FlowKey.ipv6(
      Ipv6Address.parse('2001:db8::1'),
      Ipv6Address.parse('2001:db8::2'),
      40000,
      443,
      6,
    );
    expect(additive3Sum(key)).toBe(1073880366);
    expect(additive3(key, 5)).toBe(1);
    expect(additive5Sum(key)).toBe(1073920372);
    expect(additive5(key, 5)).toBe(2);
  });

  it('the largest IPv6 sum is exact: 8 x (2^32 - 1) + 2 x 65535 + 255 = 34359869685 < 2^36', () => {
    const all = (1n << 128n) - 1n;
    const key = FlowKey.ipv6(all, all, 65535, 65535, 255);
    expect(additive5Sum(key)).toBe(34359869685);
    expect(additive5(key, 1_000_003)).toBe(Number(34359869685n % 1_000_003n));
  });
});

describe('equal to an independent BigInt reference on random inputs', () => {
  const port = fc.integer({ min: 0, max: 0xffff });
  const proto = fc.integer({ min: 0, max: 255 });
  const n = fc.integer({ min: 1, max: 0xffff_ffff });

  it('IPv4', () => {
    const u32 = fc.integer({ min: 0, max: 0xffff_ffff });
    fc.assert(
      fc.property(u32, u32, port, port, proto, n, (s, d, sp, dp, p, members) => {
        const key = FlowKey.ipv4(s, d, sp, dp, p);
        // The reference sums words of a 128-bit value; an IPv4 address is its own single word.
        return (
          additive3(key, members) === additiveRef(BigInt(s), BigInt(d), sp, dp, p, members, false) &&
          additive5(key, members) === additiveRef(BigInt(s), BigInt(d), sp, dp, p, members, true)
        );
      }),
      { numRuns: 2000 },
    );
  });

  it('IPv6', () => {
    const u128 = fc.bigInt({ min: 0n, max: (1n << 128n) - 1n });
    fc.assert(
      fc.property(u128, u128, port, port, proto, n, (s, d, sp, dp, p, members) => {
        const key = FlowKey.ipv6(s, d, sp, dp, p);
        return (
          additive3(key, members) === additiveRef(s, d, sp, dp, p, members, false) &&
          additive5(key, members) === additiveRef(s, d, sp, dp, p, members, true)
        );
      }),
      { numRuns: 2000 },
    );
  });
});

it('rejects member counts that are not integers in [1, 2^32 - 1]', () => {
  const key = FlowKey.ipv4(1, 2, 3, 4, 6);
  for (const bad of [0, -1, 2.5, 2 ** 32, Number.NaN]) {
    expect(() => additive3(key, bad)).toThrow(InvalidArgumentError);
    expect(() => additive5(key, bad)).toThrow(InvalidArgumentError);
  }
});
