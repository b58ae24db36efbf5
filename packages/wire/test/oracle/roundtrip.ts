/**
 * Our side of an oracle comparison: a frame taken apart with the repr decoders (checksums
 * verified against the pseudo-header), and put back together with `computeChecksums: false`,
 * which must give the same bytes.
 */
import {
  type ArpRepr,
  arp,
  type EthernetRepr,
  EtherType,
  ethernet,
  type Icmpv4Repr,
  type Icmpv6Repr,
  IpProtocol,
  type Ipv4Repr,
  type Ipv6Repr,
  icmpv4,
  icmpv6,
  ipv4,
  ipv6,
  ipv6Fragment,
  type PseudoHeader,
  type TcpRepr,
  tcp,
  type UdpRepr,
  udp,
} from '../../src/index.js';

export interface Decomposed {
  ethernet: EthernetRepr;
  arp?: ArpRepr;
  ipv4?: Ipv4Repr;
  ipv6?: Ipv6Repr;
  tcp?: TcpRepr;
  udp?: UdpRepr;
  icmpv4?: Icmpv4Repr;
  icmpv6?: Icmpv6Repr;
  /** The frame encoded again from the decoded reprs. */
  reencoded: Uint8Array;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/**
 * Decodes a whole frame. Throws the codec's `WireError` (a bad checksum is a `ChecksumError`).
 * `pseudoDestination` overrides the IPv6 pseudo-header destination (RFC 8200 §8.1: the final
 * destination when a routing header still has segments left).
 */
export function decompose(frame: Uint8Array, pseudoDestination?: bigint): Decomposed {
  const eth = ethernet.decode(frame).value;
  const out: Decomposed = { ethernet: eth, reencoded: new Uint8Array(0) };
  let l3: Uint8Array;
  let l3Length: number;
  if (eth.etherType === EtherType.ARP) {
    const d = arp.decode(eth.payload);
    out.arp = d.value;
    l3 = arp.encode(d.value);
    l3Length = d.bytesRead;
  } else if (eth.etherType === EtherType.IPv4) {
    const d = ipv4.decode(eth.payload);
    const ip = d.value;
    out.ipv4 = ip;
    const whole = !ip.moreFragments && ip.fragmentOffset === 0;
    const pseudo: PseudoHeader = { version: 4, source: ip.source, destination: ip.destination };
    const l4 = whole ? decomposeL4(ip.protocol, ip.payload, pseudo, out) : ip.payload;
    l3 = ipv4.encode({ ...ip, payload: l4 }, undefined, 0, { computeChecksums: false });
    l3Length = d.bytesRead;
  } else if (eth.etherType === EtherType.IPv6) {
    const d = ipv6.decode(eth.payload);
    const ip = d.value;
    out.ipv6 = ip;
    const fragment = ip.extensionHeaders.find((h) => h.type === IpProtocol.IPV6_FRAG);
    const f = fragment === undefined ? undefined : ipv6Fragment.fromBody(fragment.body);
    const whole = f === undefined || (f.fragmentOffset === 0 && !f.moreFragments);
    const pseudo: PseudoHeader = {
      version: 6,
      source: ip.source,
      destination: pseudoDestination ?? ip.destination,
    };
    const l4 = whole ? decomposeL4(ip.protocol, ip.payload, pseudo, out) : ip.payload;
    l3 = ipv6.encode({ ...ip, payload: l4 });
    l3Length = d.bytesRead;
  } else {
    throw new Error(`unexpected EtherType 0x${eth.etherType.toString(16)}`);
  }
  // Link padding after the network layer goes back as it was.
  out.reencoded = ethernet.encode({ ...eth, payload: concat(l3, eth.payload.subarray(l3Length)) });
  return out;
}

function decomposeL4(protocol: number, bytes: Uint8Array, pseudo: PseudoHeader, out: Decomposed): Uint8Array {
  const keep = { computeChecksums: false } as const;
  switch (protocol) {
    case IpProtocol.TCP: {
      const d = tcp.decode(bytes, 0, bytes.length, { pseudo });
      out.tcp = d.value;
      return tcp.encode(d.value, undefined, 0, keep);
    }
    case IpProtocol.UDP: {
      const d = udp.decode(bytes, 0, bytes.length, { pseudo });
      out.udp = d.value;
      return udp.encode(d.value, undefined, 0, keep);
    }
    case IpProtocol.ICMP:
      if (pseudo.version === 4) {
        const d = icmpv4.decode(bytes);
        out.icmpv4 = d.value;
        return icmpv4.encode(d.value, undefined, 0, keep);
      }
      return bytes;
    case IpProtocol.ICMPV6:
      if (pseudo.version === 6) {
        const d = icmpv6.decode(bytes, 0, bytes.length, { pseudo });
        out.icmpv6 = d.value;
        return icmpv6.encode(d.value, undefined, 0, keep);
      }
      return bytes;
    default:
      return bytes;
  }
}
