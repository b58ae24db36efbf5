/**
 * ICMP for IPv4 (RFC 792): echo, destination unreachable (with RFC 1191's next-hop MTU
 * for fragmentation needed), time exceeded, and any other type as raw bytes.
 */

import { internetChecksum } from './checksum.js';
import type { Status } from './errors.js';
import { assertUint, ChecksumError, InvalidArgumentError } from './errors.js';
import { ICMP_HEADER_LENGTH, IcmpMessage } from './icmp-base.js';
import type { Ipv4Packet } from './ipv4.js';
import type { Decoded, DecodeOptions, EncodeOptions } from './view.js';

export const Icmpv4Type = {
  ECHO_REPLY: 0,
  DESTINATION_UNREACHABLE: 3,
  REDIRECT: 5,
  ECHO_REQUEST: 8,
  TIME_EXCEEDED: 11,
  PARAMETER_PROBLEM: 12,
} as const;
export type Icmpv4Type = (typeof Icmpv4Type)[keyof typeof Icmpv4Type] | number;

/** Destination unreachable codes (RFC 792, RFC 1122 §3.2.2.1). */
export const Icmpv4UnreachableCode = {
  NET: 0,
  HOST: 1,
  PROTOCOL: 2,
  PORT: 3,
  FRAGMENTATION_NEEDED: 4,
  SOURCE_ROUTE_FAILED: 5,
  ADMIN_PROHIBITED: 13,
} as const;

/** Types whose data is the leading part of the datagram that caused them. */
export function isIcmpv4Error(type: number): boolean {
  return type === 3 || type === 4 || type === 5 || type === 11 || type === 12;
}

/** A zero-copy view of an ICMPv4 message. */
export class Icmpv4Message extends IcmpMessage {
  readonly layer = 'icmpv4';

  get isError(): boolean {
    return isIcmpv4Error(this.type);
  }
  /** Next-hop MTU of a fragmentation-needed message (RFC 1191 §4). */
  get nextHopMtu(): number {
    return this.dv.getUint16(this.offset + 6);
  }

  /** Points `into` at the quoted datagram of an error message (header whole, payload may be cut). */
  quoted(into: Ipv4Packet): Status {
    return into.checkQuoted(this.bytes, this.dataOffset, this.dataLength);
  }

  verifyChecksum(): boolean {
    return this.sum(0) === 0;
  }
  fillChecksum(): void {
    this.checksum = 0;
    this.checksum = this.sum(0);
  }
}

export type Icmpv4Repr =
  | {
      kind: 'echo-request' | 'echo-reply';
      code: number;
      identifier: number;
      sequence: number;
      data: Uint8Array;
      checksum?: number;
    }
  | {
      kind: 'destination-unreachable';
      code: number;
      /** RFC 1191: meaningful for code 4; otherwise 0. */
      nextHopMtu: number;
      /** The unused upper 16 bits of the rest of header (zero on the wire; kept to round-trip). */
      unused?: number;
      /** The quoted original datagram: its IP header and at least 8 bytes of its payload. */
      original: Uint8Array;
      checksum?: number;
    }
  | { kind: 'time-exceeded'; code: number; unused?: number; original: Uint8Array; checksum?: number }
  | { kind: 'other'; type: number; code: number; restOfHeader: number; data: Uint8Array; checksum?: number };

function typeOf(repr: Icmpv4Repr): number {
  switch (repr.kind) {
    case 'echo-request':
      return Icmpv4Type.ECHO_REQUEST;
    case 'echo-reply':
      return Icmpv4Type.ECHO_REPLY;
    case 'destination-unreachable':
      return Icmpv4Type.DESTINATION_UNREACHABLE;
    case 'time-exceeded':
      return Icmpv4Type.TIME_EXCEEDED;
    default:
      return repr.type;
  }
}

function bodyOf(repr: Icmpv4Repr): Uint8Array {
  return repr.kind === 'destination-unreachable' || repr.kind === 'time-exceeded' ? repr.original : repr.data;
}

const scratch = new Icmpv4Message();

export const icmpv4 = {
  encodingLength(repr: Icmpv4Repr): number {
    return ICMP_HEADER_LENGTH + bodyOf(repr).length;
  },

  encode(repr: Icmpv4Repr, buf?: Uint8Array, offset = 0, opts: EncodeOptions = {}): Uint8Array {
    const L = 'icmpv4';
    const len = icmpv4.encodingLength(repr);
    const type = typeOf(repr);
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
        break;
      case 'destination-unreachable':
        assertUint(L, 'nextHopMtu', repr.nextHopMtu, 0xffff);
        assertUint(L, 'unused', repr.unused ?? 0, 0xffff);
        dv.setUint16(4, repr.unused ?? 0);
        dv.setUint16(6, repr.nextHopMtu);
        break;
      case 'time-exceeded':
        assertUint(L, 'unused', repr.unused ?? 0, 0xffff_ffff);
        dv.setUint32(4, repr.unused ?? 0);
        break;
      default:
        assertUint(L, 'restOfHeader', repr.restOfHeader, 0xffff_ffff);
        dv.setUint32(4, repr.restOfHeader);
    }
    out.set(bodyOf(repr), offset + ICMP_HEADER_LENGTH);
    dv.setUint16(
      2,
      opts.computeChecksums === false ? (repr.checksum ?? 0) : internetChecksum(out, offset, offset + len),
    );
    return out;
  },

  decode(buf: Uint8Array, offset = 0, end = buf.length, opts: DecodeOptions = {}): Decoded<Icmpv4Repr> {
    const m = scratch.wrap(buf, offset, end - offset);
    if (opts.verifyChecksums !== false && !m.verifyChecksum()) throw new ChecksumError('icmpv4');
    const base = { code: m.code, checksum: m.checksum };
    let value: Icmpv4Repr;
    switch (m.type) {
      case Icmpv4Type.ECHO_REQUEST:
      case Icmpv4Type.ECHO_REPLY:
        value = {
          kind: m.type === Icmpv4Type.ECHO_REQUEST ? 'echo-request' : 'echo-reply',
          ...base,
          identifier: m.identifier,
          sequence: m.sequence,
          data: m.data(),
        };
        break;
      case Icmpv4Type.DESTINATION_UNREACHABLE: {
        const unused = m.restOfHeader >>> 16;
        value = { kind: 'destination-unreachable', ...base, nextHopMtu: m.nextHopMtu, original: m.data() };
        if (unused !== 0) value.unused = unused;
        break;
      }
      case Icmpv4Type.TIME_EXCEEDED: {
        value = { kind: 'time-exceeded', ...base, original: m.data() };
        if (m.restOfHeader !== 0) value.unused = m.restOfHeader;
        break;
      }
      default:
        value = { kind: 'other', type: m.type, ...base, restOfHeader: m.restOfHeader, data: m.data() };
    }
    return { value, bytesRead: m.length };
  },
} as const;
