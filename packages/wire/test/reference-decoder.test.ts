/**
 * decodeFrame validates common layouts inline for speed. This keeps it honest: a small,
 * independent reference decoder built only from each view's own `check` must reach the
 * same layers, status, failed layer and view positions on valid, mutated and cut frames.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ArpPacket,
  decodeFrame,
  EthernetFrame,
  ethernet,
  FrameDecoder,
  Icmpv4Message,
  Icmpv6Message,
  Ipv4Packet,
  Ipv6Packet,
  ipv4,
  ipv6,
  Layer,
  Status,
  TcpSegment,
  tcp,
  UdpDatagram,
  udp,
  type View,
} from '../src/index.js';
import {
  ethernetRepr,
  icmpv4Repr,
  icmpv6Repr,
  ipv4Repr,
  ipv6Repr,
  tcpRepr,
  udpRepr,
  vlanTag,
} from './arbitraries.js';
import { CLIENT, CLIENT6, eth, icmp4, icmp6, ip4, ip6, VIP, VIP6 } from './build.js';
import { vectors } from './fixtures/vectors.js';

interface Outcome {
  layers: number;
  status: number;
  failedLayer: number;
  transportProtocol: number;
  /** [offset, length] of every decoded layer's view. */
  spans: Record<string, [number, number]>;
}

const views = {
  ethernet: new EthernetFrame(),
  arp: new ArpPacket(),
  ipv4: new Ipv4Packet(),
  ipv6: new Ipv6Packet(),
  tcp: new TcpSegment(),
  udp: new UdpDatagram(),
  icmpv4: new Icmpv4Message(),
  icmpv6: new Icmpv6Message(),
};

/** The reference: layer by layer through `check`, nothing inlined. */
function reference(bytes: Uint8Array): Outcome {
  const o: Outcome = { layers: 0, status: Status.OK, failedLayer: 0, transportProtocol: -1, spans: {} };
  const step = (
    name: keyof typeof views,
    bit: number,
    view: View,
    offset: number,
    length: number,
  ): boolean => {
    const status = view.check(bytes, offset, length);
    if (status !== Status.OK) {
      o.status = status;
      o.failedLayer = bit;
      return false;
    }
    o.layers |= bit;
    o.spans[name] = [view.offset, view.length];
    return true;
  };
  const e = views.ethernet;
  if (!step('ethernet', Layer.ETHERNET, e, 0, bytes.length)) return o;
  if (e.tagCount > 0) o.layers |= Layer.VLAN;
  const start = e.headerLength;
  const rest = bytes.length - start;
  let l4: [number, number];
  if (e.etherType === 0x0800) {
    const ip = views.ipv4;
    if (!step('ipv4', Layer.IPV4, ip, start, rest)) return o;
    o.transportProtocol = ip.protocol;
    if (ip.isFragment) {
      o.layers |= Layer.FRAGMENT;
      if (ip.fragmentOffset !== 0) return o;
    }
    l4 = [ip.payloadOffset, ip.payloadLength];
  } else if (e.etherType === 0x86dd) {
    const ip = views.ipv6;
    if (!step('ipv6', Layer.IPV6, ip, start, rest)) return o;
    o.transportProtocol = ip.upperLayerProtocol;
    if (ip.isFragment) {
      o.layers |= Layer.FRAGMENT;
      if (ip.fragmentOffset !== 0) return o;
    }
    l4 = [ip.upperLayerOffset, ip.upperLayerLength];
  } else if (e.etherType === 0x0806) {
    step('arp', Layer.ARP, views.arp, start, rest);
    return o;
  } else {
    return o;
  }
  const p = o.transportProtocol;
  const v4 = (o.layers & Layer.IPV4) !== 0;
  const target: [keyof typeof views, number] | undefined =
    p === 6
      ? ['tcp', Layer.TCP]
      : p === 17
        ? ['udp', Layer.UDP]
        : p === 1 && v4
          ? ['icmpv4', Layer.ICMPV4]
          : p === 58 && !v4
            ? ['icmpv6', Layer.ICMPV6]
            : undefined;
  if (target === undefined) return o;
  const [name, bit] = target;
  const saved = { ...o, spans: { ...o.spans } };
  if (!step(name, bit, views[name], l4[0], l4[1]) && (o.layers & Layer.FRAGMENT) !== 0) return saved; // a cut first fragment stops at IP
  return o;
}

const d = new FrameDecoder();
function actual(bytes: Uint8Array): Outcome {
  decodeFrame(bytes, d);
  const o: Outcome = {
    layers: d.layers,
    status: d.status,
    failedLayer: d.failedLayer,
    transportProtocol: d.transportProtocol,
    spans: {},
  };
  const named: Array<[keyof typeof views, number]> = [
    ['ethernet', Layer.ETHERNET],
    ['arp', Layer.ARP],
    ['ipv4', Layer.IPV4],
    ['ipv6', Layer.IPV6],
    ['tcp', Layer.TCP],
    ['udp', Layer.UDP],
    ['icmpv4', Layer.ICMPV4],
    ['icmpv6', Layer.ICMPV6],
  ];
  for (const [name, bit] of named) if (d.has(bit)) o.spans[name] = [d[name].offset, d[name].length];
  if (d.has(Layer.TCP)) expect(d.tcp.headerLength).toBe((d.tcp.bytes[d.tcp.offset + 12]! >> 4) * 4);
  if (d.has(Layer.IPV4)) expect(d.ipv4.headerLength).toBe((d.ipv4.bytes[d.ipv4.offset]! & 15) * 4);
  return o;
}

/** Valid frames of every kind the fast paths and slow paths see. */
const validFrame: fc.Arbitrary<Uint8Array> = fc.oneof(
  fc.tuple(tcpRepr, ipv4Repr, fc.array(vlanTag, { maxLength: 2 })).map(([t, i, tags]) =>
    eth(
      0x0800,
      ipv4.encode({
        ...i,
        protocol: 6,
        moreFragments: false,
        fragmentOffset: 0,
        payload: tcp.encode(t, undefined, 0, {
          pseudo: { version: 4, source: i.source, destination: i.destination },
        }),
      }),
      tags,
    ),
  ),
  fc.tuple(udpRepr, ipv6Repr).map(([u, i]) =>
    eth(
      0x86dd,
      ipv6.encode({
        ...i,
        protocol: 17,
        payload: udp.encode(u, undefined, 0, {
          pseudo: { version: 6, source: i.source, destination: i.destination },
        }),
      }),
    ),
  ),
  fc.tuple(tcpRepr, ipv6Repr).map(([t, i]) =>
    eth(
      0x86dd,
      ipv6.encode({
        ...i,
        protocol: 6,
        payload: tcp.encode(t, undefined, 0, {
          pseudo: { version: 6, source: i.source, destination: i.destination },
        }),
      }),
    ),
  ),
  icmpv4Repr.map((m) => eth(0x0800, ip4(1, icmp4(m)))),
  icmpv6Repr.map((m) => eth(0x86dd, ip6(58, icmp6(m)))),
  fc
    .tuple(udpRepr, fc.array(vlanTag, { maxLength: 3 }))
    .map(([u, tags]) =>
      eth(
        0x0800,
        ip4(17, udp.encode(u, undefined, 0, { pseudo: { version: 4, source: CLIENT, destination: VIP } })),
        tags,
      ),
    ),
  ethernetRepr.map((e) => ethernet.encode(e)),
  fc.constantFrom(...Object.values(vectors)),
);

/** A valid frame cut short, with bytes overwritten, or padded. */
const mutatedFrame: fc.Arbitrary<Uint8Array> = fc
  .tuple(
    validFrame,
    fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }),
    fc.nat(),
    fc.boolean(),
    fc.nat({ max: 40 }),
  )
  .map(([frame, edits, cutAt, cut, pad]) => {
    const out = new Uint8Array(frame.length + pad);
    out.set(frame);
    for (const [at, value] of edits) out[at % out.length] = value;
    return cut ? out.subarray(0, cutAt % (out.length + 1)) : out;
  });

describe('decodeFrame agrees with the reference decoder', () => {
  it('on valid frames (fast paths and slow paths)', () => {
    fc.assert(
      fc.property(validFrame, (f) => {
        expect(actual(f)).toEqual(reference(f));
      }),
      { numRuns: 3000, seed: 7 },
    );
  });
  it('on mutated, cut and padded frames', () => {
    fc.assert(
      fc.property(mutatedFrame, (f) => {
        expect(actual(f)).toEqual(reference(f));
      }),
      { numRuns: 10_000, seed: 8 },
    );
  });
  it('on every real capture', () => {
    for (const f of Object.values(vectors)) expect(actual(f)).toEqual(reference(f));
  });
  it('uses the IPv6 fast path only for the documented layouts', () => {
    const f = eth(
      0x86dd,
      ip6(
        17,
        udp.encode({ sourcePort: 1, destinationPort: 2, payload: new Uint8Array(3) }, undefined, 0, {
          pseudo: { version: 6, source: CLIENT6, destination: VIP6 },
        }),
      ),
    );
    expect(actual(f)).toEqual(reference(f));
    expect(d.ipv6.extensionHeaderCount).toBe(0);
  });
});
