import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeFrame,
  ethernet,
  FrameDecoder,
  finishChecksum,
  foldSum,
  Ipv4Address,
  Ipv6Address,
  internetChecksum,
  ipv4,
  Layer,
  pseudoHeaderSum,
  pseudoHeaderSumV4,
  pseudoHeaderSumV6,
  sumWords,
  tcp,
  udp,
  updateChecksum16,
  updateChecksum32,
} from '../src/index.js';
import { u16, u32 } from './arbitraries.js';
import { hex } from './helpers.js';

describe('RFC 1071 checksum', () => {
  it('matches the worked example of RFC 1071 §3 (sum ddf2, checksum 220d)', () => {
    const bytes = hex('0001 f203 f4f5 f6f7');
    expect(foldSum(sumWords(bytes))).toBe(0xddf2);
    expect(internetChecksum(bytes)).toBe(0x220d);
  });

  it('pads an odd trailing byte with zero', () => {
    expect(sumWords(hex('0102 03'))).toBe(0x0102 + 0x0300);
  });

  it('verifies to zero when the checksum is included', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 2, maxLength: 200 }), (b) => {
        const data = b.length % 2 === 0 ? b : b.subarray(0, b.length - 1);
        const withSum = new Uint8Array(data.length + 2);
        withSum.set(data);
        const c = internetChecksum(withSum);
        withSum[data.length] = c >> 8;
        withSum[data.length + 1] = c & 0xff;
        expect(internetChecksum(withSum)).toBe(0);
      }),
    );
  });

  it('folds sums far beyond 16 bits (a 64 KiB GSO frame)', () => {
    const big = new Uint8Array(65_534).fill(0xff);
    expect(foldSum(sumWords(big))).toBe(0xffff);
    expect(foldSum(sumWords(big, 0, 65_533))).toBe(0xff00); // odd length: the last byte is padded
    expect(finishChecksum(0x1_fffe)).toBe(0);
  });

  it('computes pseudo-header sums (RFC 793 §3.1 and RFC 8200 §8.1)', () => {
    expect(pseudoHeaderSumV4(0x0a000001, 0x0a000002, 6, 20)).toBe(0x0a00 + 0x0001 + 0x0a00 + 0x0002 + 6 + 20);
    const src = Ipv6Address.toBytes(Ipv6Address.parse('fe80::1'));
    const dst = Ipv6Address.toBytes(Ipv6Address.parse('ff02::1:ff00:2'));
    const expected = 0xfe80 + 1 + 0xff02 + 1 + 0xff00 + 2 + 58 + 70_000 - 0x10000 + 1;
    expect(pseudoHeaderSumV6(src, 0, dst, 0, 58, 70_000)).toBe(expected);
    expect(
      pseudoHeaderSum(
        {
          version: 6,
          source: Ipv6Address.parse('fe80::1'),
          destination: Ipv6Address.parse('ff02::1:ff00:2'),
        },
        58,
        70_000,
      ),
    ).toBe(expected);
  });
});

describe('RFC 1624 incremental update', () => {
  it('equals a full recomputation for any 16-bit change (eqn. 3, including the -0 case)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 8, maxLength: 64 }), fc.nat(), u16, (b, at, value) => {
        const data = b.subarray(0, b.length & ~1);
        const i = (at % (data.length / 2)) * 2;
        const before = internetChecksum(data);
        const old = (data[i]! << 8) | data[i + 1]!;
        data[i] = value >> 8;
        data[i + 1] = value & 0xff;
        const full = internetChecksum(data);
        const incremental = updateChecksum16(before, old, value);
        // 0x0000 and 0xffff are the two zeros of one's complement; RFC 1624 §3 explains why eqn. 3 never yields -0 wrongly.
        expect(foldSum(incremental) === full || (incremental ^ full) === 0xffff).toBe(true);
        expect(
          incremental === full ||
            (incremental === 0xffff && full === 0) ||
            (incremental === 0 && full === 0xffff),
        ).toBe(true);
      }),
      { numRuns: 5000 },
    );
  });

  it('equals a full recomputation for any 32-bit change', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 8, maxLength: 64 }), fc.nat(), u32, (b, at, value) => {
        const data = b.subarray(0, b.length & ~3);
        const i = (at % (data.length / 4)) * 4;
        const before = internetChecksum(data);
        const old = Ipv4Address.read(data, i);
        Ipv4Address.write(value, data, i);
        const full = internetChecksum(data);
        const incremental = updateChecksum32(before, old, value);
        expect(incremental === full || (incremental ^ full) === 0xffff).toBe(true);
      }),
      { numRuns: 5000 },
    );
  });
});

describe('rewriting fields in place keeps checksums valid', () => {
  const source = Ipv4Address.parse('10.1.0.1');
  const destination = Ipv4Address.parse('10.1.0.50');
  const build = (protocol: 6 | 17) => {
    const pseudo = { version: 4 as const, source, destination };
    const payload = Uint8Array.from({ length: 33 }, (_, i) => i * 7);
    const l4 =
      protocol === 6
        ? tcp.encode(
            {
              sourcePort: 51000,
              destinationPort: 80,
              seq: 0xfffffff0,
              ack: 42,
              flags: 0x18,
              window: 502,
              urgentPointer: 0,
              options: [{ kind: 8, tsval: 9, tsecr: 8 }],
              payload,
            },
            undefined,
            0,
            { pseudo },
          )
        : udp.encode({ sourcePort: 5353, destinationPort: 53, payload }, undefined, 0, { pseudo });
    const ip = ipv4.encode({
      dscp: 0,
      ecn: 0,
      identification: 1,
      dontFragment: true,
      moreFragments: false,
      fragmentOffset: 0,
      ttl: 64,
      protocol,
      source,
      destination,
      options: new Uint8Array(0),
      payload: l4,
    });
    return ethernet.encode({
      destination: 0x02535900_0001,
      source: 0x020000000001,
      tags: [],
      etherType: 0x0800,
      payload: ip,
    });
  };

  it('TCP: addresses, ports, seq, ack, window and TTL (RFC 1624)', () => {
    fc.assert(
      fc.property(
        u32,
        u32,
        u16,
        u16,
        u32,
        u32,
        u16,
        fc.integer({ min: 1, max: 255 }),
        (src, dst, sp, dp, seq, ack, win, ttl) => {
          const frame = build(6);
          const d = new FrameDecoder();
          expect(decodeFrame(frame, d) & Layer.TCP).toBeTruthy();
          const ip = d.ipv4;
          const t = d.tcp;
          // TCP's checksum covers the pseudo-header: fold the address change into it too.
          t.checksum = updateChecksum32(updateChecksum32(t.checksum, ip.source, src), ip.destination, dst);
          ip.source = src;
          ip.destination = dst;
          ip.ttl = ttl;
          t.sourcePort = sp;
          t.destinationPort = dp;
          t.seq = seq;
          t.ack = ack;
          t.window = win;
          expect(ip.verifyChecksum()).toBe(true);
          expect(t.verifyChecksum(ip.pseudoHeaderSum())).toBe(true);
          expect([
            ip.source,
            ip.destination,
            ip.ttl,
            t.sourcePort,
            t.destinationPort,
            t.seq,
            t.ack,
            t.window,
          ]).toEqual([src, dst, ttl, sp, dp, seq, ack, win]);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('UDP: ports; a zero checksum (none, over IPv4) stays zero', () => {
    const frame = build(17);
    const d = new FrameDecoder();
    decodeFrame(frame, d);
    d.udp.sourcePort = 1;
    d.udp.destinationPort = 65535;
    expect(d.udp.verifyChecksum(d.ipv4.pseudoHeaderSum(), 4)).toBe(true);
    d.udp.checksum = 0;
    d.udp.destinationPort = 7;
    expect(d.udp.checksum).toBe(0);
    expect(d.udp.verifyChecksum(d.ipv4.pseudoHeaderSum(), 4)).toBe(true);
    expect(d.udp.verifyChecksum(d.ipv4.pseudoHeaderSum(), 6)).toBe(false);
    d.udp.fillChecksum(d.ipv4.pseudoHeaderSum());
    expect(d.udp.checksum).not.toBe(0);
    expect(d.udp.verifyChecksum(d.ipv4.pseudoHeaderSum())).toBe(true);
  });

  it('fillChecksum repairs a partial (CHECKSUM_PARTIAL) TCP checksum', () => {
    const frame = build(6);
    const d = new FrameDecoder();
    decodeFrame(frame, d);
    d.tcp.checksum = 0x1234;
    expect(d.tcp.verifyChecksum(d.ipv4.pseudoHeaderSum())).toBe(false);
    d.tcp.fillChecksum(d.ipv4.pseudoHeaderSum());
    expect(d.tcp.verifyChecksum(d.ipv4.pseudoHeaderSum())).toBe(true);
    d.ipv4.checksum = 0;
    d.ipv4.fillChecksum();
    expect(d.ipv4.verifyChecksum()).toBe(true);
  });
});
