/**
 * Property tests (STYLE.md): random bytes either decode or throw a WireError and nothing
 * else; encode→decode is the identity on random reprs; re-encoding is byte-identical;
 * encoding at an offset inside a larger buffer works.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ArpPacket,
  arp,
  decodeFrame,
  EthernetFrame,
  ethernet,
  FrameDecoder,
  Icmpv4Message,
  Icmpv6Message,
  Ipv4Packet,
  Ipv6Packet,
  icmpv4,
  icmpv6,
  ipv4,
  ipv6,
  type PseudoHeader,
  readPcap,
  Status,
  summarizeFrame,
  TcpSegment,
  tcp,
  UdpDatagram,
  udp,
  WireError,
} from '../src/index.js';
import {
  arpRepr,
  ethernetRepr,
  icmpv4Repr,
  icmpv6Repr,
  ipv4Addr,
  ipv4Repr,
  ipv6Addr,
  ipv6Repr,
  tcpRepr,
  udpRepr,
} from './arbitraries.js';
import { checkRoundTrip, withoutChecksum } from './helpers.js';

const RUNS = { numRuns: 2000, seed: 20261121 };

/** Runs `fn` and passes if it returns or throws a WireError; any other throw fails. */
function decodesOrWireError(fn: () => unknown): void {
  try {
    fn();
  } catch (err) {
    if (!(err instanceof WireError)) throw err;
    expect(err.code).toMatch(/^ERR_WIRE_/);
  }
}

describe('random bytes decode or throw a WireError', () => {
  const decoders: Array<[string, (b: Uint8Array) => unknown]> = [
    ['ethernet', (b) => ethernet.decode(b)],
    ['arp', (b) => arp.decode(b)],
    ['ipv4', (b) => ipv4.decode(b)],
    ['ipv6', (b) => ipv6.decode(b)],
    ['tcp', (b) => tcp.decode(b)],
    ['udp', (b) => udp.decode(b)],
    ['icmpv4', (b) => icmpv4.decode(b)],
    ['icmpv6', (b) => icmpv6.decode(b)],
    ['pcap', (b) => readPcap(b)],
  ];
  for (const [name, decode] of decoders) {
    it(name, () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 120 }), (b) => decodesOrWireError(() => decode(b))),
        RUNS,
      );
    });
  }

  it('views: getters never throw after a successful check', () => {
    const views = [
      new EthernetFrame(),
      new ArpPacket(),
      new Ipv4Packet(),
      new Ipv6Packet(),
      new TcpSegment(),
      new UdpDatagram(),
      new Icmpv4Message(),
      new Icmpv6Message(),
    ];
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 120 }), (b) => {
        for (const v of views) {
          if (v.check(b) !== Status.OK) {
            expect(v.error()).toBeInstanceOf(WireError);
            continue;
          }
          // Read every getter declared on the view's prototype chain.
          for (
            let proto = Object.getPrototypeOf(v);
            proto !== Object.prototype;
            proto = Object.getPrototypeOf(proto)
          ) {
            for (const [key, desc] of Object.entries(Object.getOwnPropertyDescriptors(proto))) {
              if (desc.get !== undefined) void (v as unknown as Record<string, unknown>)[key];
            }
          }
        }
      }),
      RUNS,
    );
  });

  it('decodeFrame never throws, and every failure builds a WireError', () => {
    const d = new FrameDecoder();
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 200 }),
        fc.constantFrom(0x0800, 0x86dd, 0x0806, 0x8100),
        (b, type) => {
          // Steer a share of inputs past the Ethernet layer so the deeper decoders see them.
          if (b.length >= 14 && b[0]! % 2 === 0) {
            b[12] = type >> 8;
            b[13] = type & 0xff;
            if (type === 0x0800 && b.length > 14) b[14] = 0x45;
            if (type === 0x86dd && b.length > 14) b[14] = 0x60;
          }
          decodeFrame(b, d);
          if (d.status !== Status.OK) expect(d.error()).toBeInstanceOf(WireError);
          expect(typeof summarizeFrame(d)).toBe('string');
        },
      ),
      RUNS,
    );
  });
});

const pseudo4 = fc.record({ version: fc.constant(4 as const), source: ipv4Addr, destination: ipv4Addr });
const pseudo6 = fc.record({ version: fc.constant(6 as const), source: ipv6Addr, destination: ipv6Addr });
const pseudoAny: fc.Arbitrary<PseudoHeader> = fc.oneof(pseudo4, pseudo6);

/** Binds a codec's extra options (the pseudo-header) so it fits `checkRoundTrip`. */
function withPseudo<T>(
  codec: {
    encodingLength(v: T): number;
    encode(
      v: T,
      b?: Uint8Array,
      o?: number,
      opts?: { pseudo?: PseudoHeader; computeChecksums?: boolean },
    ): Uint8Array;
    decode(
      b: Uint8Array,
      o?: number,
      e?: number,
      opts?: { pseudo?: PseudoHeader },
    ): { value: T; bytesRead: number };
  },
  pseudo: PseudoHeader,
) {
  return {
    encodingLength: (v: T) => codec.encodingLength(v),
    encode: (v: T, b?: Uint8Array, o?: number) => codec.encode(v, b, o, { pseudo }),
    decode: (b: Uint8Array, o?: number, e?: number) => codec.decode(b, o, e, { pseudo }),
  };
}

describe('encode→decode is the identity on random reprs, at any offset', () => {
  it('ethernet', () =>
    fc.assert(
      fc.property(ethernetRepr, (r) => void checkRoundTrip(ethernet, r)),
      RUNS,
    ));
  it('arp', () =>
    fc.assert(
      fc.property(arpRepr, (r) => void checkRoundTrip(arp, r)),
      RUNS,
    ));
  it('ipv4', () =>
    fc.assert(
      fc.property(ipv4Repr, (r) => void checkRoundTrip(ipv4, r, withoutChecksum)),
      RUNS,
    ));
  it('ipv6', () =>
    fc.assert(
      fc.property(ipv6Repr, (r) => void checkRoundTrip(ipv6, r)),
      RUNS,
    ));
  it('tcp (IPv4 and IPv6 pseudo-headers)', () =>
    fc.assert(
      fc.property(tcpRepr, pseudoAny, (r, p) => void checkRoundTrip(withPseudo(tcp, p), r, withoutChecksum)),
      RUNS,
    ));
  it('udp (IPv4 and IPv6 pseudo-headers)', () =>
    fc.assert(
      fc.property(udpRepr, pseudoAny, (r, p) => void checkRoundTrip(withPseudo(udp, p), r, withoutChecksum)),
      RUNS,
    ));
  it('icmpv4', () =>
    fc.assert(
      fc.property(icmpv4Repr, (r) => void checkRoundTrip(icmpv4, r, withoutChecksum)),
      RUNS,
    ));
  it('icmpv6', () =>
    fc.assert(
      fc.property(
        icmpv6Repr,
        pseudo6,
        (r, p) => void checkRoundTrip(withPseudo(icmpv6, p), r, withoutChecksum),
      ),
      RUNS,
    ));

  it('computeChecksums: false emits exactly the checksum it was given', () => {
    fc.assert(
      fc.property(tcpRepr, fc.integer({ min: 0, max: 0xffff }), (r, checksum) => {
        const bytes = tcp.encode({ ...r, checksum }, undefined, 0, { computeChecksums: false });
        expect(tcp.decode(bytes, 0, bytes.length, { verifyChecksums: false }).value.checksum).toBe(checksum);
      }),
      RUNS,
    );
  });
});
