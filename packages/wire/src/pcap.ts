/**
 * The classic libpcap file format (LINKTYPE_ETHERNET and others), read and written in
 * memory: microsecond or nanosecond timestamps, either byte order. No file I/O here.
 */
import { InvalidArgumentError, MalformedError, TruncatedError, UnsupportedError } from './errors.js';

export const LinkType = { NULL: 0, ETHERNET: 1, RAW: 101, LINUX_SLL: 113 } as const;

const MAGIC_MICRO = 0xa1b2c3d4;
const MAGIC_NANO = 0xa1b23c4d;
const FILE_HEADER = 24;
const RECORD_HEADER = 16;

export interface PcapRecord {
  /** Capture time in nanoseconds since the epoch. */
  timestampNs: bigint;
  /** Captured bytes (a view into the file buffer). */
  data: Uint8Array;
  /** Length of the packet on the wire (>= data.length when the capture was cut). */
  originalLength: number;
}

export interface PcapFile {
  linkType: number;
  snapLength: number;
  nanosecond: boolean;
  records: PcapRecord[];
}

/** Parses a whole pcap file; throws `TruncatedError`/`MalformedError`/`UnsupportedError`. */
export function readPcap(file: Uint8Array): PcapFile {
  if (file.length < FILE_HEADER) throw new TruncatedError('pcap', 'file header', FILE_HEADER, file.length);
  const dv = new DataView(file.buffer, file.byteOffset, file.byteLength);
  let little: boolean;
  let nanosecond: boolean;
  const magicLE = dv.getUint32(0, true);
  const magicBE = dv.getUint32(0, false);
  if (magicLE === MAGIC_MICRO || magicLE === MAGIC_NANO) {
    little = true;
    nanosecond = magicLE === MAGIC_NANO;
  } else if (magicBE === MAGIC_MICRO || magicBE === MAGIC_NANO) {
    little = false;
    nanosecond = magicBE === MAGIC_NANO;
  } else {
    throw new UnsupportedError('pcap', 'not a classic pcap file (pcapng is not supported)');
  }
  const major = dv.getUint16(4, little);
  if (major !== 2) throw new UnsupportedError('pcap', `version ${major}`);
  const snapLength = dv.getUint32(16, little);
  const linkType = dv.getUint32(20, little) & 0x0fff_ffff;
  const records: PcapRecord[] = [];
  let pos = FILE_HEADER;
  while (pos < file.length) {
    if (pos + RECORD_HEADER > file.length)
      throw new TruncatedError('pcap', 'record header', pos + RECORD_HEADER, file.length);
    const sec = dv.getUint32(pos, little);
    const frac = dv.getUint32(pos + 4, little);
    const incl = dv.getUint32(pos + 8, little);
    const orig = dv.getUint32(pos + 12, little);
    if (frac >= (nanosecond ? 1e9 : 1e6))
      throw new MalformedError('pcap', 'timestamp', 'fraction out of range');
    const start = pos + RECORD_HEADER;
    if (start + incl > file.length)
      throw new TruncatedError('pcap', 'record data', start + incl, file.length);
    records.push({
      timestampNs: BigInt(sec) * 1_000_000_000n + BigInt(nanosecond ? frac : frac * 1000),
      data: file.subarray(start, start + incl),
      originalLength: orig,
    });
    pos = start + incl;
  }
  return { linkType, snapLength, nanosecond, records };
}

/** Builds a pcap file in memory (little-endian, nanosecond timestamps by default). */
export class PcapWriter {
  readonly #chunks: Uint8Array[] = [];
  readonly #nanosecond: boolean;
  #size = 0;

  constructor(opts: { linkType?: number; snapLength?: number; nanosecond?: boolean } = {}) {
    this.#nanosecond = opts.nanosecond ?? true;
    const header = new Uint8Array(FILE_HEADER);
    const dv = new DataView(header.buffer);
    dv.setUint32(0, this.#nanosecond ? MAGIC_NANO : MAGIC_MICRO, true);
    dv.setUint16(4, 2, true);
    dv.setUint16(6, 4, true);
    dv.setUint32(16, opts.snapLength ?? 262_144, true);
    dv.setUint32(20, opts.linkType ?? LinkType.ETHERNET, true);
    this.#push(header);
  }

  /** Appends one packet captured at `timestampNs` (nanoseconds since the epoch). */
  write(data: Uint8Array, timestampNs: bigint = 0n, originalLength = data.length): void {
    if (timestampNs < 0n) throw new InvalidArgumentError('pcap', 'timestampNs', 'negative');
    const sec = timestampNs / 1_000_000_000n;
    if (sec > 0xffff_ffffn) throw new InvalidArgumentError('pcap', 'timestampNs', 'beyond 2106');
    const ns = Number(timestampNs % 1_000_000_000n);
    const header = new Uint8Array(RECORD_HEADER);
    const dv = new DataView(header.buffer);
    dv.setUint32(0, Number(sec), true);
    dv.setUint32(4, this.#nanosecond ? ns : Math.floor(ns / 1000), true);
    dv.setUint32(8, data.length, true);
    dv.setUint32(12, originalLength, true);
    this.#push(header);
    this.#push(data.slice());
  }

  get byteLength(): number {
    return this.#size;
  }

  /** The file so far, as one array. */
  toBytes(): Uint8Array {
    const out = new Uint8Array(this.#size);
    let pos = 0;
    for (const c of this.#chunks) {
      out.set(c, pos);
      pos += c.length;
    }
    return out;
  }

  #push(chunk: Uint8Array): void {
    this.#chunks.push(chunk);
    this.#size += chunk.length;
  }
}
