/**
 * Random frame specs for the tshark oracle: fast-check arbitraries of structured
 * descriptions (options and extension headers as lists, not bytes), the builder that turns
 * a spec into bytes with our encoders (what tshark should print for it is in tshark-fields.ts).
 */
import { inspect, isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import {
  type ArpEthernetIpv4Repr,
  arp,
  EtherType,
  ethernet,
  type Icmpv4Repr,
  type Icmpv6Repr,
  IpProtocol,
  Ipv6Address,
  icmpv4,
  icmpv6,
  ipv4,
  ipv6,
  ipv6Fragment,
  MacAddress,
  type NdpOption,
  type PseudoHeader,
  type TcpOption,
  type TcpRepr,
  tcp,
  tcpOptionsLength,
  udp,
  type VlanTag,
} from '../../src/index.js';
import type { Decomposed } from './roundtrip.js';

// ---------------------------------------------------------------------------------------------
// Specs
// ---------------------------------------------------------------------------------------------

export type Ipv4Opt =
  | { type: 0 }
  | { type: 1 }
  /** Record route (RFC 791): `pointer` is 4 + 4k. */
  | { type: 7; pointer: number; addresses: number[] }
  /** Timestamp (RFC 791): flag 0 holds timestamps, 1 and 3 address/timestamp pairs. */
  | { type: 68; pointer: number; overflow: number; flag: 0 | 1 | 3; words: number[] }
  /** Router alert (RFC 2113). */
  | { type: 148; value: number };

export type Ipv6Opt =
  | { kind: 'pad1' }
  /** PadN with `n` zero bytes. */
  | { kind: 'padn'; n: number }
  /** Router alert (RFC 2711), hop-by-hop only. */
  | { kind: 'router-alert'; value: number }
  /** RFC 4727 experimental option types. */
  | { kind: 'experimental'; type: number; data: Uint8Array };

export type Ipv6Ext =
  | { kind: 'hbh' | 'dst'; options: Ipv6Opt[] }
  /** `data` is everything after routing type and segments left. */
  | { kind: 'routing'; routingType: number; segmentsLeft: number; data: Uint8Array }
  | { kind: 'fragment'; fragmentOffset: number; moreFragments: boolean; identification: number };

export type L4 =
  | { kind: 'tcp'; repr: TcpRepr }
  /** `zeroChecksum`: IPv4 only, "no checksum" (RFC 768). */
  | { kind: 'udp'; sourcePort: number; destinationPort: number; payload: Uint8Array; zeroChecksum: boolean }
  | { kind: 'icmpv4'; repr: Icmpv4Repr }
  /** Destination unreachable quoting a whole (small) datagram. */
  | { kind: 'icmpv4-unreachable'; code: number; nextHopMtu: number; inner: Ipv4Spec }
  | { kind: 'icmpv6'; repr: Icmpv6Repr }
  /** Fragment contents tshark does not dissect. */
  | { kind: 'raw'; protocol: number; data: Uint8Array };

export interface Ipv4Spec {
  dscp: number;
  ecn: number;
  identification: number;
  reservedFlag: boolean;
  dontFragment: boolean;
  moreFragments: boolean;
  fragmentOffset: number;
  ttl: number;
  source: number;
  destination: number;
  options: Ipv4Opt[];
  l4: L4;
}

export interface Ipv6Spec {
  trafficClass: number;
  flowLabel: number;
  hopLimit: number;
  source: bigint;
  destination: bigint;
  ext: Ipv6Ext[];
  l4: L4;
}

export type NetSpec =
  | { kind: 'arp'; arp: ArpEthernetIpv4Repr }
  | { kind: 'ipv4'; ip: Ipv4Spec }
  | { kind: 'ipv6'; ip: Ipv6Spec };

export interface FrameSpec {
  destination: number;
  source: number;
  tags: VlanTag[];
  net: NetSpec;
}

// ---------------------------------------------------------------------------------------------
// Arbitraries
// ---------------------------------------------------------------------------------------------

const u8 = fc.nat(0xff);
const u16 = fc.nat(0xffff);
const u32 = fc.tuple(u16, u16).map(([hi, lo]) => hi * 0x10000 + lo);
const bytes = (maxLength: number, minLength = 0) => fc.uint8Array({ minLength, maxLength });
const mac = fc.tuple(fc.nat(0xffffff), fc.nat(0xffffff)).map(([hi, lo]) => hi * 0x100_0000 + lo);
/** IEEE 802.3 §3.2.3(b): a source address is never a group address. */
const unicastMac = mac.map((m) => (MacAddress.isMulticast(m) ? m - 2 ** 40 : m));
/** Mostly random words with many zeros (so `::` compression gets exercised), sometimes IPv4-mapped. */
const ipv6Address = fc
  .oneof(
    { weight: 5, arbitrary: fc.array(fc.oneof(fc.constant(0), u16), { minLength: 8, maxLength: 8 }) },
    { weight: 1, arbitrary: u32.map((v4) => [0, 0, 0, 0, 0, 0xffff, Math.floor(v4 / 0x10000), v4 & 0xffff]) },
  )
  .map((words) => words.reduce((a, w) => (a << 16n) | BigInt(w), 0n));

const vlanTag = (tpid: number) =>
  fc.record({ tpid: fc.constant(tpid), pcp: fc.nat(7), dei: fc.boolean(), vid: fc.nat(4095) });
const vlanTags: fc.Arbitrary<VlanTag[]> = fc.oneof(
  { weight: 3, arbitrary: fc.constant<VlanTag[]>([]) },
  { weight: 2, arbitrary: fc.constantFrom(0x8100, 0x88a8, 0x9100).chain((t) => vlanTag(t).map((x) => [x])) },
  {
    weight: 2,
    arbitrary: fc
      .tuple(fc.constantFrom(0x88a8, 0x9100).chain(vlanTag), vlanTag(0x8100))
      .map(([outer, inner]) => [outer, inner]),
  },
);

// IPv4 options (RFC 791 §3.1), each well-formed; the list is cut to the 40 bytes that fit.
const ipv4Opt: fc.Arbitrary<Ipv4Opt> = fc.oneof(
  fc.constant({ type: 1 as const }),
  fc.integer({ min: 1, max: 9 }).chain((n) =>
    fc.record({
      type: fc.constant(7 as const),
      pointer: fc.nat(n).map((k) => 4 + 4 * k),
      addresses: fc.array(u32, { minLength: n, maxLength: n }),
    }),
  ),
  fc.constantFrom(0 as const, 1 as const, 3 as const).chain((flag) => {
    const per = flag === 0 ? 1 : 2;
    return fc.integer({ min: 1, max: flag === 0 ? 9 : 4 }).chain((n) =>
      fc.record({
        type: fc.constant(68 as const),
        pointer: fc.nat(n).map((k) => 5 + 4 * per * k),
        overflow: fc.nat(15),
        flag: fc.constant(flag),
        words: fc.array(u32, { minLength: n * per, maxLength: n * per }),
      }),
    );
  }),
  fc.record({ type: fc.constant(148 as const), value: fc.constant(0) }),
);

export function ipv4OptLength(o: Ipv4Opt): number {
  switch (o.type) {
    case 0:
    case 1:
      return 1;
    case 7:
      return 3 + 4 * o.addresses.length;
    case 68:
      return 4 + 4 * o.words.length;
    case 148:
      return 4;
  }
}

const ipv4Opts: fc.Arbitrary<Ipv4Opt[]> = fc
  .tuple(fc.array(ipv4Opt, { maxLength: 5 }), fc.boolean())
  .map(([list, eol]) => {
    const out: Ipv4Opt[] = [];
    let n = 0;
    for (const o of eol ? [...list, { type: 0 as const }] : list) {
      if (n + ipv4OptLength(o) > 40) break;
      out.push(o);
      n += ipv4OptLength(o);
    }
    return out;
  });

// TCP options (RFC 9293 §3.2, RFC 7323, RFC 2018, RFC 6994), cut to the 40 bytes that fit.
/** Kinds no RFC and no tshark dissector claims. */
const UNKNOWN_TCP_KINDS = [35, 40, 50, 66, 99, 100, 123, 150, 200, 222, 250] as const;
const tcpOpt: fc.Arbitrary<TcpOption> = fc.oneof(
  fc.constant({ kind: 1 as const }),
  u16.map((mss) => ({ kind: 2 as const, mss })),
  fc.nat(14).map((shift) => ({ kind: 3 as const, shift })),
  fc.constant({ kind: 4 as const }),
  fc
    .array(fc.tuple(u32, u32), { minLength: 1, maxLength: 4 })
    .map((blocks) => ({ kind: 5 as const, blocks: blocks as Array<[number, number]> })),
  fc.record({ kind: fc.constant(8 as const), tsval: u32, tsecr: u32 }),
  fc.record({
    kind: fc.constantFrom(253 as const, 254 as const),
    // 0xf989 is TCP Fast Open's ExID (RFC 7413), which tshark dissects as such.
    exid: u16.filter((x) => x !== 0xf989),
    exidLength: fc.constant(2 as const),
    data: bytes(6),
  }),
  fc.record({ kind: fc.constantFrom(...UNKNOWN_TCP_KINDS), data: bytes(6) }),
);
const tcpOpts: fc.Arbitrary<TcpOption[]> = fc
  .tuple(fc.array(tcpOpt, { maxLength: 8 }), fc.boolean())
  .map(([list, eol]) => {
    const out: TcpOption[] = [];
    for (const o of list) {
      if (tcpOptionsLength([...out, o]) > 40) break;
      out.push(o);
    }
    if (eol && tcpOptionsLength(out) < 40) out.push({ kind: 0 });
    return out;
  });

const tcpL4: fc.Arbitrary<L4> = fc
  .record({
    sourcePort: u16,
    destinationPort: u16,
    seq: u32,
    ack: u32,
    flags: fc.nat(0x1ff),
    reserved: fc.oneof({ weight: 4, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.nat(7) }),
    window: u16,
    urgentPointer: fc.oneof(fc.constant(0), u16),
    options: tcpOpts,
    payload: bytes(48),
  })
  .map(({ reserved, ...r }) => ({ kind: 'tcp', repr: reserved === 0 ? r : { ...r, reserved } }));

const udpL4 = (allowZero: boolean): fc.Arbitrary<L4> =>
  fc.record({
    kind: fc.constant('udp' as const),
    sourcePort: u16,
    destinationPort: u16,
    payload: bytes(48),
    zeroChecksum: allowZero ? fc.boolean() : fc.constant(false),
  });

const icmpv4Echo: fc.Arbitrary<L4> = fc
  .record({
    kind: fc.constantFrom('echo-request' as const, 'echo-reply' as const),
    code: fc.constant(0),
    identifier: u16,
    sequence: u16,
    data: bytes(48),
  })
  .map((repr) => ({ kind: 'icmpv4', repr }));

/** A first fragment of a protocol tshark does not dissect, or any later fragment. */
const fragmentData: fc.Arbitrary<L4> = fc.record({
  kind: fc.constant('raw' as const),
  protocol: fc.constantFrom(253, 254),
  data: bytes(64, 8),
});

const ipv4Base = {
  dscp: fc.nat(63),
  ecn: fc.nat(3),
  identification: u16,
  reservedFlag: fc.oneof(
    { weight: 9, arbitrary: fc.constant(false) },
    { weight: 1, arbitrary: fc.constant(true) },
  ),
  dontFragment: fc.boolean(),
  moreFragments: fc.constant(false),
  fragmentOffset: fc.constant(0),
  ttl: u8,
  source: u32,
  destination: u32,
  options: ipv4Opts,
};

/** A small datagram an ICMP error can quote whole. */
const quotableIpv4: fc.Arbitrary<Ipv4Spec> = fc.record({
  ...ipv4Base,
  l4: fc.oneof(tcpL4, udpL4(true), icmpv4Echo),
});

const icmpv4Unreachable: fc.Arbitrary<L4> = fc
  .record({ code: fc.nat(15), nextHopMtu: fc.integer({ min: 68, max: 0xffff }), inner: quotableIpv4 })
  // RFC 1191 §4: the next-hop MTU is only meaningful (and non-zero) for code 4.
  .map(({ code, nextHopMtu, inner }) => ({
    kind: 'icmpv4-unreachable',
    code,
    nextHopMtu: code === 4 ? nextHopMtu : 0,
    inner,
  }));

const unfragmentedIpv4: fc.Arbitrary<Ipv4Spec> = fc.record({
  ...ipv4Base,
  l4: fc.oneof(
    { weight: 4, arbitrary: tcpL4 },
    { weight: 3, arbitrary: udpL4(true) },
    { weight: 2, arbitrary: icmpv4Echo },
    { weight: 2, arbitrary: icmpv4Unreachable },
  ),
});

const fragmentedIpv4: fc.Arbitrary<Ipv4Spec> = fc
  .record({ ...ipv4Base, l4: fragmentData, fragmentOffset: fc.nat(0x1fff), moreFragments: fc.boolean() })
  .map((s) => (s.fragmentOffset === 0 ? { ...s, moreFragments: true, dontFragment: false } : s));

const ipv4Spec: fc.Arbitrary<Ipv4Spec> = fc.oneof(
  { weight: 6, arbitrary: unfragmentedIpv4 },
  { weight: 1, arbitrary: fragmentedIpv4 },
);

// IPv6 extension headers (RFC 8200 §4) in the recommended order, options padded with Pad1/PadN.
const EXPERIMENTAL_V6_OPTS = [0x1e, 0x3e, 0x5e, 0x7e, 0x9e, 0xbe, 0xde, 0xfe] as const; // RFC 4727
const ipv6OptArb = (hopByHop: boolean): fc.Arbitrary<Ipv6Opt> =>
  fc.oneof(
    fc.constant<Ipv6Opt>({ kind: 'pad1' }),
    fc.nat(5).map((n): Ipv6Opt => ({ kind: 'padn', n })),
    fc.record({
      kind: fc.constant('experimental' as const),
      type: fc.constantFrom(...EXPERIMENTAL_V6_OPTS),
      data: bytes(8),
    }),
    ...(hopByHop ? [fc.constant<Ipv6Opt>({ kind: 'router-alert', value: 0 })] : []),
  );
const optionsHeader = (kind: 'hbh' | 'dst'): fc.Arbitrary<Ipv6Ext> =>
  fc.array(ipv6OptArb(kind === 'hbh'), { maxLength: 4 }).map((options) => ({ kind, options }));

const routingHeader: fc.Arbitrary<Ipv6Ext> = fc.oneof(
  // Type 0 (deprecated by RFC 5095, still parsed): reserved word, then addresses.
  fc.array(ipv6Address, { maxLength: 3 }).chain((addrs) =>
    fc.nat(addrs.length).map((segmentsLeft) => ({
      kind: 'routing' as const,
      routingType: 0,
      segmentsLeft,
      data: concat(new Uint8Array(4), ...addrs.map(Ipv6Address.toBytes)),
    })),
  ),
  // Type 2 (RFC 6275): one home address, segments left 1.
  ipv6Address.map((home) => ({
    kind: 'routing' as const,
    routingType: 2,
    segmentsLeft: 1,
    data: concat(new Uint8Array(4), Ipv6Address.toBytes(home)),
  })),
  // Type 4, segment routing (RFC 8754): last entry, flags, tag, segments.
  fc.tuple(fc.array(ipv6Address, { minLength: 1, maxLength: 3 }), u16).chain(([segs, tag]) =>
    fc.nat(segs.length - 1).map((segmentsLeft) => ({
      kind: 'routing' as const,
      routingType: 4,
      segmentsLeft,
      data: concat(
        new Uint8Array([segs.length - 1, 0, tag >> 8, tag & 0xff]),
        ...segs.map(Ipv6Address.toBytes),
      ),
    })),
  ),
);

const fragmentHeader = (offset: fc.Arbitrary<number>, more: fc.Arbitrary<boolean>): fc.Arbitrary<Ipv6Ext> =>
  fc.record({
    kind: fc.constant('fragment' as const),
    fragmentOffset: offset,
    moreFragments: more,
    identification: u32,
  });

const maybe = <T>(a: fc.Arbitrary<T>): fc.Arbitrary<T[]> =>
  fc.oneof({ weight: 2, arbitrary: fc.constant<T[]>([]) }, { weight: 1, arbitrary: a.map((x) => [x]) });

const v6Chain = (fragment: fc.Arbitrary<Ipv6Ext[]>) =>
  fc
    .tuple(
      maybe(optionsHeader('hbh')),
      maybe(optionsHeader('dst')),
      maybe(routingHeader),
      fragment,
      maybe(optionsHeader('dst')),
    )
    .map((parts) => parts.flat());

const ipv6NdOption: fc.Arbitrary<NdpOption> = fc.oneof(
  fc.record({
    kind: fc.constantFrom('source-link-layer-address' as const, 'target-link-layer-address' as const),
    address: unicastMac,
  }),
  // RFC 4861 §4.6.4 MTU option, carried raw.
  u32.map((mtu) => ({
    kind: 'raw' as const,
    type: 5,
    data: new Uint8Array([0, 0, mtu >>> 24, (mtu >>> 16) & 0xff, (mtu >>> 8) & 0xff, mtu & 0xff]),
  })),
);

const icmpv6L4: fc.Arbitrary<L4> = fc
  .oneof(
    fc.record({
      kind: fc.constantFrom('echo-request' as const, 'echo-reply' as const),
      code: fc.constant(0),
      identifier: u16,
      sequence: u16,
      data: bytes(48),
    }),
    fc.record({
      kind: fc.constant('neighbor-solicitation' as const),
      code: fc.constant(0),
      target: ipv6Address,
      options: fc.array(ipv6NdOption, { maxLength: 2 }),
    }),
    fc.record({
      kind: fc.constant('neighbor-advertisement' as const),
      code: fc.constant(0),
      router: fc.boolean(),
      solicited: fc.boolean(),
      override: fc.boolean(),
      target: ipv6Address,
      options: fc.array(ipv6NdOption, { maxLength: 2 }),
    }),
  )
  .map((repr) => ({ kind: 'icmpv6', repr }));

const ipv6Base = {
  trafficClass: u8,
  flowLabel: fc.nat(0xf_ffff),
  hopLimit: u8,
  source: ipv6Address,
  destination: ipv6Address,
};

const ipv6Spec: fc.Arbitrary<Ipv6Spec> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      ...ipv6Base,
      // An atomic fragment (RFC 6946) is a whole datagram: the transport follows.
      ext: v6Chain(maybe(fragmentHeader(fc.constant(0), fc.constant(false)))),
      l4: fc.oneof(
        { weight: 4, arbitrary: tcpL4 },
        { weight: 3, arbitrary: udpL4(false) },
        { weight: 3, arbitrary: icmpv6L4 },
      ),
    }),
  },
  {
    weight: 1,
    // A fragment that is not a whole datagram: tshark (like a receiver before reassembly)
    // does not look past the fragment header.
    arbitrary: fc.oneof(
      // First fragment: the headers after the fragment header are really there.
      fc.record({
        ...ipv6Base,
        ext: v6Chain(fragmentHeader(fc.constant(0), fc.constant(true)).map((f) => [f])),
        l4: fragmentData,
      }),
      // Later fragment: its Next Header names the first header of the fragmentable part,
      // which is in the first fragment; what follows here is the middle of the datagram.
      fc.record({
        ...ipv6Base,
        ext: fc
          .tuple(maybe(optionsHeader('hbh')), maybe(optionsHeader('dst')), maybe(routingHeader))
          .chain((parts) =>
            fragmentHeader(fc.integer({ min: 1, max: 0x1fff }), fc.boolean()).map((f) => [
              ...parts.flat(),
              f,
            ]),
          ),
        l4: fc.record({
          kind: fc.constant('raw' as const),
          protocol: fc.constantFrom(0, 6, 17, 43, 44, 58, 60, 253),
          data: bytes(64, 8),
        }),
      }),
    ),
  },
);

const arpRepr: fc.Arbitrary<ArpEthernetIpv4Repr> = fc.record({
  kind: fc.constant('ethernet-ipv4' as const),
  operation: fc.constantFrom(1, 2),
  senderHardwareAddress: unicastMac,
  senderProtocolAddress: u32,
  targetHardwareAddress: mac,
  targetProtocolAddress: u32,
});

export const frameSpec: fc.Arbitrary<FrameSpec> = fc.record({
  destination: mac,
  source: unicastMac,
  tags: vlanTags,
  net: fc.oneof(
    { weight: 1, arbitrary: arpRepr.map((a) => ({ kind: 'arp' as const, arp: a })) },
    { weight: 5, arbitrary: ipv4Spec.map((ip) => ({ kind: 'ipv4' as const, ip })) },
    { weight: 4, arbitrary: ipv6Spec.map((ip) => ({ kind: 'ipv6' as const, ip })) },
  ),
});

// ---------------------------------------------------------------------------------------------
// Building bytes with our encoders
// ---------------------------------------------------------------------------------------------

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let pos = 0;
  for (const p of parts) {
    out.set(p, pos);
    pos += p.length;
  }
  return out;
}

function be32(v: number): number[] {
  return [v >>> 24, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff];
}

/** Option bytes padded with zeros (End of Option List) to a multiple of 4. */
export function ipv4OptionBytes(options: readonly Ipv4Opt[]): Uint8Array {
  const out: number[] = [];
  for (const o of options) {
    switch (o.type) {
      case 0:
      case 1:
        out.push(o.type);
        break;
      case 7:
        out.push(7, ipv4OptLength(o), o.pointer, ...o.addresses.flatMap(be32));
        break;
      case 68:
        out.push(68, ipv4OptLength(o), o.pointer, (o.overflow << 4) | o.flag, ...o.words.flatMap(be32));
        break;
      case 148:
        out.push(148, 4, o.value >> 8, o.value & 0xff);
        break;
    }
  }
  while (out.length % 4 !== 0) out.push(0);
  return new Uint8Array(out);
}

/** An IPv6 option's bytes: type, length, data (Pad1 is the type alone). */
export function ipv6OptionBytes(o: Ipv6Opt): number[] {
  switch (o.kind) {
    case 'pad1':
      return [0];
    case 'padn':
      return [1, o.n, ...new Array<number>(o.n).fill(0)];
    case 'router-alert':
      return [5, 2, o.value >> 8, o.value & 0xff];
    case 'experimental':
      return [o.type, o.data.length, ...o.data];
  }
}

/** The padding that makes an options header a multiple of 8 bytes (RFC 8200 §4.2). */
function ipv6Padding(length: number): Ipv6Opt[] {
  const missing = (8 - ((2 + length) % 8)) % 8;
  if (missing === 0) return [];
  if (missing === 1) return [{ kind: 'pad1' }];
  return [{ kind: 'padn', n: missing - 2 }];
}

/** The options of a header as they end up on the wire, padding included. */
export function paddedIpv6Options(options: readonly Ipv6Opt[]): Ipv6Opt[] {
  const length = options.reduce((n, o) => n + ipv6OptionBytes(o).length, 0);
  return [...options, ...ipv6Padding(length)];
}

function extensionHeader(h: Ipv6Ext): { type: number; body: Uint8Array } {
  switch (h.kind) {
    case 'hbh':
    case 'dst':
      return {
        type: h.kind === 'hbh' ? IpProtocol.HOPOPT : IpProtocol.IPV6_OPTS,
        body: new Uint8Array(paddedIpv6Options(h.options).flatMap(ipv6OptionBytes)),
      };
    case 'routing':
      return {
        type: IpProtocol.IPV6_ROUTE,
        body: concat(new Uint8Array([h.routingType, h.segmentsLeft]), h.data),
      };
    case 'fragment':
      return { type: IpProtocol.IPV6_FRAG, body: ipv6Fragment.toBody(h) };
  }
}

export function l4Protocol(l4: L4): number {
  switch (l4.kind) {
    case 'tcp':
      return IpProtocol.TCP;
    case 'udp':
      return IpProtocol.UDP;
    case 'icmpv4':
    case 'icmpv4-unreachable':
      return IpProtocol.ICMP;
    case 'icmpv6':
      return IpProtocol.ICMPV6;
    case 'raw':
      return l4.protocol;
  }
}

function buildL4(l4: L4, pseudo: PseudoHeader): Uint8Array {
  switch (l4.kind) {
    case 'tcp':
      return tcp.encode(l4.repr, undefined, 0, { pseudo });
    case 'udp':
      return l4.zeroChecksum
        ? udp.encode({ ...l4, checksum: 0 }, undefined, 0, { computeChecksums: false })
        : udp.encode(l4, undefined, 0, { pseudo });
    case 'icmpv4':
      return icmpv4.encode(l4.repr);
    case 'icmpv4-unreachable':
      return icmpv4.encode({
        kind: 'destination-unreachable',
        code: l4.code,
        nextHopMtu: l4.nextHopMtu,
        original: buildIpv4(l4.inner),
      });
    case 'icmpv6':
      return icmpv6.encode(l4.repr, undefined, 0, { pseudo });
    case 'raw':
      return l4.data;
  }
}

export function buildIpv4(s: Ipv4Spec): Uint8Array {
  const payload = buildL4(s.l4, { version: 4, source: s.source, destination: s.destination });
  return ipv4.encode({ ...s, protocol: l4Protocol(s.l4), options: ipv4OptionBytes(s.options), payload });
}

/**
 * The destination the upper-layer checksum covers (RFC 8200 §8.1): with a routing header that
 * still has segments left, the final one from that header, else the Destination Address.
 */
export function finalDestination(s: Ipv6Spec): bigint {
  const rh = s.ext.find((h) => h.kind === 'routing' && h.segmentsLeft > 0);
  if (rh === undefined || rh.kind !== 'routing') return s.destination;
  const address = (at: number) => Ipv6Address.read(rh.data, at);
  switch (rh.routingType) {
    case 0: // the last address of the list
      return address(rh.data.length - 16);
    case 2: // the home address
    case 4: // Segment List[0], the last segment (RFC 8754 §2)
      return address(4);
    default:
      return s.destination;
  }
}

export function buildIpv6(s: Ipv6Spec): Uint8Array {
  const payload = buildL4(s.l4, { version: 6, source: s.source, destination: finalDestination(s) });
  return ipv6.encode({
    ...s,
    extensionHeaders: s.ext.map(extensionHeader),
    protocol: l4Protocol(s.l4),
    payload,
  });
}

/** Minimum Ethernet frame without the FCS (IEEE 802.3 §3.2.8): shorter frames get zero padding. */
export const MIN_FRAME = 60;

export function buildFrame(s: FrameSpec): Uint8Array {
  const net = s.net;
  const payload =
    net.kind === 'arp' ? arp.encode(net.arp) : net.kind === 'ipv4' ? buildIpv4(net.ip) : buildIpv6(net.ip);
  const etherType =
    net.kind === 'arp' ? EtherType.ARP : net.kind === 'ipv4' ? EtherType.IPv4 : EtherType.IPv6;
  const header = 14 + 4 * s.tags.length;
  const padded = concat(payload, new Uint8Array(Math.max(0, MIN_FRAME - header - payload.length)));
  return ethernet.encode({
    destination: s.destination,
    source: s.source,
    tags: s.tags,
    etherType,
    payload: padded,
  });
}

// ---------------------------------------------------------------------------------------------
// Reading a spec back with our decoders
// ---------------------------------------------------------------------------------------------

/**
 * The options as our decoder lists them: a final End of Option List is implied when the zero
 * padding after it ends at the first 32-bit boundary; otherwise it is listed with its padding.
 */
function withoutFinalEol(options: readonly TcpOption[]): TcpOption[] {
  if (options.at(-1)?.kind !== 0) return [...options];
  const rest = options.slice(0, -1);
  const n = tcpOptionsLength(rest);
  const written = (n + 1 + 3) & ~3;
  if (((n + 3) & ~3) === written) return rest;
  return [...rest, { kind: 0, padding: new Uint8Array(written - n - 1) }];
}

function withoutChecksum<T extends object>(v: T | undefined): Omit<T, 'checksum'> | undefined {
  if (v === undefined) return undefined;
  const { checksum: _ignored, ...rest } = v as T & { checksum?: number };
  return rest;
}

/** A plain copy for comparison: bytes as hex, records without their prototype. */
function canonical(v: unknown): unknown {
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('hex');
  if (Array.isArray(v)) return v.map(canonical);
  if (v !== null && typeof v === 'object')
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, canonical(x)]));
  return v;
}

/** Where the reprs our decoders read from a frame differ from the spec it was built from. */
export function readBackMismatches(s: FrameSpec, d: Decomposed): string[] {
  const out: string[] = [];
  const same = (what: string, got: unknown, want: unknown) => {
    const [a, b] = [canonical(got), canonical(want)];
    if (!isDeepStrictEqual(a, b))
      out.push(`${what}: read ${inspect(a, { depth: 5 })}, built ${inspect(b, { depth: 5 })}`);
  };
  same(
    'ethernet',
    [d.ethernet.destination, d.ethernet.source, d.ethernet.tags],
    [s.destination, s.source, s.tags],
  );
  const net = s.net;
  if (net.kind === 'arp') {
    same('arp', d.arp, net.arp);
    return out;
  }
  let l4: L4;
  let whole: boolean;
  if (net.kind === 'ipv4') {
    const { l4: spec4, options, ...header } = net.ip;
    const ip = d.ipv4;
    same('ipv4', ip && { ...header, reservedFlag: ip.reservedFlag ?? false }, header);
    same('ipv4 options', ip?.options, ipv4OptionBytes(options));
    same('ipv4 protocol', ip?.protocol, l4Protocol(spec4));
    l4 = spec4;
    whole = !net.ip.moreFragments && net.ip.fragmentOffset === 0;
  } else {
    const ip = d.ipv6;
    const { ext, l4: spec6, ...header } = net.ip;
    same(
      'ipv6',
      ip && {
        trafficClass: ip.trafficClass,
        flowLabel: ip.flowLabel,
        hopLimit: ip.hopLimit,
        source: ip.source,
        destination: ip.destination,
      },
      header,
    );
    same('ipv6 extension headers', ip?.extensionHeaders, ext.map(extensionHeader));
    same('ipv6 protocol', ip?.protocol, l4Protocol(spec6));
    l4 = spec6;
    const fragment = ext.find((h) => h.kind === 'fragment');
    whole = fragment?.kind !== 'fragment' || (fragment.fragmentOffset === 0 && !fragment.moreFragments);
  }
  if (!whole) return out;
  switch (l4.kind) {
    case 'tcp':
      same('tcp', withoutChecksum(d.tcp), { ...l4.repr, options: withoutFinalEol(l4.repr.options) });
      break;
    case 'udp':
      same('udp', d.udp && [d.udp.sourcePort, d.udp.destinationPort, d.udp.payload, d.udp.checksum === 0], [
        l4.sourcePort,
        l4.destinationPort,
        l4.payload,
        l4.zeroChecksum,
      ]);
      break;
    case 'icmpv4':
      same('icmpv4', withoutChecksum(d.icmpv4), l4.repr);
      break;
    case 'icmpv4-unreachable':
      same('icmpv4', withoutChecksum(d.icmpv4), {
        kind: 'destination-unreachable',
        code: l4.code,
        nextHopMtu: l4.nextHopMtu,
        original: buildIpv4(l4.inner),
      });
      break;
    case 'icmpv6':
      same('icmpv6', withoutChecksum(d.icmpv6), l4.repr);
      break;
    case 'raw':
      break;
  }
  return out;
}
