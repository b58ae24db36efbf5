/**
 * Ethernet II frames with any number of 802.1Q / 802.1ad tags (IEEE 802.3, 802.1Q).
 * The frame check sequence is not part of the bytes (capture and AF_PACKET strip it).
 */
import { MacAddress } from './addresses.js';
import { assertUint, InvalidArgumentError, type Status } from './errors.js';
import { type Decoded, View } from './view.js';

/** EtherType values (IEEE registry); any other 16-bit value is carried as a number. */
export const EtherType = {
  IPv4: 0x0800,
  ARP: 0x0806,
  VLAN: 0x8100,
  IPv6: 0x86dd,
  QinQ: 0x88a8,
  /** Pre-standard QinQ tag some switches still emit. */
  QinQLegacy: 0x9100,
  /** IEEE 802 local experimental EtherType 1; Switchyard heartbeats. */
  LocalExperimental1: 0x88b5,
  LocalExperimental2: 0x88b6,
} as const;
export type EtherType = (typeof EtherType)[keyof typeof EtherType] | number;

/** Field offsets (IEEE 802.3 §3.2). */
export const EthernetField = {
  DESTINATION: 0,
  SOURCE: 6,
  /** The first EtherType/TPID; each tag shifts the inner EtherType by 4. */
  ETHERTYPE: 12,
} as const;

export const ETHERNET_HEADER_LENGTH = 14;
const TAG_LENGTH = 4;
/** Values below this in the EtherType position are an 802.3 length (IEEE 802.3 §3.2.6). */
export const ETHERTYPE_MIN = 0x0600;

/** True for the TPIDs of 802.1Q/802.1ad tags (internal: checksum.ts walks tags too). */
export function isTagTpid(type: number): boolean {
  return type === EtherType.VLAN || type === EtherType.QinQ || type === EtherType.QinQLegacy;
}

/** A zero-copy view of an Ethernet II frame. */
export class EthernetFrame extends View {
  readonly layer = 'ethernet';
  /** How many 802.1Q/802.1ad tags precede the EtherType. */
  tagCount = 0;
  /** Header length in bytes including tags, as validated. */
  headerLength = ETHERNET_HEADER_LENGTH;

  validate(): Status {
    if (this.length < ETHERNET_HEADER_LENGTH) return this.truncated('header', ETHERNET_HEADER_LENGTH);
    let count = 0;
    let pos = EthernetField.ETHERTYPE;
    while (isTagTpid(this.dv.getUint16(this.offset + pos))) {
      if (pos + TAG_LENGTH + 2 > this.length) return this.truncated('802.1Q tag', pos + TAG_LENGTH + 2);
      count++;
      pos += TAG_LENGTH;
    }
    this.tagCount = count;
    this.headerLength = pos + 2;
    return 0;
  }

  get destination(): MacAddress {
    return this.dv.getUint16(this.offset) * 0x1_0000_0000 + this.dv.getUint32(this.offset + 2);
  }
  set destination(mac: MacAddress) {
    MacAddress.write(mac, this.bytes, this.offset);
  }

  get source(): MacAddress {
    return this.dv.getUint16(this.offset + 6) * 0x1_0000_0000 + this.dv.getUint32(this.offset + 8);
  }
  set source(mac: MacAddress) {
    MacAddress.write(mac, this.bytes, this.offset + 6);
  }

  /** I/G bit of the destination: multicast or broadcast. */
  get isDestinationGroup(): boolean {
    return (this.dv.getUint8(this.offset) & 1) !== 0;
  }

  /** Compares the destination with `mac` without building a number per frame. */
  destinationEquals(mac: MacAddress): boolean {
    return (
      this.dv.getUint32(this.offset + 2) === mac % 0x1_0000_0000 &&
      this.dv.getUint16(this.offset) === Math.floor(mac / 0x1_0000_0000)
    );
  }

  sourceEquals(mac: MacAddress): boolean {
    return (
      this.dv.getUint32(this.offset + 8) === mac % 0x1_0000_0000 &&
      this.dv.getUint16(this.offset + 6) === Math.floor(mac / 0x1_0000_0000)
    );
  }

  /** The EtherType after all tags (or an 802.3 length when below 0x0600). */
  get etherType(): EtherType {
    return this.dv.getUint16(this.offset + this.headerLength - 2);
  }
  set etherType(type: EtherType) {
    this.dv.setUint16(this.offset + this.headerLength - 2, type);
  }

  /** True for an IEEE 802.3 length field instead of an EtherType. */
  get isLengthField(): boolean {
    return this.etherType < ETHERTYPE_MIN;
  }

  /** TPID of tag `i` (0 = outermost). Caller keeps `i < tagCount`. */
  tpid(i: number): number {
    return this.dv.getUint16(this.offset + 12 + TAG_LENGTH * i); // EthernetField.ETHERTYPE
  }

  /** Tag control information of tag `i`: PCP (3) | DEI (1) | VID (12). */
  tci(i: number): number {
    return this.dv.getUint16(this.offset + 12 + TAG_LENGTH * i + 2); // EthernetField.ETHERTYPE
  }
  setTci(i: number, tci: number): void {
    this.dv.setUint16(this.offset + 12 + TAG_LENGTH * i + 2, tci); // EthernetField.ETHERTYPE
  }

  /** VLAN id of tag `i`. */
  vid(i: number): number {
    return this.tci(i) & 0x0fff;
  }

  /** Offset of the payload within `bytes`. */
  get payloadOffset(): number {
    return this.offset + this.headerLength;
  }

  get payloadLength(): number {
    return this.length - this.headerLength;
  }

  payload(): Uint8Array {
    return this.bytes.subarray(this.payloadOffset, this.offset + this.length);
  }
}

/** One 802.1Q (C-tag) or 802.1ad (S-tag) tag. */
export interface VlanTag {
  /** Tag protocol identifier: 0x8100, 0x88a8 or 0x9100. */
  tpid: number;
  /** Priority code point (0-7). */
  pcp: number;
  /** Drop eligible indicator. */
  dei: boolean;
  /** VLAN identifier (0-4095). */
  vid: number;
}

export interface EthernetRepr {
  destination: MacAddress;
  source: MacAddress;
  /** Outermost first. */
  tags: VlanTag[];
  etherType: EtherType;
  /** Everything after the EtherType, including any link padding. */
  payload: Uint8Array;
}

const scratch = new EthernetFrame();

export const ethernet = {
  encodingLength(repr: EthernetRepr): number {
    return ETHERNET_HEADER_LENGTH + TAG_LENGTH * repr.tags.length + repr.payload.length;
  },

  encode(repr: EthernetRepr, buf?: Uint8Array, offset = 0): Uint8Array {
    const len = ethernet.encodingLength(repr);
    const out = buf ?? new Uint8Array(len);
    if (!MacAddress.isValid(repr.destination))
      throw new InvalidArgumentError('ethernet', 'destination', 'not a 48-bit MAC');
    if (!MacAddress.isValid(repr.source))
      throw new InvalidArgumentError('ethernet', 'source', 'not a 48-bit MAC');
    assertUint('ethernet', 'etherType', repr.etherType, 0xffff);
    if (offset + len > out.length)
      throw new InvalidArgumentError('ethernet', 'buffer', `needs ${len} bytes at ${offset}`);
    MacAddress.write(repr.destination, out, offset);
    MacAddress.write(repr.source, out, offset + 6);
    const dv = new DataView(out.buffer, out.byteOffset + offset, len);
    let pos = EthernetField.ETHERTYPE;
    for (const tag of repr.tags) {
      if (!isTagTpid(tag.tpid))
        throw new InvalidArgumentError('ethernet', 'tags.tpid', `not a tag TPID: ${tag.tpid}`);
      assertUint('ethernet', 'tags.pcp', tag.pcp, 7);
      assertUint('ethernet', 'tags.vid', tag.vid, 0xfff);
      dv.setUint16(pos, tag.tpid);
      dv.setUint16(pos + 2, (tag.pcp << 13) | (tag.dei ? 0x1000 : 0) | tag.vid);
      pos += TAG_LENGTH;
    }
    if (isTagTpid(repr.etherType))
      throw new InvalidArgumentError('ethernet', 'etherType', 'a tag TPID belongs in tags');
    dv.setUint16(pos, repr.etherType);
    out.set(repr.payload, offset + pos + 2);
    return out;
  },

  decode(buf: Uint8Array, offset = 0, end = buf.length): Decoded<EthernetRepr> {
    const f = scratch.wrap(buf, offset, end - offset);
    const tags: VlanTag[] = [];
    for (let i = 0; i < f.tagCount; i++) {
      const tci = f.tci(i);
      tags.push({ tpid: f.tpid(i), pcp: tci >>> 13, dei: (tci & 0x1000) !== 0, vid: tci & 0xfff });
    }
    return {
      value: {
        destination: f.destination,
        source: f.source,
        tags,
        etherType: f.etherType,
        payload: f.payload(),
      },
      bytesRead: f.length,
    };
  },
} as const;
