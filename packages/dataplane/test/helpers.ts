// Frame builders for the pipeline's tests: every frame a flood-cluster node sees.
import {
  ArpOperation,
  arp,
  EtherType,
  ethernet,
  IpProtocol,
  Ipv4Address,
  Ipv6Address,
  icmpv4,
  icmpv6,
  ipv4,
  ipv6,
  ipv6Fragment,
  MacAddress,
  TcpFlag,
  tcp,
  udp,
} from '@switchyard/wire';

export const NODE_MAC = MacAddress.parse('02:00:00:00:00:01');
export const OTHER_NODE_MAC = MacAddress.parse('02:00:00:00:00:02');
export const CLIENT_MAC = MacAddress.parse('02:00:00:00:00:99');
export const VMAC = MacAddress.parse('02:53:59:00:00:01');
export const VIP = Ipv4Address.parse('10.77.0.50');
export const VIP2 = Ipv4Address.parse('10.77.0.51');
export const VIP6 = Ipv6Address.parse('2001:db8::50');
export const CLIENT = Ipv4Address.parse('10.77.0.1');
export const CLIENT6 = Ipv6Address.parse('2001:db8::1');
export const NOT_A_VIP = Ipv4Address.parse('10.77.0.10');
export const HASH_KEY = new Uint8Array(16).map((_, i) => i * 17 + 3);
export { TcpFlag };

const EMPTY = new Uint8Array(0);

export interface Eth {
  destination?: MacAddress;
  source?: MacAddress;
}

export function frame(etherType: number, payload: Uint8Array, eth: Eth = {}): Uint8Array {
  return ethernet.encode({
    destination: eth.destination ?? VMAC,
    source: eth.source ?? CLIENT_MAC,
    tags: [],
    etherType,
    payload,
  });
}

export interface Ip4 {
  source?: Ipv4Address;
  destination?: Ipv4Address;
  moreFragments?: boolean;
  fragmentOffset?: number;
  identification?: number;
}

export function ip4Packet(protocol: number, payload: Uint8Array, ip: Ip4 = {}): Uint8Array {
  return ipv4.encode({
    dscp: 0,
    ecn: 0,
    identification: ip.identification ?? 1,
    dontFragment: ip.moreFragments === undefined && ip.fragmentOffset === undefined,
    moreFragments: ip.moreFragments ?? false,
    fragmentOffset: ip.fragmentOffset ?? 0,
    ttl: 64,
    protocol,
    source: ip.source ?? CLIENT,
    destination: ip.destination ?? VIP,
    options: EMPTY,
    payload,
  });
}

export interface Seg {
  sourcePort?: number;
  destinationPort?: number;
  flags?: number;
  payload?: Uint8Array;
}

export function tcpSegment(
  s: Seg,
  source: Ipv4Address | Ipv6Address,
  destination: Ipv4Address | Ipv6Address,
) {
  const pseudo =
    typeof source === 'number'
      ? { version: 4 as const, source, destination: destination as Ipv4Address }
      : { version: 6 as const, source, destination: destination as Ipv6Address };
  return tcp.encode(
    {
      sourcePort: s.sourcePort ?? 40000,
      destinationPort: s.destinationPort ?? 80,
      seq: 1000,
      ack: (s.flags ?? TcpFlag.ACK) & TcpFlag.ACK ? 2000 : 0,
      flags: s.flags ?? TcpFlag.ACK,
      window: 65535,
      urgentPointer: 0,
      options: [],
      payload: s.payload ?? EMPTY,
    },
    undefined,
    0,
    { pseudo },
  );
}

/** An Ethernet/IPv4/TCP frame from the client to the VIP (override anything). */
export function tcp4(s: Seg = {}, ip: Ip4 = {}, eth: Eth = {}): Uint8Array {
  const source = ip.source ?? CLIENT;
  const destination = ip.destination ?? VIP;
  return frame(EtherType.IPv4, ip4Packet(IpProtocol.TCP, tcpSegment(s, source, destination), ip), eth);
}

export function udp4(s: Seg = {}, ip: Ip4 = {}, eth: Eth = {}): Uint8Array {
  const source = ip.source ?? CLIENT;
  const destination = ip.destination ?? VIP;
  const datagram = udp.encode(
    {
      sourcePort: s.sourcePort ?? 50000,
      destinationPort: s.destinationPort ?? 53,
      payload: s.payload ?? EMPTY,
    },
    undefined,
    0,
    { pseudo: { version: 4, source, destination } },
  );
  return frame(EtherType.IPv4, ip4Packet(IpProtocol.UDP, datagram, ip), eth);
}

export interface Ip6 {
  source?: Ipv6Address;
  destination?: Ipv6Address;
}

function ip6Packet(protocol: number, payload: Uint8Array, ip: Ip6 = {}, fragment?: { offset: number }) {
  return ipv6.encode({
    trafficClass: 0,
    flowLabel: 0,
    hopLimit: 64,
    source: ip.source ?? CLIENT6,
    destination: ip.destination ?? VIP6,
    extensionHeaders:
      fragment === undefined
        ? []
        : [
            {
              type: 44,
              body: ipv6Fragment.toBody({
                fragmentOffset: fragment.offset,
                moreFragments: true,
                identification: 7,
              }),
            },
          ],
    protocol,
    payload,
  });
}

export function tcp6(s: Seg = {}, ip: Ip6 = {}, eth: Eth = {}, fragment?: { offset: number }): Uint8Array {
  const source = ip.source ?? CLIENT6;
  const destination = ip.destination ?? VIP6;
  const segment = tcpSegment(s, source, destination);
  return frame(EtherType.IPv6, ip6Packet(IpProtocol.TCP, segment, ip, fragment), eth);
}

/** The first bytes of a packet the VIP sent to the client on `seg`'s flow (what an ICMP error quotes). */
function quotedFromVip4(s: Seg, destination = VIP): Uint8Array {
  const reply = tcpSegment(
    { sourcePort: s.destinationPort ?? 80, destinationPort: s.sourcePort ?? 40000, flags: TcpFlag.ACK },
    destination,
    CLIENT,
  );
  return ip4Packet(IpProtocol.TCP, reply, { source: destination, destination: CLIENT }).subarray(0, 28);
}

/** ICMPv4 fragmentation-needed from a router to the VIP, quoting the VIP's packet on `seg`'s flow. */
export function icmp4Error(s: Seg = {}, quoteFrom = VIP, eth: Eth = {}): Uint8Array {
  const message = icmpv4.encode({
    kind: 'destination-unreachable',
    code: 4,
    nextHopMtu: 1400,
    original: quotedFromVip4(s, quoteFrom),
  });
  return frame(
    EtherType.IPv4,
    ip4Packet(IpProtocol.ICMP, message, { source: Ipv4Address.parse('10.77.0.254') }),
    eth,
  );
}

/** ICMPv4 error whose quote is cut short of an IP header. */
export function icmp4ErrorShortQuote(): Uint8Array {
  const message = icmpv4.encode({ kind: 'time-exceeded', code: 0, original: new Uint8Array(12) });
  return frame(EtherType.IPv4, ip4Packet(IpProtocol.ICMP, message));
}

/** ICMPv6 packet-too-big to the IPv6 VIP, quoting its packet on `seg`'s flow. */
export function icmp6Error(s: Seg = {}): Uint8Array {
  const reply = tcpSegment(
    { sourcePort: s.destinationPort ?? 80, destinationPort: s.sourcePort ?? 40000, flags: TcpFlag.ACK },
    VIP6,
    CLIENT6,
  );
  const original = ip6Packet(IpProtocol.TCP, reply, { source: VIP6, destination: CLIENT6 });
  const router = Ipv6Address.parse('2001:db8::fe');
  const message = icmpv6.encode({ kind: 'packet-too-big', code: 0, mtu: 1280, original }, undefined, 0, {
    pseudo: { version: 6, source: router, destination: VIP6 },
  });
  return frame(EtherType.IPv6, ip6Packet(58, message, { source: router }));
}

export function echo4(ip: Ip4 = {}): Uint8Array {
  const message = icmpv4.encode({ kind: 'echo-request', code: 0, identifier: 1, sequence: 1, data: EMPTY });
  return frame(EtherType.IPv4, ip4Packet(IpProtocol.ICMP, message, ip));
}

export function echo6(): Uint8Array {
  const message = icmpv6.encode(
    { kind: 'echo-request', code: 0, identifier: 1, sequence: 1, data: EMPTY },
    undefined,
    0,
    { pseudo: { version: 6, source: CLIENT6, destination: VIP6 } },
  );
  return frame(EtherType.IPv6, ip6Packet(58, message));
}

export function neighborSolicitation(): Uint8Array {
  const destination = Ipv6Address.parse('ff02::1:ff00:50');
  const message = icmpv6.encode(
    { kind: 'neighbor-solicitation', code: 0, target: VIP6, options: [] },
    undefined,
    0,
    { pseudo: { version: 6, source: CLIENT6, destination } },
  );
  const packet = ipv6.encode({
    trafficClass: 0,
    flowLabel: 0,
    hopLimit: 255,
    source: CLIENT6,
    destination,
    extensionHeaders: [],
    protocol: 58,
    payload: message,
  });
  return frame(EtherType.IPv6, packet, { destination: MacAddress.parse('33:33:ff:00:00:50') });
}

export function arpRequest(target = VIP, eth: Eth = {}): Uint8Array {
  return frame(
    EtherType.ARP,
    arp.encode({
      kind: 'ethernet-ipv4',
      operation: ArpOperation.REQUEST,
      senderHardwareAddress: eth.source ?? CLIENT_MAC,
      senderProtocolAddress: CLIENT,
      targetHardwareAddress: 0,
      targetProtocolAddress: target,
    }),
    { destination: MacAddress.BROADCAST, ...eth },
  );
}

export function heartbeatFrame(eth: Eth = {}): Uint8Array {
  return frame(0x88b5, new Uint8Array(60), { destination: MacAddress.parse('01:00:5e:00:00:12'), ...eth });
}

export function otherEtherType(): Uint8Array {
  return frame(0x88cc, new Uint8Array(46)); // LLDP
}

/** A non-first IPv4 fragment of a TCP datagram to the VIP. */
export function fragment4(offset = 185): Uint8Array {
  return frame(EtherType.IPv4, ip4Packet(IpProtocol.TCP, new Uint8Array(64), { fragmentOffset: offset }));
}

/** The first IPv4 fragment (MF set) of a UDP datagram to the VIP: it carries ports. */
export function firstFragment4(): Uint8Array {
  const datagram = udp.encode(
    { sourcePort: 50000, destinationPort: 53, payload: new Uint8Array(64) },
    undefined,
    0,
    { computeChecksums: false },
  );
  return frame(EtherType.IPv4, ip4Packet(IpProtocol.UDP, datagram, { moreFragments: true }));
}

/** IP protocol 47 (GRE) to the VIP: no ports, not an echo. */
export function gre4(): Uint8Array {
  return frame(EtherType.IPv4, ip4Packet(47, new Uint8Array(24)));
}

/**
 * A corpus in one buffer, as a TPACKET_V3 ring hands frames over (decodeFrame rebinds its
 * views only when the array changes): the offset and length of each frame.
 */
export function ringOf(frames: readonly Uint8Array[]) {
  const ring = new Uint8Array(frames.reduce((n, f) => n + f.length, 0));
  const offsets = new Int32Array(frames.length);
  const lengths = new Int32Array(frames.length);
  let at = 0;
  frames.forEach((f, i) => {
    ring.set(f, at);
    offsets[i] = at;
    lengths[i] = f.length;
    at += f.length;
  });
  return { ring, offsets, lengths, count: frames.length };
}
