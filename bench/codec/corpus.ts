/**
 * The codec benchmark's corpus: a deterministic mix of the frames a layer-4 switch sees,
 * built with the `@switchyard/wire` encoders and laid out back to back in one
 * `ArrayBuffer`, like a receive ring. The layout is a classic pcap file (24-byte file
 * header, then a 16-byte record header before each frame), so each frame carries the
 * per-frame metadata a ring would (TPACKET_V3 has its own header there) and the whole
 * buffer can be written out and opened in tshark to check the corpus.
 */
import {
  ArpOperation,
  arp,
  EtherType,
  ethernet,
  type Icmpv6Repr,
  IpProtocol,
  Ipv4Address,
  Ipv6Address,
  icmpv4,
  icmpv6,
  ipv4,
  ipv6,
  MacAddress,
  TcpFlag,
  type TcpOption,
  tcp,
  udp,
  type VlanTag,
} from '@switchyard/wire';

/** mulberry32: a small, fast, seedable PRNG (deterministic across runs and machines). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The frame kinds in the corpus and their relative weights. */
export const MIX = {
  'tcp4-syn': 10,
  'tcp4-syn-ack': 3,
  'tcp4-data': 26,
  'tcp4-ack': 15,
  'tcp4-fin-rst': 2,
  'tcp4-ip-options': 2,
  udp4: 11,
  'udp4-ip-options': 1,
  'icmp4-echo': 4,
  arp: 4,
  'tcp6-syn': 3,
  'tcp6-data': 5,
  'tcp6-ack': 3,
  udp6: 4,
  'icmp6-echo': 2,
  'icmp6-ns': 1,
} as const;
export type FrameKind = keyof typeof MIX;

/** Share of frames (any kind) that get one 802.1Q tag. */
export const VLAN_SHARE = 0.1;

export interface Corpus {
  seed: number;
  /** The ring: a pcap file (LINKTYPE_ETHERNET, microsecond timestamps, little-endian). */
  ring: ArrayBuffer;
  bytes: Uint8Array;
  /** Offset of each frame's first byte in `bytes`. */
  offsets: Uint32Array;
  /** Length of each frame (captured length, link padding included, no FCS). */
  lengths: Uint32Array;
  /** Offset of each frame's 16-byte pcap record header. */
  headerOffsets: Uint32Array;
  /** How many frames of each kind, and how many carry an 802.1Q tag. */
  counts: Record<string, number>;
  frameBytes: number;
}

const PCAP_FILE_HEADER = 24;
const PCAP_RECORD_HEADER = 16;
/** Ethernet minimum frame without the FCS: shorter frames are padded on the wire. */
const MIN_FRAME = 60;

const VIP4 = Ipv4Address.parse('10.0.0.100');
const VIP6 = Ipv6Address.parse('2001:db8::100');
const SWITCH_MAC = MacAddress.parse('02:53:59:00:00:01');
const SERVER4 = Ipv4Address.parse('10.0.1.10');

export function buildCorpus(frameCount: number, seed: number): Corpus {
  const rand = prng(seed);
  const int = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;

  const kinds = Object.keys(MIX) as FrameKind[];
  const totalWeight = kinds.reduce((s, k) => s + MIX[k], 0);
  const pickKind = (): FrameKind => {
    let r = rand() * totalWeight;
    for (const k of kinds) {
      r -= MIX[k];
      if (r < 0) return k;
    }
    return kinds[kinds.length - 1]!;
  };

  const clientMac = () => (0x02_00_00_00_00_00 + int(0, 0xff_ffff_ffff)) as MacAddress;
  const client4 = () =>
    pick([
      () => Ipv4Address.parse(`192.168.${int(0, 255)}.${int(1, 254)}`),
      () => Ipv4Address.parse(`10.${int(1, 254)}.${int(0, 255)}.${int(1, 254)}`),
      () => Ipv4Address.parse(`203.0.113.${int(1, 254)}`),
      () => Ipv4Address.parse(`100.${int(64, 127)}.${int(0, 255)}.${int(1, 254)}`),
    ])();
  const client6 = () =>
    (0x2001_0db8_0001_0000_0000_0000_0000_0000n |
      (BigInt(int(0, 0xffff)) << 64n) |
      (BigInt(int(0, 0xffff_ffff)) << 32n) |
      BigInt(int(0, 0xffff_ffff))) as Ipv6Address;
  const ephemeral = () => int(32768, 60999);
  const servicePort = () => pick([80, 80, 80, 443, 443, 8080]);
  const payload = (n: number) => {
    const p = new Uint8Array(n);
    for (let i = 0; i < n; i++) p[i] = int(0, 255);
    return p;
  };
  const tsOption = (): TcpOption => ({ kind: 8, tsval: int(0, 0xffff_ffff), tsecr: int(0, 0xffff_ffff) });
  const synOptions = (): TcpOption[] => [
    { kind: 2, mss: pick([1460, 1440, 1400, 8960]) },
    { kind: 4 },
    tsOption(),
    { kind: 1 },
    { kind: 3, shift: int(0, 14) },
  ];
  const dataOptions = (): TcpOption[] => [{ kind: 1 }, { kind: 1 }, tsOption()];

  type Ip =
    | { version: 4; source: number; destination: number }
    | { version: 6; source: bigint; destination: bigint };

  const tcpSegment = (ip: Ip, flags: number, sport: number, dport: number, opts: TcpOption[], len: number) =>
    tcp.encode(
      {
        sourcePort: sport,
        destinationPort: dport,
        seq: int(0, 0xffff_ffff),
        ack: (flags & TcpFlag.ACK) !== 0 ? int(0, 0xffff_ffff) : 0,
        flags,
        window: int(1000, 65535),
        urgentPointer: 0,
        options: opts,
        payload: payload(len),
      },
      undefined,
      0,
      { pseudo: ip },
    );

  const udpDatagram = (ip: Ip, sport: number, dport: number, len: number) =>
    udp.encode({ sourcePort: sport, destinationPort: dport, payload: payload(len) }, undefined, 0, {
      pseudo: ip,
    });

  const ipv4Packet = (src: number, dst: number, protocol: number, body: Uint8Array, options?: Uint8Array) =>
    ipv4.encode({
      dscp: 0,
      ecn: 0,
      identification: int(0, 0xffff),
      dontFragment: protocol === IpProtocol.TCP,
      moreFragments: false,
      fragmentOffset: 0,
      ttl: pick([64, 63, 128, 255]),
      protocol,
      source: src,
      destination: dst,
      options: options ?? new Uint8Array(0),
      payload: body,
    });

  const ipv6Packet = (src: bigint, dst: bigint, protocol: number, body: Uint8Array) =>
    ipv6.encode({
      trafficClass: 0,
      flowLabel: int(0, 0xf_ffff),
      hopLimit: pick([64, 255]),
      source: src,
      destination: dst,
      extensionHeaders: [],
      protocol,
      payload: body,
    });

  /** Router alert (RFC 2113), or NOPs around a padded end-of-list: both valid option bytes. */
  const ipOptions = () =>
    pick([Uint8Array.of(0x94, 0x04, 0x00, 0x00), Uint8Array.of(0x01, 0x01, 0x01, 0x00, 0, 0, 0, 0)]);

  /** The L3 payload and EtherType of one frame of `kind`. */
  const l3 = (kind: FrameKind): { etherType: number; packet: Uint8Array } => {
    const c4 = client4();
    const c6 = client6();
    const v4in: Ip = { version: 4, source: c4, destination: VIP4 };
    const v6in: Ip = { version: 6, source: c6, destination: VIP6 };
    const ack = TcpFlag.ACK;
    switch (kind) {
      case 'tcp4-syn':
        return {
          etherType: EtherType.IPv4,
          packet: ipv4Packet(
            c4,
            VIP4,
            6,
            tcpSegment(v4in, TcpFlag.SYN, ephemeral(), servicePort(), synOptions(), 0),
          ),
        };
      case 'tcp4-syn-ack': {
        // A server's answer through the switch (direct return disabled): SYN|ACK from port 80.
        const out: Ip = { version: 4, source: SERVER4, destination: c4 };
        const seg = tcpSegment(out, TcpFlag.SYN | ack, 80, ephemeral(), synOptions(), 0);
        return { etherType: EtherType.IPv4, packet: ipv4Packet(SERVER4, c4, 6, seg) };
      }
      case 'tcp4-data': {
        const seg = tcpSegment(
          v4in,
          ack | TcpFlag.PSH,
          ephemeral(),
          servicePort(),
          dataOptions(),
          int(1, 1448),
        );
        return { etherType: EtherType.IPv4, packet: ipv4Packet(c4, VIP4, 6, seg) };
      }
      case 'tcp4-ack':
        return {
          etherType: EtherType.IPv4,
          packet: ipv4Packet(
            c4,
            VIP4,
            6,
            tcpSegment(v4in, ack, ephemeral(), servicePort(), dataOptions(), 0),
          ),
        };
      case 'tcp4-fin-rst': {
        const flags = pick([TcpFlag.FIN | ack, TcpFlag.RST, TcpFlag.RST | ack]);
        return {
          etherType: EtherType.IPv4,
          packet: ipv4Packet(c4, VIP4, 6, tcpSegment(v4in, flags, ephemeral(), servicePort(), [], 0)),
        };
      }
      case 'tcp4-ip-options': {
        const flags = pick([TcpFlag.SYN, ack, ack | TcpFlag.PSH]);
        const seg = tcpSegment(
          v4in,
          flags,
          ephemeral(),
          servicePort(),
          dataOptions(),
          flags === ack ? 0 : 100,
        );
        return { etherType: EtherType.IPv4, packet: ipv4Packet(c4, VIP4, 6, seg, ipOptions()) };
      }
      case 'udp4': {
        const dport = pick([53, 123, 443, 4789, int(1024, 65535)]);
        const seg = udpDatagram(v4in, ephemeral(), dport, dport === 123 ? 48 : int(16, 1200));
        return { etherType: EtherType.IPv4, packet: ipv4Packet(c4, VIP4, 17, seg) };
      }
      case 'udp4-ip-options':
        return {
          etherType: EtherType.IPv4,
          packet: ipv4Packet(c4, VIP4, 17, udpDatagram(v4in, ephemeral(), 5353, int(16, 300)), ipOptions()),
        };
      case 'icmp4-echo': {
        const msg = icmpv4.encode({
          kind: pick(['echo-request', 'echo-reply'] as const),
          code: 0,
          identifier: int(0, 0xffff),
          sequence: int(0, 0xffff),
          data: payload(56),
        });
        return { etherType: EtherType.IPv4, packet: ipv4Packet(c4, VIP4, 1, msg) };
      }
      case 'arp': {
        const request = rand() < 0.7;
        const packet = arp.encode({
          kind: 'ethernet-ipv4',
          operation: request ? ArpOperation.REQUEST : ArpOperation.REPLY,
          senderHardwareAddress: clientMac(),
          senderProtocolAddress: c4,
          targetHardwareAddress: request ? MacAddress.ZERO : SWITCH_MAC,
          targetProtocolAddress: request ? VIP4 : Ipv4Address.parse(`10.0.0.${int(1, 254)}`),
        });
        return { etherType: EtherType.ARP, packet };
      }
      case 'tcp6-syn':
        return {
          etherType: EtherType.IPv6,
          packet: ipv6Packet(
            c6,
            VIP6,
            6,
            tcpSegment(v6in, TcpFlag.SYN, ephemeral(), servicePort(), synOptions(), 0),
          ),
        };
      case 'tcp6-data': {
        const seg = tcpSegment(
          v6in,
          ack | TcpFlag.PSH,
          ephemeral(),
          servicePort(),
          dataOptions(),
          int(1, 1428),
        );
        return { etherType: EtherType.IPv6, packet: ipv6Packet(c6, VIP6, 6, seg) };
      }
      case 'tcp6-ack':
        return {
          etherType: EtherType.IPv6,
          packet: ipv6Packet(
            c6,
            VIP6,
            6,
            tcpSegment(v6in, ack, ephemeral(), servicePort(), dataOptions(), 0),
          ),
        };
      case 'udp6':
        return {
          etherType: EtherType.IPv6,
          packet: ipv6Packet(
            c6,
            VIP6,
            17,
            udpDatagram(v6in, ephemeral(), pick([53, 443, 4789]), int(16, 1200)),
          ),
        };
      case 'icmp6-echo':
      case 'icmp6-ns': {
        const repr: Icmpv6Repr =
          kind === 'icmp6-echo'
            ? {
                kind: 'echo-request',
                code: 0,
                identifier: int(0, 0xffff),
                sequence: int(0, 0xffff),
                data: payload(56),
              }
            : {
                kind: 'neighbor-solicitation',
                code: 0,
                target: VIP6,
                options: [{ kind: 'source-link-layer-address', address: clientMac() }],
              };
        const msg = icmpv6.encode(repr, undefined, 0, { pseudo: v6in });
        return { etherType: EtherType.IPv6, packet: ipv6Packet(c6, VIP6, IpProtocol.ICMPV6, msg) };
      }
    }
  };

  const frames: Uint8Array[] = [];
  const counts: Record<string, number> = Object.fromEntries(kinds.map((k) => [k, 0]));
  counts['802.1Q-tagged'] = 0;
  for (let i = 0; i < frameCount; i++) {
    const kind = pickKind();
    counts[kind]! += 1;
    const { etherType, packet } = l3(kind);
    const tags: VlanTag[] = [];
    if (rand() < VLAN_SHARE) {
      tags.push({ tpid: EtherType.VLAN, pcp: int(0, 7), dei: false, vid: int(2, 4094) });
      counts['802.1Q-tagged']! += 1;
    }
    const fromClient = kind !== 'tcp4-syn-ack';
    const encoded = ethernet.encode({
      destination: fromClient ? SWITCH_MAC : clientMac(),
      source: fromClient ? clientMac() : SWITCH_MAC,
      tags,
      etherType,
      payload: packet,
    });
    const frame = new Uint8Array(Math.max(encoded.length, MIN_FRAME));
    frame.set(encoded);
    frames.push(frame);
  }

  const frameBytes = frames.reduce((s, f) => s + f.length, 0);
  const ring = new ArrayBuffer(PCAP_FILE_HEADER + frames.length * PCAP_RECORD_HEADER + frameBytes);
  const bytes = new Uint8Array(ring);
  const dv = new DataView(ring);
  dv.setUint32(0, 0xa1b2c3d4, true); // microsecond timestamps
  dv.setUint16(4, 2, true);
  dv.setUint16(6, 4, true);
  dv.setUint32(16, 65535, true);
  dv.setUint32(20, 1, true); // LINKTYPE_ETHERNET
  const offsets = new Uint32Array(frames.length);
  const lengths = new Uint32Array(frames.length);
  const headerOffsets = new Uint32Array(frames.length);
  let pos = PCAP_FILE_HEADER;
  const t0 = 1_700_000_000;
  frames.forEach((frame, i) => {
    headerOffsets[i] = pos;
    const usec = i * 7; // a frame every 7 µs
    dv.setUint32(pos, t0 + Math.floor(usec / 1e6), true);
    dv.setUint32(pos + 4, usec % 1e6, true);
    dv.setUint32(pos + 8, frame.length, true);
    dv.setUint32(pos + 12, frame.length, true);
    pos += PCAP_RECORD_HEADER;
    offsets[i] = pos;
    lengths[i] = frame.length;
    bytes.set(frame, pos);
    pos += frame.length;
  });

  return { seed, ring, bytes, offsets, lengths, headerOffsets, counts, frameBytes };
}
