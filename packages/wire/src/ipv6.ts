/**
 * IPv6 (RFC 8200): the fixed header and the walk over extension headers (hop-by-hop,
 * routing, fragment, destination options, AH) to the upper-layer protocol.
 */
import { Ipv6Address } from './addresses.js';
import { sumWords } from './checksum.js';
import { assertUint, InvalidArgumentError, type Status } from './errors.js';
import { IpProtocol } from './ipv4.js';
import { type Decoded, View } from './view.js';

/** Field offsets (RFC 8200 §3). */
export const Ipv6Field = {
  VERSION_TC_FLOW: 0,
  PAYLOAD_LENGTH: 4,
  NEXT_HEADER: 6,
  HOP_LIMIT: 7,
  SOURCE: 8,
  DESTINATION: 24,
} as const;

export const IPV6_HEADER_LENGTH = 40;
/** More extension headers than this is refused as unsupported (bounds the walk; RFC 8200 §4.1 lists at most ~8). */
export const IPV6_MAX_EXTENSION_HEADERS = 16;

/** True for the extension headers this walk steps over. */
export function isIpv6ExtensionHeader(nextHeader: number): boolean {
  return (
    nextHeader === IpProtocol.HOPOPT ||
    nextHeader === IpProtocol.IPV6_ROUTE ||
    nextHeader === IpProtocol.IPV6_FRAG ||
    nextHeader === IpProtocol.IPV6_OPTS ||
    nextHeader === IpProtocol.AH
  );
}

/** A zero-copy view of an IPv6 packet. */
export class Ipv6Packet extends View {
  readonly layer = 'ipv6';
  /** Protocol after the last extension header (TCP, UDP, ICMPv6, ESP, No Next Header, ...). */
  upperLayerProtocol = 0;
  /** Offset of the upper-layer header relative to the packet start. */
  upperLayerHeaderOffset = IPV6_HEADER_LENGTH;
  /** Number of extension headers walked. */
  extensionHeaderCount = 0;
  /** Offset of the fragment header relative to the packet start, or -1. */
  fragmentHeaderOffset = -1;
  /**
   * Offset (relative to the packet start) of the final destination the upper-layer
   * checksum uses: the Destination Address, or an address in a routing header with
   * segments left (RFC 8200 §8.1).
   */
  finalDestinationOffset: number = Ipv6Field.DESTINATION;

  validate(): Status {
    if (this.length < IPV6_HEADER_LENGTH) return this.truncated('header', IPV6_HEADER_LENGTH);
    if (this.dv.getUint8(this.offset) >>> 4 !== 6) return this.malformed('version', 'must be 6');
    const total = IPV6_HEADER_LENGTH + this.payloadLengthField;
    if (total > this.length) return this.truncated('payload length', total);
    this.length = total;
    let next = this.dv.getUint8(this.offset + 6); // Ipv6Field.NEXT_HEADER
    // RFC 2675: payload length 0 with a hop-by-hop header announces a jumbogram.
    if (total === IPV6_HEADER_LENGTH && next === IpProtocol.HOPOPT) {
      return this.unsupported('payload length', 'jumbograms (RFC 2675) are not supported');
    }
    let pos = IPV6_HEADER_LENGTH;
    let count = 0;
    this.fragmentHeaderOffset = -1;
    this.finalDestinationOffset = Ipv6Field.DESTINATION;
    let routed = false;
    while (isIpv6ExtensionHeader(next)) {
      // RFC 8200 §4.1: the hop-by-hop header may only follow the IPv6 header.
      if (next === IpProtocol.HOPOPT && count > 0)
        return this.malformed('hop-by-hop', 'not first after the IPv6 header');
      if (count === IPV6_MAX_EXTENSION_HEADERS) return this.unsupported('extension headers', 'more than 16');
      if (pos + 8 > total) return this.truncated('extension header', pos + 8);
      let len: number;
      if (next === IpProtocol.IPV6_FRAG) {
        if (this.fragmentHeaderOffset >= 0) return this.malformed('fragment header', 'appears twice');
        this.fragmentHeaderOffset = pos;
        len = 8;
      } else if (next === IpProtocol.AH) {
        len = (this.dv.getUint8(this.offset + pos + 1) + 2) * 4; // RFC 4302 §2.2
      } else {
        len = (this.dv.getUint8(this.offset + pos + 1) + 1) * 8;
      }
      if (pos + len > total) return this.truncated('extension header', pos + len);
      if (next === IpProtocol.IPV6_ROUTE && !routed) {
        routed = true;
        this.noteFinalDestination(pos, len);
      }
      next = this.dv.getUint8(this.offset + pos);
      pos += len;
      count++;
      // RFC 8200 §4.5: after the fragment header of a later fragment comes fragment data, not headers.
      if (this.fragmentHeaderOffset === pos - 8 && this.fragmentOffset !== 0) break;
    }
    this.upperLayerProtocol = next;
    this.upperLayerHeaderOffset = pos;
    this.extensionHeaderCount = count;
    return 0;
  }

  /** Where a routing header with segments left keeps the final destination (RFC 8200 §8.1). */
  private noteFinalDestination(pos: number, len: number): void {
    const type = this.dv.getUint8(this.offset + pos + 2);
    const segmentsLeft = this.dv.getUint8(this.offset + pos + 3);
    if (segmentsLeft === 0 || len < 24) return;
    if (type === 0) {
      this.finalDestinationOffset = pos + len - 16; // RFC 5095/2460: the last address of the list
    } else if (type === 2 || type === 4) {
      this.finalDestinationOffset = pos + 8; // RFC 6275 §6.4 home address; RFC 8754 §2 Segment List[0]
    }
  }

  get version(): number {
    return this.dv.getUint8(this.offset) >>> 4;
  }
  get trafficClass(): number {
    return (this.dv.getUint16(this.offset) >>> 4) & 0xff;
  }
  get flowLabel(): number {
    return this.dv.getUint32(this.offset) & 0x000f_ffff;
  }
  get payloadLengthField(): number {
    return this.dv.getUint16(this.offset + 4); // Ipv6Field.PAYLOAD_LENGTH
  }
  /** The Next Header field of the fixed header. */
  get nextHeader(): number {
    return this.dv.getUint8(this.offset + 6); // Ipv6Field.NEXT_HEADER
  }
  get hopLimit(): number {
    return this.dv.getUint8(this.offset + 7); // Ipv6Field.HOP_LIMIT
  }
  set hopLimit(value: number) {
    this.dv.setUint8(this.offset + 7, value); // Ipv6Field.HOP_LIMIT
  }
  /** Allocates a bigint; on the hot path compare bytes at `offset + 8` instead. */
  get source(): Ipv6Address {
    return Ipv6Address.read(this.bytes, this.offset + 8); // Ipv6Field.SOURCE
  }
  get destination(): Ipv6Address {
    return Ipv6Address.read(this.bytes, this.offset + 24); // Ipv6Field.DESTINATION
  }
  /** The destination the upper-layer checksum uses (differs from `destination` while a routing header has segments left). */
  get finalDestination(): Ipv6Address {
    return Ipv6Address.read(this.bytes, this.offset + this.finalDestinationOffset);
  }

  /** A fragment header with an offset or more fragments; an atomic fragment is a whole datagram (RFC 6946 §4). */
  get isFragment(): boolean {
    return (
      this.fragmentHeaderOffset >= 0 &&
      (this.dv.getUint16(this.offset + this.fragmentHeaderOffset + 2) & 0xfff9) !== 0
    );
  }
  /** Fragment offset in 8-byte units (0 when there is no fragment header). */
  get fragmentOffset(): number {
    return this.fragmentHeaderOffset < 0
      ? 0
      : this.dv.getUint16(this.offset + this.fragmentHeaderOffset + 2) >>> 3;
  }
  get moreFragments(): boolean {
    return (
      this.fragmentHeaderOffset >= 0 &&
      (this.dv.getUint8(this.offset + this.fragmentHeaderOffset + 3) & 1) !== 0
    );
  }
  get fragmentIdentification(): number {
    return this.fragmentHeaderOffset < 0 ? 0 : this.dv.getUint32(this.offset + this.fragmentHeaderOffset + 4);
  }

  /** Partial sum of the pseudo-header for the upper layer (RFC 8200 §8.1). */
  pseudoHeaderSum(): number {
    const len = this.upperLayerLength;
    const destination = this.offset + this.finalDestinationOffset;
    let sum = sumWords(this.bytes, this.offset + 8, this.offset + 24); // Ipv6Field.SOURCE, Ipv6Field.DESTINATION
    sum = sumWords(this.bytes, destination, destination + 16, sum);
    return sum + this.upperLayerProtocol + Math.floor(len / 0x10000) + (len & 0xffff);
  }

  /** Offset of the upper-layer header within `bytes`. */
  get upperLayerOffset(): number {
    return this.offset + this.upperLayerHeaderOffset;
  }
  get upperLayerLength(): number {
    return this.length - this.upperLayerHeaderOffset;
  }
  upperLayer(): Uint8Array {
    return this.bytes.subarray(this.upperLayerOffset, this.offset + this.length);
  }
  get payloadOffset(): number {
    return this.offset + IPV6_HEADER_LENGTH;
  }
  payload(): Uint8Array {
    return this.bytes.subarray(this.payloadOffset, this.offset + this.length);
  }
}

/** An extension header: its type and the bytes after its Next Header and length octets. */
export interface Ipv6ExtensionHeader {
  type: number;
  /**
   * For hop-by-hop, routing and destination options: 6 + 8n bytes (RFC 8200 §4.3);
   * for a fragment header: 6 bytes (offset/flags, identification) after a reserved octet;
   * for AH: 2 + 4n bytes (RFC 4302).
   */
  body: Uint8Array;
}

export interface Ipv6Repr {
  trafficClass: number;
  flowLabel: number;
  hopLimit: number;
  source: Ipv6Address;
  destination: Ipv6Address;
  extensionHeaders: Ipv6ExtensionHeader[];
  /** Protocol of `payload` (the Next Header of the last extension header). */
  protocol: number;
  /** The upper-layer bytes after the extension headers. */
  payload: Uint8Array;
}

/** The fields of a fragment header body. */
export interface Ipv6Fragment {
  /** In 8-byte units. */
  fragmentOffset: number;
  moreFragments: boolean;
  identification: number;
}

export const ipv6Fragment = {
  toBody(f: Ipv6Fragment): Uint8Array {
    assertUint('ipv6', 'fragmentOffset', f.fragmentOffset, 0x1fff);
    assertUint('ipv6', 'identification', f.identification, 0xffff_ffff);
    const body = new Uint8Array(6);
    const dv = new DataView(body.buffer);
    dv.setUint16(0, (f.fragmentOffset << 3) | (f.moreFragments ? 1 : 0));
    dv.setUint32(2, f.identification);
    return body;
  },
  fromBody(body: Uint8Array): Ipv6Fragment {
    const dv = new DataView(body.buffer, body.byteOffset, body.byteLength);
    return {
      fragmentOffset: dv.getUint16(0) >>> 3,
      moreFragments: (dv.getUint8(1) & 1) !== 0,
      identification: dv.getUint32(2),
    };
  },
} as const;

function extensionLength(h: Ipv6ExtensionHeader): number {
  const n = h.body.length + 2;
  const ok =
    h.type === IpProtocol.IPV6_FRAG
      ? n === 8
      : h.type === IpProtocol.AH
        ? n % 4 === 0 && n >= 12 && n <= 1028
        : isIpv6ExtensionHeader(h.type) && n % 8 === 0 && n <= 2048;
  if (!ok)
    throw new InvalidArgumentError(
      'ipv6',
      'extensionHeaders',
      `bad body length ${h.body.length} for header type ${h.type}`,
    );
  return n;
}

const scratch = new Ipv6Packet();

export const ipv6 = {
  encodingLength(repr: Ipv6Repr): number {
    let n = IPV6_HEADER_LENGTH + repr.payload.length;
    for (const h of repr.extensionHeaders) n += extensionLength(h);
    return n;
  },

  encode(repr: Ipv6Repr, buf?: Uint8Array, offset = 0): Uint8Array {
    const L = 'ipv6';
    const len = ipv6.encodingLength(repr);
    if (len - IPV6_HEADER_LENGTH > 0xffff)
      throw new InvalidArgumentError(L, 'payload', 'payload length exceeds 65535 (jumbograms unsupported)');
    assertUint(L, 'trafficClass', repr.trafficClass, 0xff);
    assertUint(L, 'flowLabel', repr.flowLabel, 0xf_ffff);
    assertUint(L, 'hopLimit', repr.hopLimit, 0xff);
    assertUint(L, 'protocol', repr.protocol, 0xff);
    if (!Ipv6Address.isValid(repr.source)) throw new InvalidArgumentError(L, 'source', 'not an IPv6 address');
    if (!Ipv6Address.isValid(repr.destination))
      throw new InvalidArgumentError(L, 'destination', 'not an IPv6 address');
    repr.extensionHeaders.forEach((h, i) => {
      if (h.type === IpProtocol.HOPOPT && i > 0)
        throw new InvalidArgumentError(L, 'extensionHeaders', 'hop-by-hop must be first');
    });
    const out = buf ?? new Uint8Array(len);
    if (offset + len > out.length)
      throw new InvalidArgumentError(L, 'buffer', `needs ${len} bytes at ${offset}`);
    const dv = new DataView(out.buffer, out.byteOffset + offset, len);
    dv.setUint32(0, (0x60000000 | (repr.trafficClass << 20) | repr.flowLabel) >>> 0);
    dv.setUint16(4, len - IPV6_HEADER_LENGTH);
    dv.setUint8(6, repr.extensionHeaders[0]?.type ?? repr.protocol);
    dv.setUint8(7, repr.hopLimit);
    Ipv6Address.write(repr.source, out, offset + 8);
    Ipv6Address.write(repr.destination, out, offset + 24);
    let pos = IPV6_HEADER_LENGTH;
    repr.extensionHeaders.forEach((h, i) => {
      const n = extensionLength(h);
      dv.setUint8(pos, repr.extensionHeaders[i + 1]?.type ?? repr.protocol);
      dv.setUint8(
        pos + 1,
        h.type === IpProtocol.IPV6_FRAG ? 0 : h.type === IpProtocol.AH ? n / 4 - 2 : n / 8 - 1,
      );
      out.set(h.body, offset + pos + 2);
      pos += n;
    });
    out.set(repr.payload, offset + pos);
    return out;
  },

  decode(buf: Uint8Array, offset = 0, end = buf.length): Decoded<Ipv6Repr> {
    const p = scratch.wrap(buf, offset, end - offset);
    const extensionHeaders: Ipv6ExtensionHeader[] = [];
    let type = p.nextHeader;
    let pos = offset + IPV6_HEADER_LENGTH;
    for (let i = 0; i < p.extensionHeaderCount; i++) {
      const n =
        type === IpProtocol.IPV6_FRAG
          ? 8
          : type === IpProtocol.AH
            ? (buf[pos + 1]! + 2) * 4
            : (buf[pos + 1]! + 1) * 8;
      extensionHeaders.push({ type, body: buf.slice(pos + 2, pos + n) });
      type = buf[pos]!;
      pos += n;
    }
    return {
      value: {
        trafficClass: p.trafficClass,
        flowLabel: p.flowLabel,
        hopLimit: p.hopLimit,
        source: p.source,
        destination: p.destination,
        extensionHeaders,
        protocol: p.upperLayerProtocol,
        payload: p.upperLayer(),
      },
      bytesRead: p.length,
    };
  },
} as const;
