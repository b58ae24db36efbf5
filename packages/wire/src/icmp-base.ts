/** The header ICMPv4 (RFC 792) and ICMPv6 (RFC 4443) share: type, code, checksum, 4 bytes, data. */
import { finishChecksum, sumWords } from './checksum.js';
import type { Status } from './errors.js';
import { View } from './view.js';

export const ICMP_HEADER_LENGTH = 8;

export const IcmpField = { TYPE: 0, CODE: 1, CHECKSUM: 2, REST_OF_HEADER: 4, DATA: 8 } as const;

export abstract class IcmpMessage extends View {
  validate(): Status {
    if (this.length < ICMP_HEADER_LENGTH) return this.truncated('header', ICMP_HEADER_LENGTH);
    return this.validateBody();
  }

  protected validateBody(): Status {
    return 0;
  }

  get type(): number {
    return this.dv.getUint8(this.offset); // IcmpField.TYPE
  }
  get code(): number {
    return this.dv.getUint8(this.offset + 1); // IcmpField.CODE
  }
  get checksum(): number {
    return this.dv.getUint16(this.offset + 2); // IcmpField.CHECKSUM
  }
  set checksum(value: number) {
    this.dv.setUint16(this.offset + 2, value); // IcmpField.CHECKSUM
  }
  /** The 32-bit rest-of-header word. */
  get restOfHeader(): number {
    return this.dv.getUint32(this.offset + 4); // IcmpField.REST_OF_HEADER
  }
  /** Echo identifier (the first half of the rest of header). */
  get identifier(): number {
    return this.dv.getUint16(this.offset + 4);
  }
  /** Echo sequence number (the second half). */
  get sequence(): number {
    return this.dv.getUint16(this.offset + 6);
  }

  protected sum(initial: number): number {
    return finishChecksum(sumWords(this.bytes, this.offset, this.offset + this.length, initial));
  }

  get dataOffset(): number {
    return this.offset + ICMP_HEADER_LENGTH;
  }
  get dataLength(): number {
    return this.length - ICMP_HEADER_LENGTH;
  }
  data(): Uint8Array {
    return this.bytes.subarray(this.dataOffset, this.offset + this.length);
  }
}
