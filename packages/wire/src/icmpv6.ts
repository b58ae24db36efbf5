/**
 * ICMPv6 (RFC 4443): echo, destination unreachable, packet too big, time exceeded; and
 * Neighbor Discovery (RFC 4861) solicitations and advertisements with their options.
 */
import { Ipv6Address, MacAddress } from './addresses.js';
import { finishChecksum, sumWords } from './checksum.js';
import type { Status } from './errors.js';
import { assertUint, ChecksumError, InvalidArgumentError } from './errors.js';
import { ICMP_HEADER_LENGTH, IcmpMessage } from './icmp-base.js';
import { type PseudoHeader, pseudoHeaderSum } from './pseudo-header.js';
import type { Decoded, DecodeOptions, EncodeOptions } from './view.js';

export const Icmpv6Type = {
  DESTINATION_UNREACHABLE: 1,
  PACKET_TOO_BIG: 2,
  TIME_EXCEEDED: 3,
  PARAMETER_PROBLEM: 4,
  ECHO_REQUEST: 128,
  ECHO_REPLY: 129,
  ROUTER_SOLICITATION: 133,
  ROUTER_ADVERTISEMENT: 134,
  NEIGHBOR_SOLICITATION: 135,
  NEIGHBOR_ADVERTISEMENT: 136,
  REDIRECT: 137,
} as const;
export type Icmpv6Type = (typeof Icmpv6Type)[keyof typeof Icmpv6Type] | number;

export const NdpOptionType = {
  SOURCE_LINK_LAYER_ADDRESS: 1,
  TARGET_LINK_LAYER_ADDRESS: 2,
  PREFIX_INFORMATION: 3,
  REDIRECTED_HEADER: 4,
  MTU: 5,
} as const;

/** Where the options of each Neighbor Discovery message start (RFC 4861 §4.1-4.5). */
function ndpOptionsStart(type: number): number {
  switch (type) {
    case Icmpv6Type.ROUTER_SOLICITATION:
      return 8;
    case Icmpv6Type.ROUTER_ADVERTISEMENT:
      return 16;
    case Icmpv6Type.NEIGHBOR_SOLICITATION:
    case Icmpv6Type.NEIGHBOR_ADVERTISEMENT:
      return 24;
    case Icmpv6Type.REDIRECT:
      return 40;
    default:
      return -1;
  }
}

/** A zero-copy view of an ICMPv6 message. */
export class Icmpv6Message extends IcmpMessage {
  readonly layer = 'icmpv6';

  protected override validateBody(): Status {
    const start = ndpOptionsStart(this.type);
    if (start < 0) return 0;
    if (this.length < start) return this.truncated('neighbor discovery message', start);
    for (let pos = start; pos < this.length; ) {
      if (pos + 2 > this.length) return this.truncated('option', pos + 2);
      const units = this.dv.getUint8(this.offset + pos + 1);
      if (units === 0) return this.malformed('option length', 'zero'); // RFC 4861 §4.6: MUST be discarded
      pos += units * 8;
      if (pos > this.length) return this.truncated('option', pos);
    }
    return 0;
  }

  /** MTU of a packet-too-big message. */
  get mtu(): number {
    return this.restOfHeader;
  }
  /** Target address of a neighbor solicitation or advertisement. */
  get targetAddress(): Ipv6Address {
    return Ipv6Address.read(this.bytes, this.offset + 8);
  }
  /** Neighbor advertisement flags (RFC 4861 §4.4). */
  get router(): boolean {
    return (this.dv.getUint8(this.offset + 4) & 0x80) !== 0;
  }
  get solicited(): boolean {
    return (this.dv.getUint8(this.offset + 4) & 0x40) !== 0;
  }
  get override(): boolean {
    return (this.dv.getUint8(this.offset + 4) & 0x20) !== 0;
  }
  /** Offset of the first ND option within `bytes`, or -1 for a non-ND message. */
  get ndpOptionsOffset(): number {
    const start = ndpOptionsStart(this.type);
    return start < 0 ? -1 : this.offset + start;
  }

  /** The pseudo-header is mandatory for ICMPv6 (RFC 4443 §2.3). */
  verifyChecksum(pseudoSum: number): boolean {
    return this.sum(pseudoSum) === 0;
  }
  fillChecksum(pseudoSum: number): void {
    this.checksum = 0;
    this.checksum = this.sum(pseudoSum);
  }
}

/** A Neighbor Discovery option. */
export type NdpOption =
  | { kind: 'source-link-layer-address' | 'target-link-layer-address'; address: MacAddress }
  /** Any other option: its type and the bytes after type and length (a multiple of 8, minus 2). */
  | { kind: 'raw'; type: number; data: Uint8Array };

export type Icmpv6Repr =
  | {
      kind: 'echo-request' | 'echo-reply';
      code: number;
      identifier: number;
      sequence: number;
      data: Uint8Array;
      checksum?: number;
    }
  | { kind: 'packet-too-big'; code: number; mtu: number; original: Uint8Array; checksum?: number }
  | {
      kind: 'destination-unreachable' | 'time-exceeded';
      code: number;
      unused?: number;
      original: Uint8Array;
      checksum?: number;
    }
  | {
      kind: 'neighbor-solicitation';
      code: number;
      reserved?: number;
      target: Ipv6Address;
      options: NdpOption[];
      checksum?: number;
    }
  | {
      kind: 'neighbor-advertisement';
      code: number;
      router: boolean;
      solicited: boolean;
      override: boolean;
      reserved?: number;
      target: Ipv6Address;
      options: NdpOption[];
      checksum?: number;
    }
  | { kind: 'other'; type: number; code: number; restOfHeader: number; data: Uint8Array; checksum?: number };

const KIND_TYPES = {
  'echo-request': Icmpv6Type.ECHO_REQUEST,
  'echo-reply': Icmpv6Type.ECHO_REPLY,
  'packet-too-big': Icmpv6Type.PACKET_TOO_BIG,
  'destination-unreachable': Icmpv6Type.DESTINATION_UNREACHABLE,
  'time-exceeded': Icmpv6Type.TIME_EXCEEDED,
  'neighbor-solicitation': Icmpv6Type.NEIGHBOR_SOLICITATION,
  'neighbor-advertisement': Icmpv6Type.NEIGHBOR_ADVERTISEMENT,
} as const;

function ndpOptionLength(o: NdpOption): number {
  if (o.kind !== 'raw') return 8;
  const n = o.data.length + 2;
  if (n % 8 !== 0 || n > 255 * 8)
    throw new InvalidArgumentError('icmpv6', 'options', 'option data must be 8n - 2 bytes');
  return n;
}

function bodyLength(repr: Icmpv6Repr): number {
  switch (repr.kind) {
    case 'neighbor-solicitation':
    case 'neighbor-advertisement':
      return 16 + repr.options.reduce((n, o) => n + ndpOptionLength(o), 0);
    case 'packet-too-big':
    case 'destination-unreachable':
    case 'time-exceeded':
      return repr.original.length;
    default:
      return repr.data.length;
  }
}

function parseNdpOptions(bytes: Uint8Array, start: number, end: number): NdpOption[] {
  const out: NdpOption[] = [];
  for (let pos = start; pos < end; ) {
    const type = bytes[pos]!;
    const len = bytes[pos + 1]! * 8;
    if ((type === 1 || type === 2) && len === 8) {
      out.push({
        kind: type === 1 ? 'source-link-layer-address' : 'target-link-layer-address',
        address: MacAddress.read(bytes, pos + 2),
      });
    } else {
      out.push({ kind: 'raw', type, data: bytes.slice(pos + 2, pos + len) });
    }
    pos += len;
  }
  return out;
}

const scratch = new Icmpv6Message();

export const icmpv6 = {
  encodingLength(repr: Icmpv6Repr): number {
    return ICMP_HEADER_LENGTH + bodyLength(repr);
  },

  /** The checksum covers the IPv6 pseudo-header: pass `pseudo`, or `computeChecksums: false`. */
  encode(
    repr: Icmpv6Repr,
    buf?: Uint8Array,
    offset = 0,
    opts: EncodeOptions & { pseudo?: PseudoHeader } = {},
  ): Uint8Array {
    const L = 'icmpv6';
    const len = icmpv6.encodingLength(repr);
    const type = repr.kind === 'other' ? repr.type : KIND_TYPES[repr.kind];
    assertUint(L, 'type', type, 255);
    assertUint(L, 'code', repr.code, 255);
    const out = buf ?? new Uint8Array(len);
    if (offset + len > out.length)
      throw new InvalidArgumentError(L, 'buffer', `needs ${len} bytes at ${offset}`);
    const dv = new DataView(out.buffer, out.byteOffset + offset, len);
    dv.setUint8(0, type);
    dv.setUint8(1, repr.code);
    dv.setUint16(2, 0);
    switch (repr.kind) {
      case 'echo-request':
      case 'echo-reply':
        assertUint(L, 'identifier', repr.identifier, 0xffff);
        assertUint(L, 'sequence', repr.sequence, 0xffff);
        dv.setUint16(4, repr.identifier);
        dv.setUint16(6, repr.sequence);
        out.set(repr.data, offset + 8);
        break;
      case 'packet-too-big':
        assertUint(L, 'mtu', repr.mtu, 0xffff_ffff);
        dv.setUint32(4, repr.mtu);
        out.set(repr.original, offset + 8);
        break;
      case 'destination-unreachable':
      case 'time-exceeded':
        assertUint(L, 'unused', repr.unused ?? 0, 0xffff_ffff);
        dv.setUint32(4, repr.unused ?? 0);
        out.set(repr.original, offset + 8);
        break;
      case 'neighbor-solicitation':
      case 'neighbor-advertisement': {
        const flags =
          repr.kind === 'neighbor-advertisement'
            ? (repr.router ? 0x8000_0000 : 0) |
              (repr.solicited ? 0x4000_0000 : 0) |
              (repr.override ? 0x2000_0000 : 0)
            : 0;
        const reserved = repr.reserved ?? 0;
        assertUint(
          L,
          'reserved',
          reserved,
          repr.kind === 'neighbor-advertisement' ? 0x1fff_ffff : 0xffff_ffff,
        );
        if (!Ipv6Address.isValid(repr.target))
          throw new InvalidArgumentError(L, 'target', 'not an IPv6 address');
        dv.setUint32(4, (flags | reserved) >>> 0);
        Ipv6Address.write(repr.target, out, offset + 8);
        let pos = 24;
        for (const o of repr.options) {
          const n = ndpOptionLength(o);
          if (o.kind === 'raw') {
            assertUint(L, 'options.type', o.type, 255);
            dv.setUint8(pos, o.type);
            out.set(o.data, offset + pos + 2);
          } else {
            if (!MacAddress.isValid(o.address))
              throw new InvalidArgumentError(L, 'options.address', 'not a 48-bit MAC');
            dv.setUint8(pos, o.kind === 'source-link-layer-address' ? 1 : 2);
            MacAddress.write(o.address, out, offset + pos + 2);
          }
          dv.setUint8(pos + 1, n / 8);
          pos += n;
        }
        break;
      }
      default:
        assertUint(L, 'restOfHeader', repr.restOfHeader, 0xffff_ffff);
        dv.setUint32(4, repr.restOfHeader);
        out.set(repr.data, offset + 8);
    }
    if (opts.computeChecksums === false) {
      dv.setUint16(2, repr.checksum ?? 0);
    } else {
      if (opts.pseudo === undefined)
        throw new InvalidArgumentError(L, 'pseudo', 'the checksum needs the pseudo-header');
      dv.setUint16(
        2,
        finishChecksum(sumWords(out, offset, offset + len, pseudoHeaderSum(opts.pseudo, 58, len))),
      );
    }
    return out;
  },

  decode(
    buf: Uint8Array,
    offset = 0,
    end = buf.length,
    opts: DecodeOptions & { pseudo?: PseudoHeader } = {},
  ): Decoded<Icmpv6Repr> {
    const m = scratch.wrap(buf, offset, end - offset);
    if (opts.verifyChecksums !== false && opts.pseudo !== undefined) {
      if (!m.verifyChecksum(pseudoHeaderSum(opts.pseudo, 58, m.length))) throw new ChecksumError('icmpv6');
    }
    const code = m.code;
    const checksum = m.checksum;
    const rest = m.restOfHeader;
    let value: Icmpv6Repr;
    switch (m.type) {
      case Icmpv6Type.ECHO_REQUEST:
      case Icmpv6Type.ECHO_REPLY:
        value = {
          kind: m.type === Icmpv6Type.ECHO_REQUEST ? 'echo-request' : 'echo-reply',
          code,
          identifier: m.identifier,
          sequence: m.sequence,
          data: m.data(),
          checksum,
        };
        break;
      case Icmpv6Type.PACKET_TOO_BIG:
        value = { kind: 'packet-too-big', code, mtu: rest, original: m.data(), checksum };
        break;
      case Icmpv6Type.DESTINATION_UNREACHABLE:
      case Icmpv6Type.TIME_EXCEEDED:
        value = {
          kind: m.type === Icmpv6Type.TIME_EXCEEDED ? 'time-exceeded' : 'destination-unreachable',
          code,
          original: m.data(),
          checksum,
        };
        if (rest !== 0) value.unused = rest;
        break;
      case Icmpv6Type.NEIGHBOR_SOLICITATION:
      case Icmpv6Type.NEIGHBOR_ADVERTISEMENT: {
        const options = parseNdpOptions(buf, offset + 24, offset + m.length);
        if (m.type === Icmpv6Type.NEIGHBOR_SOLICITATION) {
          value = { kind: 'neighbor-solicitation', code, target: m.targetAddress, options, checksum };
          if (rest !== 0) value.reserved = rest;
        } else {
          value = {
            kind: 'neighbor-advertisement',
            code,
            router: m.router,
            solicited: m.solicited,
            override: m.override,
            target: m.targetAddress,
            options,
            checksum,
          };
          if ((rest & 0x1fff_ffff) !== 0) value.reserved = rest & 0x1fff_ffff;
        }
        break;
      }
      default:
        value = { kind: 'other', type: m.type, code, restOfHeader: rest, data: m.data(), checksum };
    }
    return { value, bytesRead: m.length };
  },
} as const;
