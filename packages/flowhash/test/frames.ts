/** Frames built with @switchyard/wire's own encoders, for the extractor tests. */
import {
  EtherType,
  ethernet,
  type Icmpv4Repr,
  type Icmpv6Repr,
  IpProtocol,
  type Ipv4Address,
  type Ipv6Address,
  type Ipv6ExtensionHeader,
  icmpv4,
  icmpv6,
  ipv4,
  ipv6,
  MacAddress,
  TcpFlag,
  tcp,
  udp,
  type VlanTag,
} from '@switchyard/wire';

const SRC_MAC = MacAddress.parse('02:00:00:00:00:01');
const DST_MAC = MacAddress.parse('02:53:59:00:00:01');

export interface V4Options {
  fragmentOffset?: number;
  moreFragments?: boolean;
  tags?: VlanTag[];
}

export function transport(protocol: 6 | 17, sourcePort: number, destinationPort: number): Uint8Array {
  if (protocol === 6) {
    return tcp.encode(
      {
        sourcePort,
        destinationPort,
        seq: 1,
        ack: 0,
        flags: TcpFlag.SYN,
        window: 64240,
        urgentPointer: 0,
        options: [],
        payload: new Uint8Array(0),
      },
      undefined,
      0,
      { computeChecksums: false },
    );
  }
  return udp.encode({ sourcePort, destinationPort, payload: new Uint8Array(12) }, undefined, 0, {
    computeChecksums: false,
  });
}

/** An IPv4 packet (no Ethernet) carrying `payload`. */
export function ip4Packet(
  protocol: number,
  source: Ipv4Address,
  destination: Ipv4Address,
  payload: Uint8Array,
  o: V4Options = {},
): Uint8Array {
  return ipv4.encode({
    dscp: 0,
    ecn: 0,
    identification: 7,
    dontFragment: false,
    moreFragments: o.moreFragments ?? false,
    fragmentOffset: o.fragmentOffset ?? 0,
    ttl: 64,
    protocol,
    source,
    destination,
    options: new Uint8Array(0),
    payload,
  });
}

export function ip6Packet(
  protocol: number,
  source: Ipv6Address,
  destination: Ipv6Address,
  payload: Uint8Array,
  extensionHeaders: Ipv6ExtensionHeader[] = [],
): Uint8Array {
  return ipv6.encode({
    trafficClass: 0,
    flowLabel: 0,
    hopLimit: 64,
    source,
    destination,
    extensionHeaders,
    protocol,
    payload,
  });
}

export function eth(etherType: number, payload: Uint8Array, tags: VlanTag[] = []): Uint8Array {
  return ethernet.encode({ destination: DST_MAC, source: SRC_MAC, tags, etherType, payload });
}

export function frame4(
  protocol: 6 | 17,
  source: Ipv4Address,
  destination: Ipv4Address,
  sourcePort: number,
  destinationPort: number,
  o: V4Options = {},
): Uint8Array {
  return eth(
    EtherType.IPv4,
    ip4Packet(protocol, source, destination, transport(protocol, sourcePort, destinationPort), o),
    o.tags,
  );
}

export function frame6(
  protocol: 6 | 17,
  source: Ipv6Address,
  destination: Ipv6Address,
  sourcePort: number,
  destinationPort: number,
  extensionHeaders: Ipv6ExtensionHeader[] = [],
): Uint8Array {
  return eth(
    EtherType.IPv6,
    ip6Packet(
      protocol,
      source,
      destination,
      transport(protocol, sourcePort, destinationPort),
      extensionHeaders,
    ),
  );
}

/** An ICMPv4 error from `router` to `to`, quoting `original` (an IPv4 packet) cut to `quoteBytes`. */
export function icmp4ErrorFrame(
  repr: (o: Uint8Array) => Icmpv4Repr,
  router: Ipv4Address,
  to: Ipv4Address,
  original: Uint8Array,
  quoteBytes = 28,
): Uint8Array {
  const body = icmpv4.encode(repr(original.subarray(0, quoteBytes)));
  return eth(EtherType.IPv4, ip4Packet(IpProtocol.ICMP, router, to, body));
}

export function icmp6ErrorFrame(
  repr: (o: Uint8Array) => Icmpv6Repr,
  router: Ipv6Address,
  to: Ipv6Address,
  original: Uint8Array,
  quoteBytes = original.length,
): Uint8Array {
  const body = icmpv6.encode(repr(original.subarray(0, quoteBytes)), undefined, 0, {
    pseudo: { version: 6, source: router, destination: to },
  });
  return eth(EtherType.IPv6, ip6Packet(IpProtocol.ICMPV6, router, to, body));
}
