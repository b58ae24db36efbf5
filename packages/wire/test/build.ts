/** Frame builders for tests: small reprs in, whole Ethernet frames out. */
import {
  type ArpRepr,
  arp,
  EtherType,
  ethernet,
  type Icmpv4Repr,
  type Icmpv6Repr,
  type Ipv6ExtensionHeader,
  icmpv4,
  icmpv6,
  ipv4,
  ipv6,
  type TcpOption,
  tcp,
  udp,
  type VlanTag,
} from '../src/index.js';

export const CLIENT_MAC = 0x02_00_00_00_00_01;
export const VMAC = 0x02_53_59_00_00_01;
export const CLIENT = 0x0a_4d_00_01; // 10.77.0.1
export const VIP = 0x0a_4d_00_32; // 10.77.0.50
export const CLIENT6 = 0xfd00_0000_0000_0000_0000_0000_0000_0001n;
export const VIP6 = 0xfd00_0000_0000_0000_0000_0000_0000_0050n;

export function eth(etherType: number, payload: Uint8Array, tags: VlanTag[] = []): Uint8Array {
  return ethernet.encode({ destination: VMAC, source: CLIENT_MAC, tags, etherType, payload });
}

export function ip4(
  protocol: number,
  payload: Uint8Array,
  extra: Partial<Parameters<typeof ipv4.encode>[0]> = {},
): Uint8Array {
  return ipv4.encode({
    dscp: 0,
    ecn: 0,
    identification: 0x1c46,
    dontFragment: true,
    moreFragments: false,
    fragmentOffset: 0,
    ttl: 64,
    protocol,
    source: CLIENT,
    destination: VIP,
    options: new Uint8Array(0),
    payload,
    ...extra,
  });
}

export function ip6(
  protocol: number,
  payload: Uint8Array,
  extensionHeaders: Ipv6ExtensionHeader[] = [],
): Uint8Array {
  return ipv6.encode({
    trafficClass: 0,
    flowLabel: 0x12345,
    hopLimit: 64,
    source: CLIENT6,
    destination: VIP6,
    extensionHeaders,
    protocol,
    payload,
  });
}

export function tcpSeg(
  flags: number,
  opts: { version?: 4 | 6; options?: TcpOption[]; payload?: Uint8Array; sourcePort?: number } = {},
): Uint8Array {
  const pseudo =
    opts.version === 6
      ? { version: 6 as const, source: CLIENT6, destination: VIP6 }
      : { version: 4 as const, source: CLIENT, destination: VIP };
  return tcp.encode(
    {
      sourcePort: opts.sourcePort ?? 40000,
      destinationPort: 80,
      seq: 1000,
      ack: flags & 0x10 ? 2000 : 0,
      flags,
      window: 64240,
      urgentPointer: 0,
      options: opts.options ?? [],
      payload: opts.payload ?? new Uint8Array(0),
    },
    undefined,
    0,
    { pseudo },
  );
}

export function udpDgram(version: 4 | 6 = 4, payload = Uint8Array.of(1, 2, 3)): Uint8Array {
  const pseudo =
    version === 6
      ? { version: 6 as const, source: CLIENT6, destination: VIP6 }
      : { version: 4 as const, source: CLIENT, destination: VIP };
  return udp.encode({ sourcePort: 5353, destinationPort: 53, payload }, undefined, 0, { pseudo });
}

export function icmp4(repr: Icmpv4Repr): Uint8Array {
  return icmpv4.encode(repr);
}

export function icmp6(repr: Icmpv6Repr): Uint8Array {
  return icmpv6.encode(repr, undefined, 0, { pseudo: { version: 6, source: CLIENT6, destination: VIP6 } });
}

export function arpPkt(repr: ArpRepr): Uint8Array {
  return arp.encode(repr);
}

export { EtherType };
