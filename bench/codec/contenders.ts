/**
 * The contenders. Each one walks every frame of the ring once and reaches the same
 * verdict from the same fields: the EtherType (after an 802.1Q tag); for IP, source,
 * destination and protocol (IPv6: the low 32 bits of each address); for TCP, ports and
 * the flag byte; for UDP, ports; for ARP, operation and target IP. Every field read is
 * folded into a hash and the verdicts are counted, so nothing is dead code and the
 * contenders can be checked against each other (same hash, same counts).
 */
import { decodeFrame, type FrameDecoder, Layer, Status } from '@switchyard/wire';
import type {
  Arp,
  EthernetPacket,
  Ipv4,
  Ipv6,
  PacketWithHeader,
  decode as pcapDecode,
  Tcp,
  Udp,
} from 'pcap/decode';

/** Slots of the verdict counters. */
export const Verdict = {
  /** A connection request (SYN without ACK or RST) to port 80: the one the active node must see. */
  SYN_TO_80: 0,
  TCP: 1,
  UDP: 2,
  ICMP: 3,
  ARP: 4,
  OTHER: 5,
  /** Frames the contender refused (decodeFrame status not OK). */
  REFUSED: 6,
} as const;
export const VERDICT_SLOTS = 7;

const ETH_IPV4 = 0x0800;
const ETH_IPV6 = 0x86dd;
const ETH_ARP = 0x0806;
const ETH_VLAN = 0x8100;
const TCP = 6;
const UDP = 17;
const ICMP = 1;
const ICMPV6 = 58;
/** SYN | ACK | RST: a connection request has only SYN of these. */
const SYN_MASK = 0x16;
const SYN = 0x02;

/** FNV-1a-style fold of one field into the hash; small enough that TurboFan inlines it. */
function mix(h: number, x: number): number {
  return Math.imul(h ^ x, 0x01000193);
}

/** Big-endian 32-bit word from a byte array (what a caller does for IPv6 without an accessor). */
function word(b: Uint8Array, o: number): number {
  return (b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!;
}

function wordOf(addr: number[], i: number): number {
  return (addr[i]! << 24) | (addr[i + 1]! << 16) | (addr[i + 2]! << 8) | addr[i + 3]!;
}

/** Contender A: `decodeFrame` with one reused `FrameDecoder`, fields through the views. */
export function classifyWire(
  bytes: Uint8Array,
  offsets: Uint32Array,
  lengths: Uint32Array,
  d: FrameDecoder,
  counts: Uint32Array,
): number {
  let h = 0;
  const n = offsets.length;
  for (let i = 0; i < n; i++) {
    const layers = decodeFrame(bytes, d, offsets[i]!, lengths[i]!);
    if (d.status !== Status.OK) {
      counts[Verdict.REFUSED]!++;
      continue;
    }
    h = mix(h, d.ethernet.etherType);
    let proto: number;
    if ((layers & Layer.IPV4) !== 0) {
      const ip = d.ipv4;
      h = mix(h, ip.source);
      h = mix(h, ip.destination);
      proto = d.transportProtocol;
    } else if ((layers & Layer.IPV6) !== 0) {
      // Ipv6Packet.source/destination return a bigint (allocates): read the bytes instead,
      // as the package's own doc comment advises for the hot path.
      const ip = d.ipv6;
      h = mix(h, word(ip.bytes, ip.offset + 20));
      h = mix(h, word(ip.bytes, ip.offset + 36));
      proto = d.transportProtocol;
    } else if ((layers & Layer.ARP) !== 0) {
      h = mix(h, d.arp.operation);
      h = mix(h, d.arp.targetProtocolAddress);
      counts[Verdict.ARP]!++;
      continue;
    } else {
      counts[Verdict.OTHER]!++;
      continue;
    }
    h = mix(h, proto);
    if ((layers & Layer.TCP) !== 0) {
      const t = d.tcp;
      const dport = t.destinationPort;
      const flags = t.flags & 0xff;
      h = mix(h, t.sourcePort);
      h = mix(h, dport);
      h = mix(h, flags);
      counts[Verdict.TCP]!++;
      if ((flags & SYN_MASK) === SYN && dport === 80) counts[Verdict.SYN_TO_80]!++;
    } else if ((layers & Layer.UDP) !== 0) {
      const u = d.udp;
      h = mix(h, u.sourcePort);
      h = mix(h, u.destinationPort);
      counts[Verdict.UDP]!++;
    } else if (proto === ICMP || proto === ICMPV6) {
      counts[Verdict.ICMP]!++;
    } else {
      counts[Verdict.OTHER]!++;
    }
  }
  return h;
}

/**
 * Ceiling: the same fields through one DataView at fixed offsets, computed with the
 * least work that finds them (one optional 802.1Q tag, the IPv4 IHL); no validation.
 */
export function classifyCeiling(
  dv: DataView,
  offsets: Uint32Array,
  _lengths: Uint32Array,
  counts: Uint32Array,
): number {
  let h = 0;
  const n = offsets.length;
  for (let i = 0; i < n; i++) {
    let p = offsets[i]! + 12;
    let et = dv.getUint16(p);
    if (et === ETH_VLAN) {
      p += 4;
      et = dv.getUint16(p);
    }
    p += 2;
    h = mix(h, et);
    let proto: number;
    let l4: number;
    if (et === ETH_IPV4) {
      h = mix(h, dv.getUint32(p + 12));
      h = mix(h, dv.getUint32(p + 16));
      proto = dv.getUint8(p + 9);
      l4 = p + ((dv.getUint8(p) & 0x0f) << 2);
    } else if (et === ETH_IPV6) {
      h = mix(h, dv.getUint32(p + 20));
      h = mix(h, dv.getUint32(p + 36));
      proto = dv.getUint8(p + 6);
      l4 = p + 40;
    } else if (et === ETH_ARP) {
      h = mix(h, dv.getUint16(p + 6));
      h = mix(h, dv.getUint32(p + 24));
      counts[Verdict.ARP]!++;
      continue;
    } else {
      counts[Verdict.OTHER]!++;
      continue;
    }
    h = mix(h, proto);
    if (proto === TCP) {
      const dport = dv.getUint16(l4 + 2);
      const flags = dv.getUint8(l4 + 13);
      h = mix(h, dv.getUint16(l4));
      h = mix(h, dport);
      h = mix(h, flags);
      counts[Verdict.TCP]!++;
      if ((flags & SYN_MASK) === SYN && dport === 80) counts[Verdict.SYN_TO_80]!++;
    } else if (proto === UDP) {
      h = mix(h, dv.getUint16(l4));
      h = mix(h, dv.getUint16(l4 + 2));
      counts[Verdict.UDP]!++;
    } else if (proto === ICMP || proto === ICMPV6) {
      counts[Verdict.ICMP]!++;
    } else {
      counts[Verdict.OTHER]!++;
    }
  }
  return h;
}

/** The verdict from the objects the `pcap` decoder builds (shared by both pcap entries). */
function pcapVerdict(h: number, eth: EthernetPacket, counts: Uint32Array): number {
  const et = eth.ethertype;
  h = mix(h, et);
  let proto: number;
  let l4: unknown;
  if (et === ETH_IPV4) {
    const ip = eth.payload as Ipv4;
    h = mix(h, wordOf(ip.saddr.addr, 0));
    h = mix(h, wordOf(ip.daddr.addr, 0));
    proto = ip.protocol;
    l4 = ip.payload;
  } else if (et === ETH_IPV6) {
    const ip = eth.payload as Ipv6;
    h = mix(h, wordOf(ip.saddr.addr, 12));
    h = mix(h, wordOf(ip.daddr.addr, 12));
    proto = ip.nextHeader;
    l4 = ip.payload;
  } else if (et === ETH_ARP) {
    const a = eth.payload as Arp;
    h = mix(h, a.operation);
    h = mix(h, a.target_pa === undefined ? 0 : wordOf(a.target_pa.addr, 0));
    counts[Verdict.ARP]!++;
    return h;
  } else {
    counts[Verdict.OTHER]!++;
    return h;
  }
  h = mix(h, proto);
  if (proto === TCP) {
    const t = l4 as Tcp;
    const f = t.flags;
    const flags =
      (f.cwr ? 0x80 : 0) |
      (f.ece ? 0x40 : 0) |
      (f.urg ? 0x20 : 0) |
      (f.ack ? 0x10 : 0) |
      (f.psh ? 0x08 : 0) |
      (f.rst ? 0x04 : 0) |
      (f.syn ? 0x02 : 0) |
      (f.fin ? 0x01 : 0);
    h = mix(h, t.sport);
    h = mix(h, t.dport);
    h = mix(h, flags);
    counts[Verdict.TCP]!++;
    if ((flags & SYN_MASK) === SYN && t.dport === 80) counts[Verdict.SYN_TO_80]!++;
  } else if (proto === UDP) {
    const u = l4 as Udp;
    h = mix(h, u.sport);
    h = mix(h, u.dport);
    counts[Verdict.UDP]!++;
  } else if (proto === ICMP || proto === ICMPV6) {
    counts[Verdict.ICMP]!++;
  } else {
    counts[Verdict.OTHER]!++;
  }
  return h;
}

/**
 * Peer: `pcap.decode.packet` (the package's documented entry, what a node_pcap session's
 * `packet` event is decoded with) on a prebuilt `{ buf, header, link_type }` per frame.
 */
export function classifyPcap(
  decode: typeof pcapDecode,
  packets: PacketWithHeader[],
  counts: Uint32Array,
): number {
  let h = 0;
  const n = packets.length;
  for (let i = 0; i < n; i++) {
    const pkt = decode(packets[i]!);
    h = pcapVerdict(h, pkt.payload!, counts);
  }
  return h;
}

/** Peer, lighter entry: `new EthernetPacket().decode(buf, 0)`, skipping the pcap record header. */
export function classifyPcapEthernet(
  Ethernet: typeof EthernetPacket,
  packets: PacketWithHeader[],
  counts: Uint32Array,
): number {
  let h = 0;
  const n = packets.length;
  for (let i = 0; i < n; i++) {
    const eth = new Ethernet().decode(packets[i]!.buf, 0);
    h = pcapVerdict(h, eth, counts);
  }
  return h;
}

/** Measurement floor: the same loop over the ring's index, reading nothing but offsets. */
export function classifyNothing(offsets: Uint32Array, lengths: Uint32Array, counts: Uint32Array): number {
  let h = 0;
  const n = offsets.length;
  for (let i = 0; i < n; i++) h = mix(h, offsets[i]! + lengths[i]!);
  counts[Verdict.OTHER]! += n;
  return h;
}
