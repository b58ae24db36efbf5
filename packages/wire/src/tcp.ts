/**
 * TCP (RFC 9293) with every common option: EOL, NOP, MSS, window scale (RFC 7323),
 * SACK-permitted and SACK (RFC 2018), timestamps (RFC 7323) and experimental options
 * with an ExID (RFC 6994). Unknown kinds round-trip as bytes.
 */
import { finishChecksum, sumWords, updateChecksum16, updateChecksum32 } from './checksum.js';
import { assertUint, ChecksumError, InvalidArgumentError, type Status } from './errors.js';
import { type PseudoHeader, pseudoHeaderSum } from './pseudo-header.js';
import { type Decoded, type DecodeOptions, type EncodeOptions, View } from './view.js';

/** Flag bits of the 16-bit data-offset/flags word (RFC 9293 §3.1; AE is RFC 9768's former NS bit). */
export const TcpFlag = {
  FIN: 0x001,
  SYN: 0x002,
  RST: 0x004,
  PSH: 0x008,
  ACK: 0x010,
  URG: 0x020,
  ECE: 0x040,
  CWR: 0x080,
  AE: 0x100,
} as const;
export type TcpFlag = (typeof TcpFlag)[keyof typeof TcpFlag];

export const TcpOptionKind = {
  END_OF_LIST: 0,
  NO_OPERATION: 1,
  MSS: 2,
  WINDOW_SCALE: 3,
  SACK_PERMITTED: 4,
  SACK: 5,
  TIMESTAMPS: 8,
  /** RFC 4727 / RFC 6994 experimental kinds. */
  EXPERIMENTAL_1: 253,
  EXPERIMENTAL_2: 254,
} as const;
export type TcpOptionKind = (typeof TcpOptionKind)[keyof typeof TcpOptionKind] | number;

/** Field offsets (RFC 9293 §3.1). */
export const TcpField = {
  SOURCE_PORT: 0,
  DESTINATION_PORT: 2,
  SEQ: 4,
  ACK: 8,
  DATA_OFFSET_FLAGS: 12,
  WINDOW: 14,
  CHECKSUM: 16,
  URGENT_POINTER: 18,
  OPTIONS: 20,
} as const;

export const TCP_MIN_HEADER_LENGTH = 20;
export const TCP_MAX_HEADER_LENGTH = 60;

/** Option lengths fixed by their RFCs; 0 means variable. */
function fixedOptionLength(kind: number): number {
  switch (kind) {
    case TcpOptionKind.MSS:
      return 4;
    case TcpOptionKind.WINDOW_SCALE:
      return 3;
    case TcpOptionKind.SACK_PERMITTED:
      return 2;
    case TcpOptionKind.TIMESTAMPS:
      return 10;
    default:
      return 0;
  }
}

/**
 * Linux's option layouts, which skip the option walk: data segments carry NOP, NOP,
 * timestamps; SYN and SYN-ACK carry MSS, SACK permitted, timestamps, NOP, window scale
 * (all fixed lengths, so valid as they stand). The caller has checked `hl` bytes exist.
 * Shared by `TcpSegment.validate` and `decodeFrame`'s fast path.
 */
export function isLinuxOptionLayout(dv: DataView, offset: number, hl: number): boolean {
  if (hl === 32) return dv.getUint32(offset + 20) === 0x0101_080a; // TcpField.OPTIONS
  return (
    hl === 40 &&
    dv.getUint16(offset + 20) === 0x0204 &&
    dv.getUint32(offset + 24) === 0x0402_080a &&
    dv.getUint32(offset + 36) >>> 8 === 0x01_0303
  );
}

/** A zero-copy view of a TCP segment. */
export class TcpSegment extends View {
  readonly layer = 'tcp';
  /** Header length in bytes, as validated (data offset x 4). */
  headerLength = TCP_MIN_HEADER_LENGTH;

  validate(): Status {
    if (this.length < TCP_MIN_HEADER_LENGTH) return this.truncated('header', TCP_MIN_HEADER_LENGTH);
    const hl = (this.dv.getUint8(this.offset + 12) >>> 4) * 4; // TcpField.DATA_OFFSET_FLAGS
    if (hl < TCP_MIN_HEADER_LENGTH) return this.malformed('data offset', 'must be at least 5 (20 bytes)');
    if (hl > this.length) return this.truncated('header with options', hl);
    this.headerLength = hl;
    if (hl === TCP_MIN_HEADER_LENGTH) return 0;
    if (isLinuxOptionLayout(this.dv, this.offset, hl)) return 0;
    return this.validateOptions(hl);
  }

  private validateOptions(hl: number) {
    let pos = TcpField.OPTIONS;
    while (pos < hl) {
      const kind = this.dv.getUint8(this.offset + pos);
      if (kind === TcpOptionKind.END_OF_LIST) break;
      if (kind === TcpOptionKind.NO_OPERATION) {
        pos++;
        continue;
      }
      if (pos + 1 >= hl) return this.malformed('option length', 'past the end of the header');
      const len = this.dv.getUint8(this.offset + pos + 1);
      if (len < 2) return this.malformed('option length', 'less than 2'); // RFC 9293 §3.2: length includes kind and length
      if (pos + len > hl) return this.malformed('option length', 'option runs past the end of the header');
      const fixed = fixedOptionLength(kind);
      if (fixed !== 0 && len !== fixed)
        return this.malformed('option length', 'wrong length for a fixed-size option');
      // RFC 2018 §3: 2 + 8n bytes, n >= 1.
      if (kind === TcpOptionKind.SACK && (len < 10 || (len - 2) % 8 !== 0))
        return this.malformed('sack', 'length must be 2 + 8n');
      // RFC 6994 §3: an experimental option carries at least a 16-bit ExID.
      if ((kind === TcpOptionKind.EXPERIMENTAL_1 || kind === TcpOptionKind.EXPERIMENTAL_2) && len < 4) {
        return this.malformed('experimental option', 'shorter than its 16-bit ExID');
      }
      pos += len;
    }
    return 0;
  }

  get sourcePort(): number {
    return this.dv.getUint16(this.offset); // TcpField.SOURCE_PORT
  }
  set sourcePort(port: number) {
    this.checksum = updateChecksum16(this.checksum, this.sourcePort, port);
    this.dv.setUint16(this.offset, port); // TcpField.SOURCE_PORT
  }
  get destinationPort(): number {
    return this.dv.getUint16(this.offset + 2); // TcpField.DESTINATION_PORT
  }
  set destinationPort(port: number) {
    this.checksum = updateChecksum16(this.checksum, this.destinationPort, port);
    this.dv.setUint16(this.offset + 2, port); // TcpField.DESTINATION_PORT
  }
  get seq(): number {
    return this.dv.getUint32(this.offset + 4); // TcpField.SEQ
  }
  /** Rewrites the sequence number and updates the checksum incrementally (RFC 1624). */
  set seq(value: number) {
    this.checksum = updateChecksum32(this.checksum, this.seq, value >>> 0);
    this.dv.setUint32(this.offset + 4, value); // TcpField.SEQ
  }
  get ack(): number {
    return this.dv.getUint32(this.offset + 8); // TcpField.ACK
  }
  /** Rewrites the acknowledgment number and updates the checksum incrementally (RFC 1624). */
  set ack(value: number) {
    this.checksum = updateChecksum32(this.checksum, this.ack, value >>> 0);
    this.dv.setUint32(this.offset + 8, value); // TcpField.ACK
  }
  /** Header length in 32-bit words. */
  get dataOffset(): number {
    return this.dv.getUint8(this.offset + 12) >>> 4; // TcpField.DATA_OFFSET_FLAGS
  }
  /** The nine flag bits (see `TcpFlag`). */
  get flags(): number {
    return this.dv.getUint16(this.offset + 12) & 0x01ff; // TcpField.DATA_OFFSET_FLAGS
  }
  /** The three reserved bits (must be zero, carried as-is). */
  get reserved(): number {
    return (this.dv.getUint8(this.offset + 12) >>> 1) & 0x07; // TcpField.DATA_OFFSET_FLAGS
  }
  get syn(): boolean {
    return (this.dv.getUint8(this.offset + 13) & TcpFlag.SYN) !== 0;
  }
  get ackFlag(): boolean {
    return (this.dv.getUint8(this.offset + 13) & TcpFlag.ACK) !== 0;
  }
  get fin(): boolean {
    return (this.dv.getUint8(this.offset + 13) & TcpFlag.FIN) !== 0;
  }
  get rst(): boolean {
    return (this.dv.getUint8(this.offset + 13) & TcpFlag.RST) !== 0;
  }
  /** A connection request: SYN without ACK (the segment only the active node may accept). */
  get isConnectionRequest(): boolean {
    return (this.dv.getUint8(this.offset + 13) & (TcpFlag.SYN | TcpFlag.ACK | TcpFlag.RST)) === TcpFlag.SYN;
  }
  get window(): number {
    return this.dv.getUint16(this.offset + 14); // TcpField.WINDOW
  }
  set window(value: number) {
    this.checksum = updateChecksum16(this.checksum, this.window, value);
    this.dv.setUint16(this.offset + 14, value); // TcpField.WINDOW
  }
  get checksum(): number {
    return this.dv.getUint16(this.offset + 16); // TcpField.CHECKSUM
  }
  set checksum(value: number) {
    this.dv.setUint16(this.offset + 16, value); // TcpField.CHECKSUM
  }
  get urgentPointer(): number {
    return this.dv.getUint16(this.offset + 18); // TcpField.URGENT_POINTER
  }

  /** Offset within `bytes` of the first option of `kind`, or -1 (walks the validated options). */
  findOption(kind: number): number {
    const hl = this.headerLength;
    let pos = TcpField.OPTIONS;
    while (pos < hl) {
      const k = this.dv.getUint8(this.offset + pos);
      if (k === kind) return this.offset + pos;
      if (k === TcpOptionKind.END_OF_LIST) return -1;
      pos += k === TcpOptionKind.NO_OPERATION ? 1 : this.dv.getUint8(this.offset + pos + 1);
    }
    return -1;
  }

  /** The MSS option's value, or -1 when absent. */
  get mss(): number {
    const at = this.findOption(TcpOptionKind.MSS);
    return at < 0 ? -1 : this.dv.getUint16(at + 2);
  }
  /** The window-scale shift count, or -1 when absent. */
  get windowScale(): number {
    const at = this.findOption(TcpOptionKind.WINDOW_SCALE);
    return at < 0 ? -1 : this.dv.getUint8(at + 2);
  }
  get sackPermitted(): boolean {
    return this.findOption(TcpOptionKind.SACK_PERMITTED) >= 0;
  }

  /** Pseudo-header sum plus the whole segment; 0xffff (or 0) after folding means it verifies. */
  verifyChecksum(pseudoSum: number): boolean {
    return finishChecksum(sumWords(this.bytes, this.offset, this.offset + this.length, pseudoSum)) === 0;
  }
  fillChecksum(pseudoSum: number): void {
    this.checksum = 0;
    this.checksum = finishChecksum(sumWords(this.bytes, this.offset, this.offset + this.length, pseudoSum));
  }

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

/**
 * A TCP option. An End of Option List followed only by the zero padding to the next 32-bit
 * boundary is implied, not listed; any other EOL is listed with the bytes after it.
 */
export type TcpOption =
  /** End of Option List; `padding` holds the bytes after it only when they are not all zero. */
  | { kind: 0; padding?: Uint8Array }
  | { kind: 1 }
  | { kind: 2; mss: number }
  | { kind: 3; shift: number }
  | { kind: 4 }
  | { kind: 5; blocks: Array<[left: number, right: number]> }
  | { kind: 8; tsval: number; tsecr: number }
  /** RFC 6994: ExID of 2 bytes (or 4, where the experiment defines one). */
  | { kind: 253 | 254; exid: number; exidLength: 2 | 4; data: Uint8Array }
  | { kind: number; data: Uint8Array };

export interface TcpRepr {
  sourcePort: number;
  destinationPort: number;
  seq: number;
  ack: number;
  /** Flag bits, see `TcpFlag`. */
  flags: number;
  /** Reserved bits (must be zero; kept to round-trip). */
  reserved?: number;
  window: number;
  urgentPointer: number;
  options: TcpOption[];
  checksum?: number;
  payload: Uint8Array;
}

function optionLength(o: TcpOption): number {
  switch (o.kind) {
    case 0:
      return 1 + ((o as { padding?: Uint8Array }).padding?.length ?? 0);
    case 1:
      return 1;
    case 2:
      return 4;
    case 3:
      return 3;
    case 4:
      return 2;
    case 5:
      return 2 + 8 * (o as { blocks: unknown[] }).blocks.length;
    case 8:
      return 10;
    case 253:
    case 254:
      if ('exid' in o) return 2 + o.exidLength + o.data.length;
      return 2 + (o as { data: Uint8Array }).data.length;
    default:
      return 2 + (o as { data: Uint8Array }).data.length;
  }
}

/** Bytes the options take, before padding to a 32-bit boundary. */
export function tcpOptionsLength(options: readonly TcpOption[]): number {
  let n = 0;
  for (const o of options) n += optionLength(o);
  return n;
}

function writeOptions(options: readonly TcpOption[], out: Uint8Array, at: number, end: number): void {
  const dv = new DataView(out.buffer, out.byteOffset);
  let pos = at;
  for (const o of options) {
    const len = optionLength(o);
    out[pos] = o.kind;
    if (o.kind > 1) out[pos + 1] = len;
    switch (o.kind) {
      case 0: {
        const padding = (o as { padding?: Uint8Array }).padding;
        if (padding !== undefined) out.set(padding, pos + 1);
        break;
      }
      case 1:
        break;
      case 2:
        assertUint('tcp', 'options.mss', (o as { mss: number }).mss, 0xffff);
        dv.setUint16(pos + 2, (o as { mss: number }).mss);
        break;
      case 3:
        assertUint('tcp', 'options.shift', (o as { shift: number }).shift, 255);
        out[pos + 2] = (o as { shift: number }).shift;
        break;
      case 4:
        break;
      case 5: {
        const blocks = (o as { blocks: Array<[number, number]> }).blocks;
        if (blocks.length < 1 || blocks.length > 4)
          throw new InvalidArgumentError('tcp', 'options.blocks', 'SACK carries 1 to 4 blocks');
        let p = pos + 2;
        for (const [left, right] of blocks) {
          assertUint('tcp', 'options.blocks', left, 0xffff_ffff);
          assertUint('tcp', 'options.blocks', right, 0xffff_ffff);
          dv.setUint32(p, left);
          dv.setUint32(p + 4, right);
          p += 8;
        }
        break;
      }
      case 8: {
        const ts = o as { tsval: number; tsecr: number };
        assertUint('tcp', 'options.tsval', ts.tsval, 0xffff_ffff);
        assertUint('tcp', 'options.tsecr', ts.tsecr, 0xffff_ffff);
        dv.setUint32(pos + 2, ts.tsval);
        dv.setUint32(pos + 6, ts.tsecr);
        break;
      }
      default: {
        let p = pos + 2;
        if ('exid' in o && (o.kind === 253 || o.kind === 254)) {
          if (o.exidLength === 4) {
            assertUint('tcp', 'options.exid', o.exid, 0xffff_ffff);
            dv.setUint32(p, o.exid);
          } else {
            assertUint('tcp', 'options.exid', o.exid, 0xffff);
            dv.setUint16(p, o.exid);
          }
          p += o.exidLength;
        }
        out.set((o as { data: Uint8Array }).data, p);
      }
    }
    pos += len;
  }
  out.fill(0, pos, end); // End of Option List, then zero padding (RFC 9293 §3.1)
}

/**
 * Parses the options of a validated segment. Experimental kinds (253/254) are read with a
 * 16-bit ExID (RFC 6994 §3); use the `data` of a 4-byte ExID experiment accordingly.
 */
export function parseTcpOptions(bytes: Uint8Array, start: number, end: number): TcpOption[] {
  const dv = new DataView(bytes.buffer, bytes.byteOffset);
  const out: TcpOption[] = [];
  let pos = start;
  while (pos < end) {
    const kind = bytes[pos]!;
    if (kind === 0) {
      // EOL ends the list (RFC 9293 §3.2). It is implied when the encoder would write the
      // same bytes: zeros up to the next 32-bit boundary. Otherwise (more zero words, or
      // non-zero bytes) it is kept with what follows, so every header round-trips.
      let rest = pos + 1;
      while (rest < end && bytes[rest] === 0) rest++;
      const implied = rest === end && ((pos - start + 3) & ~3) === end - start;
      if (!implied) out.push({ kind: 0, padding: bytes.slice(pos + 1, end) });
      break;
    }
    if (kind === 1) {
      out.push({ kind: 1 });
      pos++;
      continue;
    }
    const len = bytes[pos + 1]!;
    switch (kind) {
      case 2:
        out.push({ kind: 2, mss: dv.getUint16(pos + 2) });
        break;
      case 3:
        out.push({ kind: 3, shift: bytes[pos + 2]! });
        break;
      case 4:
        out.push({ kind: 4 });
        break;
      case 5: {
        const blocks: Array<[number, number]> = [];
        for (let p = pos + 2; p < pos + len; p += 8) blocks.push([dv.getUint32(p), dv.getUint32(p + 4)]);
        out.push({ kind: 5, blocks });
        break;
      }
      case 8:
        out.push({ kind: 8, tsval: dv.getUint32(pos + 2), tsecr: dv.getUint32(pos + 6) });
        break;
      case 253:
      case 254:
        out.push({ kind, exid: dv.getUint16(pos + 2), exidLength: 2, data: bytes.slice(pos + 4, pos + len) });
        break;
      default:
        out.push({ kind, data: bytes.slice(pos + 2, pos + len) });
    }
    pos += len;
  }
  return out;
}

const scratch = new TcpSegment();

export const tcp = {
  encodingLength(repr: TcpRepr): number {
    return TCP_MIN_HEADER_LENGTH + ((tcpOptionsLength(repr.options) + 3) & ~3) + repr.payload.length;
  },

  /**
   * Encodes a segment. The checksum needs the IP addresses: pass `pseudo`, or
   * `computeChecksums: false` to write `repr.checksum` as it is.
   */
  encode(
    repr: TcpRepr,
    buf?: Uint8Array,
    offset = 0,
    opts: EncodeOptions & { pseudo?: PseudoHeader } = {},
  ): Uint8Array {
    const L = 'tcp';
    const optLen = (tcpOptionsLength(repr.options) + 3) & ~3;
    const hl = TCP_MIN_HEADER_LENGTH + optLen;
    if (hl > TCP_MAX_HEADER_LENGTH)
      throw new InvalidArgumentError(L, 'options', `take ${optLen} bytes, at most 40 fit`);
    const len = hl + repr.payload.length;
    assertUint(L, 'sourcePort', repr.sourcePort, 0xffff);
    assertUint(L, 'destinationPort', repr.destinationPort, 0xffff);
    assertUint(L, 'seq', repr.seq, 0xffff_ffff);
    assertUint(L, 'ack', repr.ack, 0xffff_ffff);
    assertUint(L, 'flags', repr.flags, 0x1ff);
    assertUint(L, 'reserved', repr.reserved ?? 0, 7);
    assertUint(L, 'window', repr.window, 0xffff);
    assertUint(L, 'urgentPointer', repr.urgentPointer, 0xffff);
    const out = buf ?? new Uint8Array(len);
    if (offset + len > out.length)
      throw new InvalidArgumentError(L, 'buffer', `needs ${len} bytes at ${offset}`);
    const dv = new DataView(out.buffer, out.byteOffset + offset, len);
    dv.setUint16(0, repr.sourcePort);
    dv.setUint16(2, repr.destinationPort);
    dv.setUint32(4, repr.seq);
    dv.setUint32(8, repr.ack);
    dv.setUint16(12, ((hl / 4) << 12) | ((repr.reserved ?? 0) << 9) | repr.flags);
    dv.setUint16(14, repr.window);
    dv.setUint16(16, 0);
    dv.setUint16(18, repr.urgentPointer);
    writeOptions(repr.options, out, offset + TCP_MIN_HEADER_LENGTH, offset + hl);
    out.set(repr.payload, offset + hl);
    if (opts.computeChecksums === false) {
      dv.setUint16(16, repr.checksum ?? 0);
    } else {
      if (opts.pseudo === undefined)
        throw new InvalidArgumentError(L, 'pseudo', 'the checksum needs the pseudo-header');
      const sum = pseudoHeaderSum(opts.pseudo, 6, len);
      dv.setUint16(16, finishChecksum(sumWords(out, offset, offset + len, sum)));
    }
    return out;
  },

  decode(
    buf: Uint8Array,
    offset = 0,
    end = buf.length,
    opts: DecodeOptions & { pseudo?: PseudoHeader } = {},
  ): Decoded<TcpRepr> {
    const s = scratch.wrap(buf, offset, end - offset);
    if (opts.verifyChecksums !== false && opts.pseudo !== undefined) {
      if (!s.verifyChecksum(pseudoHeaderSum(opts.pseudo, 6, s.length))) throw new ChecksumError('tcp');
    }
    const repr: TcpRepr = {
      sourcePort: s.sourcePort,
      destinationPort: s.destinationPort,
      seq: s.seq,
      ack: s.ack,
      flags: s.flags,
      window: s.window,
      urgentPointer: s.urgentPointer,
      options: parseTcpOptions(buf, offset + TCP_MIN_HEADER_LENGTH, offset + s.headerLength),
      checksum: s.checksum,
      payload: s.payload(),
    };
    if (s.reserved !== 0) repr.reserved = s.reserved;
    return { value: repr, bytesRead: s.length };
  },
} as const;
