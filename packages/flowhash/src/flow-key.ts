/**
 * Flow keys: the 5-tuple (source address, destination address, source port, destination
 * port, protocol) of an IPv4 or IPv6 TCP or UDP packet, in one reusable object, and the
 * allocation-free extractor that fills it from a frame decoded by `@switchyard/wire`.
 *
 * ICMP errors yield the key of the flow they quote, turned around (RFC 792, RFC 4443
 * §2.4(c), RFC 1122 §3.2.2): the quoted packet is one *we* sent (VIP → client), so its
 * reversed tuple is the client → VIP key every inbound packet of that flow carries, and
 * an error such as fragmentation-needed (RFC 1191) or packet-too-big (RFC 8201) reaches
 * the node that owns the connection.
 */
import {
  decodeFrame,
  FrameDecoder,
  InvalidArgumentError,
  Ipv4Address,
  Ipv4Packet,
  Ipv6Address,
  isIcmpv4Error,
} from '@switchyard/wire';
import { checkInteger } from './util.js';

/** IP protocol numbers the keys use (IANA). */
export const Protocol = { ICMP: 1, TCP: 6, UDP: 17, ICMPV6: 58 } as const;

/**
 * A flow's 5-tuple. Addresses are four big-endian 32-bit words each (`source[0]` holds
 * bits 127..96 of an IPv6 address); an IPv4 address sits in word 0 and words 1..3 are 0,
 * so sums and hashes over the four words reduce to the IPv4 formulas. Reuse one key per
 * thread on the hot path; `FlowKey.ipv4`/`FlowKey.ipv6` are for setup and tests.
 */
export class FlowKey {
  /** 4 or 6. */
  version: 4 | 6 = 4;
  /** IP protocol number (6 TCP, 17 UDP; other values when a status says so). */
  protocol = 0;
  sourcePort = 0;
  destinationPort = 0;
  readonly source = new Uint32Array(4);
  readonly destination = new Uint32Array(4);

  /** A new IPv4 key (allocates; for setup and tests). Ports and protocol are range-checked. */
  static ipv4(
    source: Ipv4Address,
    destination: Ipv4Address,
    sourcePort: number,
    destinationPort: number,
    protocol: number,
  ): FlowKey {
    return new FlowKey().setIpv4(source, destination, sourcePort, destinationPort, protocol);
  }

  /** A new IPv6 key (allocates; for setup and tests). */
  static ipv6(
    source: Ipv6Address,
    destination: Ipv6Address,
    sourcePort: number,
    destinationPort: number,
    protocol: number,
  ): FlowKey {
    return new FlowKey().setIpv6(source, destination, sourcePort, destinationPort, protocol);
  }

  /** Sets every field of an IPv4 key; throws `InvalidArgumentError` on out-of-range values. */
  setIpv4(
    source: Ipv4Address,
    destination: Ipv4Address,
    sourcePort: number,
    destinationPort: number,
    protocol: number,
  ): this {
    checkInteger('flowkey', 'source', source, 0, 0xffff_ffff);
    checkInteger('flowkey', 'destination', destination, 0, 0xffff_ffff);
    this.#setCommon(sourcePort, destinationPort, protocol);
    this.version = 4;
    this.source.fill(0);
    this.destination.fill(0);
    this.source[0] = source;
    this.destination[0] = destination;
    return this;
  }

  /** Sets every field of an IPv6 key (addresses as wire's 128-bit bigints). */
  setIpv6(
    source: Ipv6Address,
    destination: Ipv6Address,
    sourcePort: number,
    destinationPort: number,
    protocol: number,
  ): this {
    for (const [field, a] of [
      ['source', source],
      ['destination', destination],
    ] as const) {
      if (typeof a !== 'bigint' || a < 0n || a >> 128n !== 0n)
        throw new InvalidArgumentError('flowkey', field, 'expected a 128-bit unsigned bigint');
    }
    this.#setCommon(sourcePort, destinationPort, protocol);
    this.version = 6;
    for (let i = 0; i < 4; i++) {
      const shift = BigInt(96 - 32 * i);
      this.source[i] = Number((source >> shift) & 0xffff_ffffn);
      this.destination[i] = Number((destination >> shift) & 0xffff_ffffn);
    }
    return this;
  }

  #setCommon(sourcePort: number, destinationPort: number, protocol: number): void {
    checkInteger('flowkey', 'sourcePort', sourcePort, 0, 0xffff);
    checkInteger('flowkey', 'destinationPort', destinationPort, 0, 0xffff);
    checkInteger('flowkey', 'protocol', protocol, 0, 0xff);
    this.sourcePort = sourcePort;
    this.destinationPort = destinationPort;
    this.protocol = protocol;
  }

  /** The IPv4 source (word 0); meaningful when `version` is 4. */
  get sourceIpv4(): Ipv4Address {
    return this.source[0]!;
  }
  get destinationIpv4(): Ipv4Address {
    return this.destination[0]!;
  }
  /** The source as a bigint (allocates). For IPv4, the address itself. */
  sourceAddress(): bigint {
    return wordsToBigint(this.source, this.version);
  }
  destinationAddress(): bigint {
    return wordsToBigint(this.destination, this.version);
  }

  /** Copies every field of `other` (no allocation). */
  copyFrom(other: FlowKey): this {
    this.version = other.version;
    this.protocol = other.protocol;
    this.sourcePort = other.sourcePort;
    this.destinationPort = other.destinationPort;
    this.source.set(other.source);
    this.destination.set(other.destination);
    return this;
  }

  /** Swaps source and destination (address and port) in place: the other direction of the flow. */
  reverse(): this {
    for (let i = 0; i < 4; i++) {
      const t = this.source[i]!;
      this.source[i] = this.destination[i]!;
      this.destination[i] = t;
    }
    const p = this.sourcePort;
    this.sourcePort = this.destinationPort;
    this.destinationPort = p;
    return this;
  }

  equals(other: FlowKey): boolean {
    if (
      this.version !== other.version ||
      this.protocol !== other.protocol ||
      this.sourcePort !== other.sourcePort ||
      this.destinationPort !== other.destinationPort
    )
      return false;
    for (let i = 0; i < 4; i++) {
      if (this.source[i] !== other.source[i] || this.destination[i] !== other.destination[i]) return false;
    }
    return true;
  }

  /** `10.0.0.1:40000 > 10.0.0.2:80 tcp` or `[2001:db8::1]:40000 > [2001:db8::2]:443 udp` (allocates; never throws). */
  toString(): string {
    const proto =
      this.protocol === Protocol.TCP
        ? 'tcp'
        : this.protocol === Protocol.UDP
          ? 'udp'
          : `proto ${this.protocol}`;
    if (this.version === 4) {
      return `${Ipv4Address.format(this.source[0]!)}:${this.sourcePort} > ${Ipv4Address.format(this.destination[0]!)}:${this.destinationPort} ${proto}`;
    }
    return `[${Ipv6Address.format(this.sourceAddress())}]:${this.sourcePort} > [${Ipv6Address.format(this.destinationAddress())}]:${this.destinationPort} ${proto}`;
  }
}

function wordsToBigint(words: Uint32Array, version: 4 | 6): bigint {
  if (version === 4) return BigInt(words[0]!);
  let v = 0n;
  for (let i = 0; i < 4; i++) v = (v << 32n) | BigInt(words[i]!);
  return v;
}

/** What `extractFlowKey` found; the key's contents depend on it (see each value). */
export const FlowKeyStatus = {
  /** TCP or UDP (also the first fragment of a fragmented datagram): the whole 5-tuple. */
  OK: 0,
  /** An ICMP error quoting a TCP or UDP packet: the quoted tuple, reversed (client → VIP). */
  ICMP_ERROR: 1,
  /**
   * A fragment without ports: a non-first fragment (RFC 791, RFC 8200 §4.5), or a first
   * fragment too short to hold them. Addresses and protocol are set, ports are 0, so
   * hashing this key does NOT give the owner of the flow; see the README.
   */
  FRAGMENT: 2,
  /**
   * IP without ports (ICMP echo, an ICMP error quoting something other than TCP/UDP or a
   * non-first fragment, other protocols): addresses and protocol of the packet, ports 0.
   */
  NO_PORTS: 3,
  /** Not IPv4 or IPv6 (ARP, other EtherTypes). The key is untouched. */
  NOT_IP: 4,
  /** The frame did not decode (see the decoder's `status`/`error()`), or an ICMP error's quote is too short or not IP. */
  MALFORMED: 5,
} as const;
export type FlowKeyStatus = (typeof FlowKeyStatus)[keyof typeof FlowKeyStatus];

// decodeFrame's Layer bits, as literals on the hot path (see wire's decode-frame.ts for why).
const L_IPV4 = 8;
const L_IPV6 = 16;
const L_TCP = 32;
const L_UDP = 64;
const L_ICMPV4 = 128;
const L_ICMPV6 = 256;
const L_FRAGMENT = 512;

/** Most IPv6 extension headers walked inside an ICMPv6 quote (bounds the loop). */
const QUOTE_MAX_EXTENSION_HEADERS = 8;

/**
 * Fills `key` from a frame `decodeFrame` has just decoded into `d`. Allocates nothing and
 * never throws; the status says what the key holds. One scratch IPv4 view per thread
 * (module state) reads ICMPv4 quotes.
 */
export function extractFlowKey(d: FrameDecoder, key: FlowKey): FlowKeyStatus {
  const layers = d.layers;
  if (d.status !== 0) return FlowKeyStatus.MALFORMED;
  const dv = d.dv;
  if ((layers & L_IPV4) !== 0) {
    const ip = d.ipv4;
    key.version = 4;
    key.source[0] = ip.source;
    key.destination[0] = ip.destination;
    key.source[1] = key.source[2] = key.source[3] = 0;
    key.destination[1] = key.destination[2] = key.destination[3] = 0;
  } else if ((layers & L_IPV6) !== 0) {
    const base = d.ipv6.offset;
    key.version = 6;
    for (let i = 0; i < 4; i++) {
      key.source[i] = dv.getUint32(base + 8 + 4 * i);
      key.destination[i] = dv.getUint32(base + 24 + 4 * i);
    }
  } else {
    return FlowKeyStatus.NOT_IP;
  }
  key.protocol = d.transportProtocol;
  if ((layers & L_TCP) !== 0) {
    key.sourcePort = d.tcp.sourcePort;
    key.destinationPort = d.tcp.destinationPort;
    return FlowKeyStatus.OK;
  }
  if ((layers & L_UDP) !== 0) {
    key.sourcePort = d.udp.sourcePort;
    key.destinationPort = d.udp.destinationPort;
    return FlowKeyStatus.OK;
  }
  key.sourcePort = 0;
  key.destinationPort = 0;
  // decodeFrame stops at IP for a non-first fragment, and for a first one cut inside the transport header.
  if ((layers & L_FRAGMENT) !== 0) return FlowKeyStatus.FRAGMENT;
  if ((layers & L_ICMPV4) !== 0) {
    const icmp = d.icmpv4;
    if (!isIcmpv4Error(icmp.type)) return FlowKeyStatus.NO_PORTS;
    return quotedIpv4(d, icmp.dataOffset, icmp.dataLength, key);
  }
  if ((layers & L_ICMPV6) !== 0) {
    const icmp = d.icmpv6;
    // RFC 4443 §2.1: types 0..127 are errors (destination unreachable, packet too big, time exceeded, parameter problem).
    if (icmp.type >= 128) return FlowKeyStatus.NO_PORTS;
    return quotedIpv6(dv, icmp.dataOffset, icmp.dataLength, key);
  }
  return FlowKeyStatus.NO_PORTS;
}

const quotedView = new Ipv4Packet();

/** RFC 792: an ICMPv4 error carries the original IP header and at least the first 8 bytes of its data. */
function quotedIpv4(d: FrameDecoder, offset: number, length: number, key: FlowKey): FlowKeyStatus {
  if (length < 20 || quotedView.checkQuoted(d.bytes, offset, length) !== 0) return FlowKeyStatus.MALFORMED;
  const q = quotedView;
  const proto = q.protocol;
  const ports = q.payloadOffset;
  // The quote is a packet we sent (VIP → client): store it reversed (client → VIP).
  key.source[0] = q.destination;
  key.destination[0] = q.source;
  key.protocol = proto;
  if ((proto !== 6 && proto !== 17) || q.fragmentOffset !== 0 || q.payloadLength < 4) {
    return FlowKeyStatus.NO_PORTS;
  }
  const dv = d.dv;
  key.sourcePort = dv.getUint16(ports + 2);
  key.destinationPort = dv.getUint16(ports);
  return FlowKeyStatus.ICMP_ERROR;
}

/**
 * RFC 4443 §2.4(c): an ICMPv6 error carries as much of the invoking packet as fits. The
 * quote is cut, so wire's `Ipv6Packet` (which checks the payload length) cannot take it:
 * the fixed header and extension headers are walked here, each checked against the bytes present.
 */
function quotedIpv6(dv: DataView, offset: number, length: number, key: FlowKey): FlowKeyStatus {
  if (length < 40 || dv.getUint8(offset) >>> 4 !== 6) return FlowKeyStatus.MALFORMED;
  for (let i = 0; i < 4; i++) {
    key.source[i] = dv.getUint32(offset + 24 + 4 * i);
    key.destination[i] = dv.getUint32(offset + 8 + 4 * i);
  }
  let next = dv.getUint8(offset + 6);
  let pos = 40;
  for (let n = 0; n < QUOTE_MAX_EXTENSION_HEADERS; n++) {
    let len: number;
    if (next === 0 || next === 43 || next === 60) {
      // Hop-by-hop, routing, destination options (RFC 8200 §4.3-4.6): (length + 1) x 8 bytes.
      if (pos + 2 > length) return FlowKeyStatus.MALFORMED;
      len = (dv.getUint8(offset + pos + 1) + 1) * 8;
    } else if (next === 44) {
      // Fragment header (RFC 8200 §4.5): a non-first fragment carries no ports.
      if (pos + 8 > length) return FlowKeyStatus.MALFORMED;
      if (dv.getUint16(offset + pos + 2) >>> 3 !== 0) {
        key.protocol = dv.getUint8(offset + pos);
        return FlowKeyStatus.NO_PORTS;
      }
      len = 8;
    } else if (next === 51) {
      // AH (RFC 4302 §2.2): (length + 2) x 4 bytes.
      if (pos + 2 > length) return FlowKeyStatus.MALFORMED;
      len = (dv.getUint8(offset + pos + 1) + 2) * 4;
    } else {
      break;
    }
    next = dv.getUint8(offset + pos);
    pos += len;
  }
  key.protocol = next;
  if (next !== 6 && next !== 17) return FlowKeyStatus.NO_PORTS;
  if (pos + 4 > length) return FlowKeyStatus.MALFORMED;
  key.sourcePort = dv.getUint16(offset + pos + 2);
  key.destinationPort = dv.getUint16(offset + pos);
  return FlowKeyStatus.ICMP_ERROR;
}

/**
 * Owns a `FrameDecoder` and fills a key straight from frame bytes. Use `extractFlowKey`
 * instead when the data plane has already run `decodeFrame` on the frame.
 */
export class FlowKeyExtractor {
  readonly decoder: FrameDecoder;

  constructor(decoder: FrameDecoder = new FrameDecoder()) {
    this.decoder = decoder;
  }

  /**
   * Decodes `bytes[offset, offset + length)` and fills `key`. Allocates nothing per call;
   * throws only `InvalidArgumentError` for a range outside `bytes` (as `decodeFrame` does).
   */
  extract(bytes: Uint8Array, key: FlowKey, offset = 0, length = bytes.length - offset): FlowKeyStatus {
    decodeFrame(bytes, this.decoder, offset, length);
    return extractFlowKey(this.decoder, key);
  }
}
