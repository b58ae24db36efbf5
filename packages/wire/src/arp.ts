/**
 * ARP (RFC 826). Ethernet/IPv4 packets get typed fields; any other hardware or
 * protocol type round-trips as raw address bytes.
 */
import { Ipv4Address, MacAddress } from './addresses.js';
import { assertUint, InvalidArgumentError, type Status } from './errors.js';
import { type Decoded, View } from './view.js';

export const ArpOperation = {
  REQUEST: 1,
  REPLY: 2,
  /** RFC 903 */
  RARP_REQUEST: 3,
  RARP_REPLY: 4,
} as const;
export type ArpOperation = (typeof ArpOperation)[keyof typeof ArpOperation] | number;

export const ArpHardwareType = { ETHERNET: 1 } as const;

/** Field offsets (RFC 826, "Packet format"); address positions depend on hlen/plen. */
export const ArpField = {
  HTYPE: 0,
  PTYPE: 2,
  HLEN: 4,
  PLEN: 5,
  OPER: 6,
  SHA: 8,
} as const;

const FIXED = 8;
export const ARP_ETHERNET_IPV4_LENGTH = 28;

/** A zero-copy view of an ARP packet. */
export class ArpPacket extends View {
  readonly layer = 'arp';

  validate(): Status {
    if (this.length < FIXED) return this.truncated('header', FIXED);
    const need = FIXED + 2 * (this.hardwareLength + this.protocolLength);
    if (need > this.length) return this.truncated('addresses', need);
    this.length = need; // drop Ethernet padding
    return 0;
  }

  get hardwareType(): number {
    return this.dv.getUint16(this.offset); // ArpField.HTYPE
  }
  get protocolType(): number {
    return this.dv.getUint16(this.offset + 2); // ArpField.PTYPE
  }
  get hardwareLength(): number {
    return this.dv.getUint8(this.offset + 4); // ArpField.HLEN
  }
  get protocolLength(): number {
    return this.dv.getUint8(this.offset + 5); // ArpField.PLEN
  }
  get operation(): ArpOperation {
    return this.dv.getUint16(this.offset + 6); // ArpField.OPER
  }
  set operation(op: ArpOperation) {
    this.dv.setUint16(this.offset + 6, op); // ArpField.OPER
  }

  /** Ethernet (1) hardware, IPv4 (0x0800) protocol, with lengths 6 and 4. */
  get isEthernetIpv4(): boolean {
    return (
      this.dv.getUint32(this.offset) === 0x0001_0800 && this.dv.getUint16(this.offset + 4) === 0x0604 // ArpField.HLEN
    );
  }

  // The typed address accessors below assume `isEthernetIpv4`.
  get senderHardwareAddress(): MacAddress {
    return MacAddress.read(this.bytes, this.offset + 8);
  }
  set senderHardwareAddress(mac: MacAddress) {
    MacAddress.write(mac, this.bytes, this.offset + 8);
  }
  get senderProtocolAddress(): Ipv4Address {
    return this.dv.getUint32(this.offset + 14);
  }
  set senderProtocolAddress(addr: Ipv4Address) {
    this.dv.setUint32(this.offset + 14, addr);
  }
  get targetHardwareAddress(): MacAddress {
    return MacAddress.read(this.bytes, this.offset + 18);
  }
  set targetHardwareAddress(mac: MacAddress) {
    MacAddress.write(mac, this.bytes, this.offset + 18);
  }
  get targetProtocolAddress(): Ipv4Address {
    return this.dv.getUint32(this.offset + 24);
  }
  set targetProtocolAddress(addr: Ipv4Address) {
    this.dv.setUint32(this.offset + 24, addr);
  }
}

/** An Ethernet/IPv4 ARP packet. */
export interface ArpEthernetIpv4Repr {
  kind: 'ethernet-ipv4';
  operation: ArpOperation;
  senderHardwareAddress: MacAddress;
  senderProtocolAddress: Ipv4Address;
  targetHardwareAddress: MacAddress;
  targetProtocolAddress: Ipv4Address;
}

/** Any other hardware/protocol combination, addresses as raw bytes. */
export interface ArpRawRepr {
  kind: 'raw';
  hardwareType: number;
  protocolType: number;
  operation: ArpOperation;
  senderHardwareAddress: Uint8Array;
  senderProtocolAddress: Uint8Array;
  targetHardwareAddress: Uint8Array;
  targetProtocolAddress: Uint8Array;
}

export type ArpRepr = ArpEthernetIpv4Repr | ArpRawRepr;

const scratch = new ArpPacket();

export const arp = {
  encodingLength(repr: ArpRepr): number {
    if (repr.kind === 'ethernet-ipv4') return ARP_ETHERNET_IPV4_LENGTH;
    return FIXED + 2 * (repr.senderHardwareAddress.length + repr.senderProtocolAddress.length);
  },

  encode(repr: ArpRepr, buf?: Uint8Array, offset = 0): Uint8Array {
    const len = arp.encodingLength(repr);
    const out = buf ?? new Uint8Array(len);
    if (offset + len > out.length)
      throw new InvalidArgumentError('arp', 'buffer', `needs ${len} bytes at ${offset}`);
    assertUint('arp', 'operation', repr.operation, 0xffff);
    const dv = new DataView(out.buffer, out.byteOffset + offset, len);
    dv.setUint16(ArpField.OPER, repr.operation);
    if (repr.kind === 'ethernet-ipv4') {
      for (const f of ['senderHardwareAddress', 'targetHardwareAddress'] as const) {
        if (!MacAddress.isValid(repr[f])) throw new InvalidArgumentError('arp', f, 'not a 48-bit MAC');
      }
      for (const f of ['senderProtocolAddress', 'targetProtocolAddress'] as const) {
        if (!Ipv4Address.isValid(repr[f])) throw new InvalidArgumentError('arp', f, 'not an IPv4 address');
      }
      dv.setUint32(ArpField.HTYPE, 0x0001_0800);
      dv.setUint16(ArpField.HLEN, 0x0604);
      MacAddress.write(repr.senderHardwareAddress, out, offset + 8);
      dv.setUint32(14, repr.senderProtocolAddress);
      MacAddress.write(repr.targetHardwareAddress, out, offset + 18);
      dv.setUint32(24, repr.targetProtocolAddress);
      return out;
    }
    const hlen = repr.senderHardwareAddress.length;
    const plen = repr.senderProtocolAddress.length;
    if (repr.targetHardwareAddress.length !== hlen || hlen > 255) {
      throw new InvalidArgumentError(
        'arp',
        'targetHardwareAddress',
        `must be ${hlen} bytes like the sender's (at most 255)`,
      );
    }
    if (repr.targetProtocolAddress.length !== plen || plen > 255) {
      throw new InvalidArgumentError(
        'arp',
        'targetProtocolAddress',
        `must be ${plen} bytes like the sender's (at most 255)`,
      );
    }
    assertUint('arp', 'hardwareType', repr.hardwareType, 0xffff);
    assertUint('arp', 'protocolType', repr.protocolType, 0xffff);
    dv.setUint16(ArpField.HTYPE, repr.hardwareType);
    dv.setUint16(ArpField.PTYPE, repr.protocolType);
    dv.setUint8(ArpField.HLEN, hlen);
    dv.setUint8(ArpField.PLEN, plen);
    let pos = offset + FIXED;
    for (const part of [
      repr.senderHardwareAddress,
      repr.senderProtocolAddress,
      repr.targetHardwareAddress,
      repr.targetProtocolAddress,
    ]) {
      out.set(part, pos);
      pos += part.length;
    }
    return out;
  },

  decode(buf: Uint8Array, offset = 0, end = buf.length): Decoded<ArpRepr> {
    const p = scratch.wrap(buf, offset, end - offset);
    if (p.isEthernetIpv4) {
      return {
        value: {
          kind: 'ethernet-ipv4',
          operation: p.operation,
          senderHardwareAddress: p.senderHardwareAddress,
          senderProtocolAddress: p.senderProtocolAddress,
          targetHardwareAddress: p.targetHardwareAddress,
          targetProtocolAddress: p.targetProtocolAddress,
        },
        bytesRead: p.length,
      };
    }
    const hlen = p.hardwareLength;
    const plen = p.protocolLength;
    const at = (start: number, n: number) => buf.slice(offset + start, offset + start + n);
    return {
      value: {
        kind: 'raw',
        hardwareType: p.hardwareType,
        protocolType: p.protocolType,
        operation: p.operation,
        senderHardwareAddress: at(FIXED, hlen),
        senderProtocolAddress: at(FIXED + hlen, plen),
        targetHardwareAddress: at(FIXED + hlen + plen, hlen),
        targetProtocolAddress: at(FIXED + 2 * hlen + plen, plen),
      },
      bytesRead: p.length,
    };
  },
} as const;
