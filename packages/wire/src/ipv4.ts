/**
 * IPv4 (RFC 791): options preserved as bytes, header checksum verify/fill, fragment
 * fields (no reassembly), and total length checked against the buffer.
 */
import { Ipv4Address } from './addresses.js';
import { internetChecksum, sumWords, updateChecksum16, updateChecksum32 } from './checksum.js';
import { assertUint, ChecksumError, InvalidArgumentError, MalformedError, type Status } from './errors.js';
import { type Decoded, type DecodeOptions, type EncodeOptions, View } from './view.js';

/** IP protocol numbers (IANA); any other value is carried as a number. */
export const IpProtocol = {
  HOPOPT: 0,
  ICMP: 1,
  IGMP: 2,
  TCP: 6,
  UDP: 17,
  IPV6_ROUTE: 43,
  IPV6_FRAG: 44,
  ESP: 50,
  AH: 51,
  ICMPV6: 58,
  IPV6_NONXT: 59,
  IPV6_OPTS: 60,
} as const;
export type IpProtocol = (typeof IpProtocol)[keyof typeof IpProtocol] | number;

/** Field offsets (RFC 791 §3.1). */
export const Ipv4Field = {
  VER_IHL: 0,
  DSCP_ECN: 1,
  TOTAL_LENGTH: 2,
  IDENTIFICATION: 4,
  FLAGS_FRAGMENT_OFFSET: 6,
  TTL: 8,
  PROTOCOL: 9,
  CHECKSUM: 10,
  SOURCE: 12,
  DESTINATION: 16,
  OPTIONS: 20,
} as const;

export const IPV4_MIN_HEADER_LENGTH = 20;
export const IPV4_MAX_HEADER_LENGTH = 60;

/** IPv4 option types whose single byte is the whole option (RFC 791 §3.1). */
export const Ipv4OptionType = {
  END_OF_LIST: 0,
  NO_OPERATION: 1,
  RECORD_ROUTE: 7,
  TIMESTAMP: 68,
  ROUTER_ALERT: 148,
} as const;

/** A zero-copy view of an IPv4 packet. */
export class Ipv4Packet extends View {
  readonly layer = 'ipv4';
  /**
   * Set by `checkQuoted`: the packet is the leading part of a datagram quoted in an ICMP
   * error (RFC 792), so the payload may be shorter than the total length says.
   */
  quoted = false;
  /** Header length in bytes, as validated (IHL x 4). */
  headerLength = IPV4_MIN_HEADER_LENGTH;
  #quotedMode = false;

  /** Validates a datagram quoted in an ICMP error: the header must be whole, the payload may be cut. */
  checkQuoted(bytes: Uint8Array, offset = 0, length = bytes.length - offset) {
    this.#quotedMode = true;
    try {
      return this.check(bytes, offset, length);
    } finally {
      this.#quotedMode = false;
    }
  }

  validate(): Status {
    this.quoted = this.#quotedMode;
    const available = this.length;
    if (available < IPV4_MIN_HEADER_LENGTH) return this.truncated('header', IPV4_MIN_HEADER_LENGTH);
    const verIhl = this.dv.getUint8(this.offset);
    if (verIhl >>> 4 !== 4) return this.malformed('version', 'must be 4');
    const hl = (verIhl & 0x0f) * 4;
    if (hl < IPV4_MIN_HEADER_LENGTH) return this.malformed('ihl', 'must be at least 5 (20 bytes)');
    if (hl > available) return this.truncated('header with options', hl);
    this.headerLength = hl;
    const total = this.dv.getUint16(this.offset + 2); // Ipv4Field.TOTAL_LENGTH
    if (total < hl) return this.malformed('total length', 'smaller than the header length');
    if (total > available) {
      if (!this.quoted) return this.truncated('total length', total);
    } else {
      this.length = total; // anything past total length is link padding
    }
    return hl === IPV4_MIN_HEADER_LENGTH ? 0 : this.validateOptions(hl);
  }

  private validateOptions(hl: number) {
    let pos = Ipv4Field.OPTIONS;
    while (pos < hl) {
      const type = this.dv.getUint8(this.offset + pos);
      if (type === Ipv4OptionType.END_OF_LIST) break;
      if (type === Ipv4OptionType.NO_OPERATION) {
        pos++;
        continue;
      }
      if (pos + 1 >= hl) return this.malformed('option length', 'past the end of the header');
      const len = this.dv.getUint8(this.offset + pos + 1);
      if (len < 2) return this.malformed('option length', 'less than 2'); // RFC 791: length counts type and length octets
      if (pos + len > hl) return this.malformed('option length', 'option runs past the end of the header');
      pos += len;
    }
    return 0;
  }

  get version(): number {
    return this.dv.getUint8(this.offset) >>> 4;
  }
  /** Header length in 32-bit words. */
  get ihl(): number {
    return this.dv.getUint8(this.offset) & 0x0f;
  }
  get dscp(): number {
    return this.dv.getUint8(this.offset + 1) >>> 2;
  }
  get ecn(): number {
    return this.dv.getUint8(this.offset + 1) & 0x03;
  }
  get totalLength(): number {
    return this.dv.getUint16(this.offset + 2); // Ipv4Field.TOTAL_LENGTH
  }
  get identification(): number {
    return this.dv.getUint16(this.offset + 4); // Ipv4Field.IDENTIFICATION
  }
  /** The reserved flag bit (RFC 791; must be zero, carried as-is). */
  get reservedFlag(): boolean {
    return (this.dv.getUint8(this.offset + 6) & 0x80) !== 0;
  }
  get dontFragment(): boolean {
    return (this.dv.getUint8(this.offset + 6) & 0x40) !== 0;
  }
  get moreFragments(): boolean {
    return (this.dv.getUint8(this.offset + 6) & 0x20) !== 0;
  }
  /** Fragment offset in 8-byte units. */
  get fragmentOffset(): number {
    return this.dv.getUint16(this.offset + 6) & 0x1fff;
  }
  /** Part of a fragmented datagram: MF set or a non-zero offset. */
  get isFragment(): boolean {
    return (this.dv.getUint16(this.offset + 6) & 0x3fff) !== 0;
  }
  get ttl(): number {
    return this.dv.getUint8(this.offset + 8); // Ipv4Field.TTL
  }
  set ttl(ttl: number) {
    const old = this.dv.getUint16(this.offset + 8); // Ipv4Field.TTL
    this.dv.setUint8(this.offset + 8, ttl); // Ipv4Field.TTL
    this.checksum = updateChecksum16(this.checksum, old, this.dv.getUint16(this.offset + 8)); // Ipv4Field.TTL
  }
  get protocol(): IpProtocol {
    return this.dv.getUint8(this.offset + 9); // Ipv4Field.PROTOCOL
  }
  get checksum(): number {
    return this.dv.getUint16(this.offset + 10); // Ipv4Field.CHECKSUM
  }
  set checksum(value: number) {
    this.dv.setUint16(this.offset + 10, value); // Ipv4Field.CHECKSUM
  }
  get source(): Ipv4Address {
    return this.dv.getUint32(this.offset + 12); // Ipv4Field.SOURCE
  }
  /** Rewrites the source and updates the header checksum incrementally (RFC 1624). */
  set source(addr: Ipv4Address) {
    this.checksum = updateChecksum32(this.checksum, this.source, addr);
    this.dv.setUint32(this.offset + 12, addr); // Ipv4Field.SOURCE
  }
  get destination(): Ipv4Address {
    return this.dv.getUint32(this.offset + 16); // Ipv4Field.DESTINATION
  }
  /** Rewrites the destination and updates the header checksum incrementally (RFC 1624). */
  set destination(addr: Ipv4Address) {
    this.checksum = updateChecksum32(this.checksum, this.destination, addr);
    this.dv.setUint32(this.offset + 16, addr); // Ipv4Field.DESTINATION
  }

  /** Header checksum verifies (RFC 791 §3.1, RFC 1071). */
  verifyChecksum(): boolean {
    return internetChecksum(this.bytes, this.offset, this.offset + this.headerLength) === 0;
  }
  fillChecksum(): void {
    this.checksum = 0;
    this.checksum = internetChecksum(this.bytes, this.offset, this.offset + this.headerLength);
  }

  /** Sum of the pseudo-header for the upper-layer checksum (RFC 793 §3.1). */
  pseudoHeaderSum(): number {
    const len = this.payloadLength;
    return sumWords(this.bytes, this.offset + 12, this.offset + 20) + this.protocol + len; // Ipv4Field.SOURCE
  }

  get payloadOffset(): number {
    return this.offset + this.headerLength;
  }
  /** Payload bytes present (for a quoted datagram, possibly fewer than total length implies). */
  get payloadLength(): number {
    return this.length - this.headerLength;
  }
  options(): Uint8Array {
    return this.bytes.subarray(this.offset + IPV4_MIN_HEADER_LENGTH, this.payloadOffset);
  }
  payload(): Uint8Array {
    return this.bytes.subarray(this.payloadOffset, this.offset + this.length);
  }
}

/** One IPv4 option as found in the header. */
export interface Ipv4Option {
  type: number;
  /** Bytes after the type and length octets (empty for EOL and NOP). */
  data: Uint8Array;
}

/** Lists the options of a validated header's option bytes (stops at End of Option List). */
export function ipv4Options(options: Uint8Array): Ipv4Option[] {
  const out: Ipv4Option[] = [];
  let pos = 0;
  while (pos < options.length) {
    const type = options[pos]!;
    if (type === Ipv4OptionType.END_OF_LIST || type === Ipv4OptionType.NO_OPERATION) {
      out.push({ type, data: options.subarray(pos + 1, pos + 1) });
      if (type === Ipv4OptionType.END_OF_LIST) break;
      pos++;
      continue;
    }
    const len = options[pos + 1] ?? 0;
    if (len < 2 || pos + len > options.length) throw new MalformedError('ipv4', 'option length', 'invalid');
    out.push({ type, data: options.subarray(pos + 2, pos + len) });
    pos += len;
  }
  return out;
}

export interface Ipv4Repr {
  dscp: number;
  ecn: number;
  identification: number;
  /** The reserved flag (must be zero on the wire; kept to round-trip). */
  reservedFlag?: boolean;
  dontFragment: boolean;
  moreFragments: boolean;
  /** In 8-byte units. */
  fragmentOffset: number;
  ttl: number;
  protocol: IpProtocol;
  source: Ipv4Address;
  destination: Ipv4Address;
  /** Raw option bytes, a multiple of 4 long, at most 40. */
  options: Uint8Array;
  /** Header checksum as decoded; written only with `computeChecksums: false`. */
  checksum?: number;
  payload: Uint8Array;
}

const scratch = new Ipv4Packet();

export const ipv4 = {
  encodingLength(repr: Ipv4Repr): number {
    return IPV4_MIN_HEADER_LENGTH + repr.options.length + repr.payload.length;
  },

  encode(repr: Ipv4Repr, buf?: Uint8Array, offset = 0, opts: EncodeOptions = {}): Uint8Array {
    const L = 'ipv4';
    const hl = IPV4_MIN_HEADER_LENGTH + repr.options.length;
    const total = hl + repr.payload.length;
    if (repr.options.length % 4 !== 0 || repr.options.length > 40) {
      throw new InvalidArgumentError(L, 'options', 'must be a multiple of 4 bytes, at most 40');
    }
    if (total > 0xffff) throw new InvalidArgumentError(L, 'payload', `total length ${total} exceeds 65535`);
    assertUint(L, 'dscp', repr.dscp, 63);
    assertUint(L, 'ecn', repr.ecn, 3);
    assertUint(L, 'identification', repr.identification, 0xffff);
    assertUint(L, 'fragmentOffset', repr.fragmentOffset, 0x1fff);
    assertUint(L, 'ttl', repr.ttl, 255);
    assertUint(L, 'protocol', repr.protocol, 255);
    if (!Ipv4Address.isValid(repr.source)) throw new InvalidArgumentError(L, 'source', 'not an IPv4 address');
    if (!Ipv4Address.isValid(repr.destination))
      throw new InvalidArgumentError(L, 'destination', 'not an IPv4 address');
    const out = buf ?? new Uint8Array(total);
    if (offset + total > out.length)
      throw new InvalidArgumentError(L, 'buffer', `needs ${total} bytes at ${offset}`);
    const dv = new DataView(out.buffer, out.byteOffset + offset, total);
    dv.setUint8(0, 0x40 | (hl / 4));
    dv.setUint8(1, (repr.dscp << 2) | repr.ecn);
    dv.setUint16(2, total);
    dv.setUint16(4, repr.identification);
    const flags =
      (repr.reservedFlag ? 0x8000 : 0) | (repr.dontFragment ? 0x4000 : 0) | (repr.moreFragments ? 0x2000 : 0);
    dv.setUint16(6, flags | repr.fragmentOffset);
    dv.setUint8(8, repr.ttl);
    dv.setUint8(9, repr.protocol);
    dv.setUint16(10, 0);
    dv.setUint32(12, repr.source);
    dv.setUint32(16, repr.destination);
    out.set(repr.options, offset + IPV4_MIN_HEADER_LENGTH);
    out.set(repr.payload, offset + hl);
    const checksum =
      opts.computeChecksums === false ? (repr.checksum ?? 0) : internetChecksum(out, offset, offset + hl);
    dv.setUint16(10, checksum);
    return out;
  },

  decode(buf: Uint8Array, offset = 0, end = buf.length, opts: DecodeOptions = {}): Decoded<Ipv4Repr> {
    const p = scratch.wrap(buf, offset, end - offset);
    if (opts.verifyChecksums !== false && !p.verifyChecksum())
      throw new ChecksumError('ipv4', 'header checksum does not verify');
    const repr: Ipv4Repr = {
      dscp: p.dscp,
      ecn: p.ecn,
      identification: p.identification,
      dontFragment: p.dontFragment,
      moreFragments: p.moreFragments,
      fragmentOffset: p.fragmentOffset,
      ttl: p.ttl,
      protocol: p.protocol,
      source: p.source,
      destination: p.destination,
      options: p.options(),
      checksum: p.checksum,
      payload: p.payload(),
    };
    if (p.reservedFlag) repr.reservedFlag = true;
    return { value: repr, bytesRead: p.length };
  },
} as const;
