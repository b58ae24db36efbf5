/**
 * The keyed flow hash: SipHash-2-4 under a 128-bit cluster key over a canonical encoding of
 * the 5-tuple. Every node configured with the same key computes the same hash; anyone
 * without the key cannot aim flows at one node (unlike the additive formulas, whose
 * owner a client can compute and choose by picking its source port).
 */
import type { FlowKey } from './flow-key.js';
import { SIPHASH_KEY_LENGTH, SipHash24 } from './siphash.js';
import { checkInteger, checkRange } from './util.js';

/** Bytes of the canonical encoding of an IPv4 key (4 + 4 + 2 + 2 + 1). */
export const FLOW_KEY_IPV4_LENGTH = 13;
/** Bytes of the canonical encoding of an IPv6 key (16 + 16 + 2 + 2 + 1). */
export const FLOW_KEY_IPV6_LENGTH = 37;

/**
 * True when the destination endpoint (address words, then port) sorts before the source:
 * symmetric hashing then swaps them, so both directions of a flow encode the same.
 */
function destinationFirst(key: FlowKey): boolean {
  const n = key.version === 4 ? 1 : 4;
  for (let i = 0; i < n; i++) {
    const s = key.source[i]!;
    const d = key.destination[i]!;
    if (s !== d) return d < s;
  }
  return key.destinationPort < key.sourcePort;
}

/**
 * Writes the canonical encoding of `key` at `out[offset]` and returns its length (13 or 37):
 * source address, destination address, source port, destination port, protocol, all in
 * network byte order. With `symmetric`, the endpoint that sorts first (address, then port)
 * is written first, so a flow and its reverse encode identically. Allocates nothing.
 */
export function encodeFlowKey(key: FlowKey, out: Uint8Array, offset = 0, symmetric = false): number {
  const len = key.version === 4 ? FLOW_KEY_IPV4_LENGTH : FLOW_KEY_IPV6_LENGTH;
  checkRange('flowhash', out, offset, len);
  const swap = symmetric && destinationFirst(key);
  const a = swap ? key.destination : key.source;
  const b = swap ? key.source : key.destination;
  const aPort = swap ? key.destinationPort : key.sourcePort;
  const bPort = swap ? key.sourcePort : key.destinationPort;
  const words = key.version === 4 ? 1 : 4;
  let p = offset;
  for (let i = 0; i < words; i++, p += 4) writeBe32(out, p, a[i]!);
  for (let i = 0; i < words; i++, p += 4) writeBe32(out, p, b[i]!);
  out[p] = aPort >>> 8;
  out[p + 1] = aPort;
  out[p + 2] = bPort >>> 8;
  out[p + 3] = bPort;
  out[p + 4] = key.protocol;
  return len;
}

/** The little-endian reading of a big-endian word's bytes. */
function bswap32(x: number): number {
  return ((x & 0xff) << 24) | ((x & 0xff00) << 8) | ((x >>> 8) & 0xff00) | (x >>> 24);
}

function writeBe32(out: Uint8Array, p: number, v: number): void {
  out[p] = v >>> 24;
  out[p + 1] = v >>> 16;
  out[p + 2] = v >>> 8;
  out[p + 3] = v;
}

export interface FlowHasherOptions {
  /** The 128-bit cluster key (16 bytes), from configuration; the same on every node. */
  readonly key: Uint8Array;
  /** Hash both directions of a flow the same (order the endpoints canonically). Default false. */
  readonly symmetric?: boolean;
}

/**
 * SipHash-2-4 of flow keys and member ids under one cluster key. `hash` returns a u32
 * (the input `@switchyard/hrw` takes as `keyHash`) and leaves the upper 32 bits of the
 * 64-bit output in `high`. One instance per thread; nothing is allocated per call.
 */
export class FlowHasher {
  readonly symmetric: boolean;
  /** High 32 bits of the last hash's 64-bit output. */
  high = 0;
  readonly #sip: SipHash24;
  /** The message as SipHash blocks (low, high word pairs); 5 blocks for IPv6. */
  readonly #words = new Int32Array(10);
  readonly #scratch = new Uint8Array(8);

  constructor(options: FlowHasherOptions) {
    this.#sip = new SipHash24(options.key);
    this.symmetric = options.symmetric ?? false;
  }

  /** Bytes in a key (for configuration checks). */
  static readonly KEY_LENGTH = SIPHASH_KEY_LENGTH;

  /**
   * SipHash-2-4 of the canonical encoding of `key` (see `encodeFlowKey`): the low 32 bits
   * as a u32; `high` holds the rest. The encoding's bytes are never written: its
   * little-endian 64-bit blocks are assembled from the key's words directly (byte-swapped),
   * which a property test proves equal to hashing `encodeFlowKey`'s bytes.
   */
  hash(key: FlowKey): number {
    return this.hashInt32(key) >>> 0;
  }

  /**
   * `hash` as a signed int32 (`hash(key) === hashInt32(key) >>> 0`): the per-packet form,
   * since V8 boxes a u32 above 2^31 returned from a call it does not inline.
   */
  hashInt32(key: FlowKey): number {
    const w = this.#words;
    const swap = this.symmetric && destinationFirst(key);
    const a = swap ? key.destination : key.source;
    const b = swap ? key.source : key.destination;
    const ap = swap ? key.destinationPort : key.sourcePort;
    const bp = swap ? key.sourcePort : key.destinationPort;
    // Tail bytes: port a (big-endian), port b, protocol, two zero bytes, then the length (§2.2).
    const tail = (ap >>> 8) | ((ap & 0xff) << 8) | ((bp >>> 8) << 16) | ((bp & 0xff) << 24);
    let blocks: number;
    if (key.version === 4) {
      w[0] = bswap32(a[0]!);
      w[1] = bswap32(b[0]!);
      w[2] = tail;
      w[3] = key.protocol | (FLOW_KEY_IPV4_LENGTH << 24);
      blocks = 2;
    } else {
      w[0] = bswap32(a[0]!);
      w[1] = bswap32(a[1]!);
      w[2] = bswap32(a[2]!);
      w[3] = bswap32(a[3]!);
      w[4] = bswap32(b[0]!);
      w[5] = bswap32(b[1]!);
      w[6] = bswap32(b[2]!);
      w[7] = bswap32(b[3]!);
      w[8] = tail;
      w[9] = key.protocol | (FLOW_KEY_IPV6_LENGTH << 24);
      blocks = 5;
    }
    const low = this.#sip.hashBlocksInt32(w, blocks);
    this.high = this.#sip.high;
    return low;
  }

  /**
   * SipHash-2-4 of a member id (u32), domain-separated from flow hashes: the input is the
   * byte 0x4d ('M') and the id in network order, 5 bytes, a length no flow key has.
   */
  hashMember(id: number): number {
    checkInteger('flowhash', 'member id', id, 0, 0xffff_ffff);
    const s = this.#scratch;
    s[0] = 0x4d;
    writeBe32(s, 1, id);
    const low = this.#sip.hash(s, 0, 5);
    this.high = this.#sip.high;
    return low;
  }
}
