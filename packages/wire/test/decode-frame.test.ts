/** Behaviour table for the hot-path decoder (after Katran/glb-director): frame in, layers and fields out. */
import { describe, expect, it } from 'vitest';
import {
  decodeFrame,
  FrameDecoder,
  Icmpv4Message,
  Ipv4Packet,
  ipv6Fragment,
  Layer,
  MalformedError,
  Status,
  summarizeFrame,
  TcpFlag,
  TruncatedError,
} from '../src/index.js';
import {
  arpPkt,
  CLIENT,
  CLIENT_MAC,
  EtherType,
  eth,
  icmp4,
  icmp6,
  ip4,
  ip6,
  tcpSeg,
  udpDgram,
  VIP,
  VMAC,
} from './build.js';

const E = Layer.ETHERNET;
const syn = tcpSeg(TcpFlag.SYN, {
  options: [
    { kind: 2, mss: 1460 },
    { kind: 4 },
    { kind: 8, tsval: 1, tsecr: 0 },
    { kind: 1 },
    { kind: 3, shift: 7 },
  ],
});
const quotedSyn = ip4(6, syn);

type Row = {
  description: string;
  frame: Uint8Array;
  layers: number;
  status?: number;
  failedLayer?: number;
  check?: (d: FrameDecoder) => void;
  summary?: RegExp;
};

const rows: Row[] = [
  {
    description: 'TCP SYN over IPv4 to the VIP',
    frame: eth(EtherType.IPv4, ip4(6, syn)),
    layers: E | Layer.IPV4 | Layer.TCP,
    check: (d) => {
      expect(d.ethernet.destinationEquals(VMAC)).toBe(true);
      expect(d.ethernet.sourceEquals(CLIENT_MAC)).toBe(true);
      expect(d.ethernet.destinationEquals(CLIENT_MAC)).toBe(false);
      expect(d.ipv4.destination).toBe(VIP);
      expect(d.tcp.isConnectionRequest).toBe(true);
      expect([d.tcp.mss, d.tcp.windowScale, d.tcp.sackPermitted]).toEqual([1460, 7, true]);
      expect(d.tcp.verifyChecksum(d.ipv4.pseudoHeaderSum())).toBe(true);
    },
    summary: /^IPv4 10\.77\.0\.1\.40000 > 10\.77\.0\.50\.80 TCP \[S\] seq 1000 win 64240 length 0$/,
  },
  {
    description: 'TCP data over IPv4 in a QinQ frame (802.1ad outer, 802.1Q inner)',
    frame: eth(
      EtherType.IPv4,
      ip4(
        6,
        tcpSeg(TcpFlag.ACK | TcpFlag.PSH, { payload: new TextEncoder().encode('GET / HTTP/1.1\r\n\r\n') }),
      ),
      [
        { tpid: 0x88a8, pcp: 0, dei: false, vid: 100 },
        { tpid: 0x8100, pcp: 5, dei: true, vid: 42 },
      ],
    ),
    layers: E | Layer.VLAN | Layer.IPV4 | Layer.TCP,
    check: (d) => {
      expect(d.ethernet.tagCount).toBe(2);
      expect([d.ethernet.tpid(0), d.ethernet.vid(0), d.ethernet.tpid(1), d.ethernet.vid(1)]).toEqual([
        0x88a8, 100, 0x8100, 42,
      ]);
      expect(d.ethernet.tci(1) >> 13).toBe(5);
      expect(d.tcp.isConnectionRequest).toBe(false);
      expect(d.tcp.payloadLength).toBe(18);
      expect(d.tcp.mss).toBe(-1);
      expect(d.tcp.windowScale).toBe(-1);
    },
    summary: /vlan 100 vlan 42 .*TCP \[P\.\] seq 1000 ack 2000/,
  },
  {
    description: 'Ethernet padding after a short IPv4 packet is not payload',
    frame: (() => {
      const f = new Uint8Array(60);
      f.set(eth(EtherType.IPv4, ip4(17, udpDgram(4, new Uint8Array(0)))));
      return f;
    })(),
    layers: E | Layer.IPV4 | Layer.UDP,
    check: (d) => {
      expect(d.ipv4.length).toBe(28);
      expect(d.udp.payloadLength).toBe(0);
    },
  },
  {
    description: 'UDP over IPv6 behind hop-by-hop and destination options',
    frame: eth(
      EtherType.IPv6,
      ip6(17, udpDgram(6), [
        { type: 0, body: Uint8Array.of(1, 4, 0, 0, 0, 0) },
        { type: 60, body: new Uint8Array(6) },
      ]),
    ),
    layers: E | Layer.IPV6 | Layer.UDP,
    check: (d) => {
      expect(d.ipv6.extensionHeaderCount).toBe(2);
      expect(d.transportProtocol).toBe(17);
      expect(d.udp.verifyChecksum(d.ipv6.pseudoHeaderSum(), 6)).toBe(true);
    },
    summary: /^IPv6 fd00::1\.5353 > fd00::50\.53 UDP length 3$/,
  },
  {
    description: 'TCP SYN over IPv6',
    frame: eth(EtherType.IPv6, ip6(6, tcpSeg(TcpFlag.SYN, { version: 6 }))),
    layers: E | Layer.IPV6 | Layer.TCP,
    check: (d) => expect(d.tcp.verifyChecksum(d.ipv6.pseudoHeaderSum())).toBe(true),
  },
  {
    description: 'first IPv6 fragment still reaches the transport header',
    frame: eth(
      EtherType.IPv6,
      ip6(6, tcpSeg(TcpFlag.SYN, { version: 6 }), [
        {
          type: 44,
          body: ipv6Fragment.toBody({ fragmentOffset: 0, moreFragments: true, identification: 7 }),
        },
      ]),
    ),
    layers: E | Layer.IPV6 | Layer.FRAGMENT | Layer.TCP,
    check: (d) => {
      expect([d.ipv6.isFragment, d.ipv6.moreFragments, d.ipv6.fragmentIdentification]).toEqual([
        true,
        true,
        7,
      ]);
    },
  },
  {
    description: 'non-first IPv6 fragment stops at IP',
    frame: eth(
      EtherType.IPv6,
      ip6(6, new Uint8Array(16), [
        {
          type: 44,
          body: ipv6Fragment.toBody({ fragmentOffset: 185, moreFragments: false, identification: 7 }),
        },
      ]),
    ),
    layers: E | Layer.IPV6 | Layer.FRAGMENT,
    check: (d) => expect(d.ipv6.fragmentOffset).toBe(185),
    summary: /\(fragment\)/,
  },
  {
    description: 'non-first IPv4 fragment stops at IP',
    frame: eth(EtherType.IPv4, ip4(17, new Uint8Array(20), { moreFragments: true, fragmentOffset: 185 })),
    layers: E | Layer.IPV4 | Layer.FRAGMENT,
  },
  {
    description: 'first IPv4 fragment too short for a TCP header stops at IP without failing',
    frame: eth(EtherType.IPv4, ip4(6, new Uint8Array(8), { moreFragments: true, dontFragment: false })),
    layers: E | Layer.IPV4 | Layer.FRAGMENT,
  },
  {
    description: 'ICMP fragmentation needed quoting a TCP SYN',
    frame: eth(
      EtherType.IPv4,
      ip4(
        1,
        icmp4({
          kind: 'destination-unreachable',
          code: 4,
          nextHopMtu: 1400,
          original: quotedSyn.subarray(0, 28),
        }),
      ),
    ),
    layers: E | Layer.IPV4 | Layer.ICMPV4,
    check: (d) => {
      expect([d.icmpv4.type, d.icmpv4.code, d.icmpv4.nextHopMtu, d.icmpv4.isError]).toEqual([
        3,
        4,
        1400,
        true,
      ]);
      const quoted = new Ipv4Packet();
      expect(d.icmpv4.quoted(quoted)).toBe(Status.OK);
      expect([
        quoted.quoted,
        quoted.source,
        quoted.destination,
        quoted.protocol,
        quoted.payloadLength,
      ]).toEqual([true, CLIENT, VIP, 6, 8]);
      expect(d.icmpv4.verifyChecksum()).toBe(true);
    },
    summary: /ICMP unreachable code 4 \(mtu 1400\)$/,
  },
  {
    description: 'ICMPv6 neighbor solicitation',
    frame: eth(
      EtherType.IPv6,
      ip6(
        58,
        icmp6({
          kind: 'neighbor-solicitation',
          code: 0,
          target: 0xfd00n << 112n,
          options: [{ kind: 'source-link-layer-address', address: CLIENT_MAC }],
        }),
      ),
    ),
    layers: E | Layer.IPV6 | Layer.ICMPV6,
    check: (d) => {
      expect(d.icmpv6.type).toBe(135);
      expect(d.icmpv6.targetAddress).toBe(0xfd00n << 112n);
      expect(d.icmpv6.ndpOptionsOffset).toBe(d.icmpv6.offset + 24);
      expect(d.icmpv6.verifyChecksum(d.ipv6.pseudoHeaderSum())).toBe(true);
    },
    summary: /ICMPv6 neighbor solicitation fd00::$/,
  },
  {
    description: 'ARP request for the VIP',
    frame: eth(
      EtherType.ARP,
      arpPkt({
        kind: 'ethernet-ipv4',
        operation: 1,
        senderHardwareAddress: CLIENT_MAC,
        senderProtocolAddress: CLIENT,
        targetHardwareAddress: 0,
        targetProtocolAddress: VIP,
      }),
    ),
    layers: E | Layer.ARP,
    check: (d) => {
      expect(d.arp.isEthernetIpv4).toBe(true);
      expect(d.arp.targetProtocolAddress).toBe(VIP);
    },
    summary: /ARP who-has 10\.77\.0\.50 tell 10\.77\.0\.1$/,
  },
  {
    description: 'unknown EtherType stops at Ethernet',
    frame: eth(0x88b5, new Uint8Array(10)),
    layers: E,
    summary: /ethertype 0x88b5 length 10/,
  },
  {
    description: 'IPv4 with a bad IHL fails at IPv4 and says why',
    frame: (() => {
      const f = eth(EtherType.IPv4, ip4(6, syn));
      f[14] = 0x44;
      return f;
    })(),
    layers: E,
    status: Status.MALFORMED,
    failedLayer: Layer.IPV4,
    check: (d) => expect(d.error()).toBeInstanceOf(MalformedError),
  },
  {
    description: 'a TCP header cut short fails at TCP',
    frame: eth(EtherType.IPv4, ip4(6, syn.subarray(0, 12))),
    layers: E | Layer.IPV4,
    status: Status.TRUNCATED,
    failedLayer: Layer.TCP,
    check: (d) => expect(d.error()).toBeInstanceOf(TruncatedError),
    summary: /malformed/,
  },
  {
    description: 'a runt frame fails at Ethernet',
    frame: new Uint8Array(10),
    layers: 0,
    status: Status.TRUNCATED,
    failedLayer: Layer.ETHERNET,
    summary: /^malformed ethernet/,
  },
];

describe('decodeFrame', () => {
  const d = new FrameDecoder();
  it.each(rows)('$description', ({ frame, layers, status, failedLayer, check, summary }) => {
    expect(decodeFrame(frame, d)).toBe(layers);
    expect(d.layers).toBe(layers);
    expect(d.status).toBe(status ?? Status.OK);
    expect(d.failedLayer).toBe(failedLayer ?? 0);
    if (status === undefined) expect(d.error()).toBeUndefined();
    check?.(d);
    if (summary) expect(summarizeFrame(d)).toMatch(summary);
  });

  it('decodes a frame in place inside a larger buffer (a receive ring)', () => {
    const frame = eth(EtherType.IPv4, ip4(6, syn));
    const ring = new Uint8Array(4096).fill(0xa5);
    ring.set(frame, 1000);
    expect(decodeFrame(ring, d, 1000, frame.length)).toBe(E | Layer.IPV4 | Layer.TCP);
    expect(d.tcp.offset).toBe(1000 + 14 + 20);
    expect(d.tcp.isConnectionRequest).toBe(true);
    const sub = ring.subarray(1000, 1000 + frame.length);
    expect(decodeFrame(sub, d)).toBe(E | Layer.IPV4 | Layer.TCP);
    expect(d.ipv4.verifyChecksum()).toBe(true);
  });

  it('an ICMP view refuses a quoted datagram without a whole header', () => {
    const m = new Icmpv4Message().wrap(
      icmp4({ kind: 'destination-unreachable', code: 3, nextHopMtu: 0, original: quotedSyn.subarray(0, 12) }),
    );
    expect(m.quoted(new Ipv4Packet())).toBe(Status.TRUNCATED);
  });
});
