/** UDP (RFC 768; over IPv6, RFC 8200 §8.1). */
import { finishChecksum, sumWords, updateChecksum16 } from './checksum.js';
import { assertUint, ChecksumError, InvalidArgumentError, type Status } from './errors.js';
import { type PseudoHeader, pseudoHeaderSum } from './pseudo-header.js';
import { type Decoded, type DecodeOptions, type EncodeOptions, View } from './view.js';

export const UdpField = { SOURCE_PORT: 0, DESTINATION_PORT: 2, LENGTH: 4, CHECKSUM: 6 } as const;
export const UDP_HEADER_LENGTH = 8;

/** A zero-copy view of a UDP datagram. */
export class UdpDatagram extends View {
  readonly layer = 'udp';

  validate(): Status {
    if (this.length < UDP_HEADER_LENGTH) return this.truncated('header', UDP_HEADER_LENGTH);
    const len = this.dv.getUint16(this.offset + 4); // UdpField.LENGTH
    if (len < UDP_HEADER_LENGTH) return this.malformed('length', 'smaller than the 8-byte header');
    if (len > this.length) return this.truncated('length', len);
    this.length = len;
    return 0;
  }

  get sourcePort(): number {
    return this.dv.getUint16(this.offset); // UdpField.SOURCE_PORT
  }
  set sourcePort(port: number) {
    this.patch(UdpField.SOURCE_PORT, port);
  }
  get destinationPort(): number {
    return this.dv.getUint16(this.offset + 2); // UdpField.DESTINATION_PORT
  }
  set destinationPort(port: number) {
    this.patch(UdpField.DESTINATION_PORT, port);
  }
  /** The length field (header plus data). */
  get lengthField(): number {
    return this.dv.getUint16(this.offset + 4); // UdpField.LENGTH
  }
  get checksum(): number {
    return this.dv.getUint16(this.offset + 6); // UdpField.CHECKSUM
  }
  set checksum(value: number) {
    this.dv.setUint16(this.offset + 6, value); // UdpField.CHECKSUM
  }

  /** Rewrites a 16-bit field and keeps the checksum right; a zero checksum (IPv4: none) stays zero. */
  private patch(field: number, value: number): void {
    const old = this.dv.getUint16(this.offset + field);
    this.dv.setUint16(this.offset + field, value);
    const sum = this.checksum;
    if (sum !== 0) this.checksum = updateChecksum16(sum, old, value) || 0xffff;
  }

  /**
   * Verifies against the pseudo-header sum. Over IPv4 a zero checksum means none was
   * computed and verifies (RFC 768); over IPv6 zero is invalid (RFC 8200 §8.1).
   */
  verifyChecksum(pseudoSum: number, ipVersion: 4 | 6 = 4): boolean {
    if (this.checksum === 0) return ipVersion === 4;
    return finishChecksum(sumWords(this.bytes, this.offset, this.offset + this.length, pseudoSum)) === 0;
  }

  /** Fills the checksum; a computed 0 is sent as 0xffff (RFC 768). */
  fillChecksum(pseudoSum: number): void {
    this.checksum = 0;
    this.checksum =
      finishChecksum(sumWords(this.bytes, this.offset, this.offset + this.length, pseudoSum)) || 0xffff;
  }

  get payloadOffset(): number {
    return this.offset + UDP_HEADER_LENGTH;
  }
  get payloadLength(): number {
    return this.length - UDP_HEADER_LENGTH;
  }
  payload(): Uint8Array {
    return this.bytes.subarray(this.payloadOffset, this.offset + this.length);
  }
}

export interface UdpRepr {
  sourcePort: number;
  destinationPort: number;
  /** As decoded; 0 over IPv4 means "no checksum". Written only with `computeChecksums: false`. */
  checksum?: number;
  payload: Uint8Array;
}

const scratch = new UdpDatagram();

export const udp = {
  encodingLength(repr: UdpRepr): number {
    return UDP_HEADER_LENGTH + repr.payload.length;
  },

  /** With `pseudo`, computes the checksum; with `computeChecksums: false`, writes `repr.checksum ?? 0` (0 = none over IPv4). */
  encode(
    repr: UdpRepr,
    buf?: Uint8Array,
    offset = 0,
    opts: EncodeOptions & { pseudo?: PseudoHeader } = {},
  ): Uint8Array {
    const L = 'udp';
    const len = UDP_HEADER_LENGTH + repr.payload.length;
    if (len > 0xffff) throw new InvalidArgumentError(L, 'payload', `length ${len} exceeds 65535`);
    assertUint(L, 'sourcePort', repr.sourcePort, 0xffff);
    assertUint(L, 'destinationPort', repr.destinationPort, 0xffff);
    const out = buf ?? new Uint8Array(len);
    if (offset + len > out.length)
      throw new InvalidArgumentError(L, 'buffer', `needs ${len} bytes at ${offset}`);
    const dv = new DataView(out.buffer, out.byteOffset + offset, len);
    dv.setUint16(0, repr.sourcePort);
    dv.setUint16(2, repr.destinationPort);
    dv.setUint16(4, len);
    dv.setUint16(6, 0);
    out.set(repr.payload, offset + UDP_HEADER_LENGTH);
    if (opts.computeChecksums === false) {
      dv.setUint16(6, repr.checksum ?? 0);
    } else {
      if (opts.pseudo === undefined)
        throw new InvalidArgumentError(L, 'pseudo', 'the checksum needs the pseudo-header');
      const sum = pseudoHeaderSum(opts.pseudo, 17, len);
      dv.setUint16(6, finishChecksum(sumWords(out, offset, offset + len, sum)) || 0xffff);
    }
    return out;
  },

  decode(
    buf: Uint8Array,
    offset = 0,
    end = buf.length,
    opts: DecodeOptions & { pseudo?: PseudoHeader } = {},
  ): Decoded<UdpRepr> {
    const d = scratch.wrap(buf, offset, end - offset);
    if (opts.verifyChecksums !== false && opts.pseudo !== undefined) {
      if (!d.verifyChecksum(pseudoHeaderSum(opts.pseudo, 17, d.length), opts.pseudo.version))
        throw new ChecksumError('udp');
    }
    return {
      value: {
        sourcePort: d.sourcePort,
        destinationPort: d.destinationPort,
        checksum: d.checksum,
        payload: d.payload(),
      },
      bytesRead: d.length,
    };
  },
} as const;
