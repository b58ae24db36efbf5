/**
 * SipHash-2-4 (Aumasson & Bernstein, "SipHash: a fast short-input PRF", INDOCRYPT 2012)
 * on 32-bit halves: every 64-bit lane is a pair of unsigned 32-bit numbers, so the hot
 * path needs no BigInt and allocates nothing.
 *
 * Why 2-4 and not 1-3: 2-4 is the variant the paper analyses and publishes vectors for,
 * and the one with a conservative security margin against an attacker who picks flows
 * to collide (hash flooding aimed at one node). The inputs here are 13 or 37 bytes
 * (2 or 5 compression blocks), so 1-3 would save about a third of a ~100 ns hash; not
 * worth leaving the analysed variant for.
 */
import { InvalidArgumentError } from '@switchyard/wire';
import { checkRange } from './util.js';

/** Bytes in a SipHash key (128 bits). */
export const SIPHASH_KEY_LENGTH = 16;

/**
 * A SipHash-2-4 instance bound to one 128-bit key. `hash` returns the low 32 bits of the
 * 64-bit output and leaves the high 32 bits in `high`; nothing is allocated per call.
 * One instance per thread: `high` and the scratch words are overwritten by every call.
 */
export class SipHash24 {
  // The key as four little-endian 32-bit words: k0 = (k0h, k0l), k1 = (k1h, k1l).
  readonly #k0l: number;
  readonly #k0h: number;
  readonly #k1l: number;
  readonly #k1h: number;
  /** Message words for `hash`: 64-bit blocks as (low, high) pairs, up to 64 bytes at a time. */
  readonly #words = new Int32Array(18);

  /** High 32 bits of the last hash's 64-bit output (the 64-bit value is `high * 2^32 + low`). */
  high = 0;

  /** `key` is 16 bytes: k0 is bytes 0..7 and k1 bytes 8..15, both little-endian (the paper's convention). */
  constructor(key: Uint8Array) {
    if (!(key instanceof Uint8Array) || key.length !== SIPHASH_KEY_LENGTH)
      throw new InvalidArgumentError('siphash', 'key', `must be ${SIPHASH_KEY_LENGTH} bytes`);
    this.#k0l = readLe32(key, 0);
    this.#k0h = readLe32(key, 4);
    this.#k1l = readLe32(key, 8);
    this.#k1h = readLe32(key, 12);
  }

  /**
   * Hashes `data[offset, offset + length)`. Returns the low 32 bits of the output (bytes
   * 0..3 of the paper's little-endian digest) and sets `high` to bytes 4..7.
   */
  hash(data: Uint8Array, offset = 0, length = data.length - offset): number {
    checkRange('siphash', data, offset, length);
    const whole = length - (length & 7);
    // Messages longer than the scratch go through in 64-byte pieces of whole blocks.
    const words = this.#words;
    let state = -1;
    let p = offset;
    const end = offset + whole;
    while (end - p > 64) {
      for (let i = 0; i < 16; i++, p += 4) words[i] = readLe32(data, p);
      state = this.#run(words, 8, false, state);
    }
    let n = 0;
    for (; p < end; p += 4) words[n++] = readLe32(data, p);
    // Last block: the remaining 0..7 bytes, and the length mod 256 in the top byte (paper §2.2).
    let ml = 0;
    let mh = (length & 0xff) << 24;
    const left = length & 7;
    if (left > 4) {
      ml = readLe32(data, p);
      for (let i = left - 1; i >= 4; i--) mh |= data[p + i]! << (8 * (i - 4));
    } else {
      for (let i = left - 1; i >= 0; i--) ml |= data[p + i]! << (8 * i);
    }
    words[n++] = ml;
    words[n++] = mh;
    this.#run(words, n >> 1, true, state);
    return this.#low >>> 0;
  }

  /**
   * Hashes a message given as 64-bit little-endian blocks in `words` (block i is
   * `words[2i]` low, `words[2i + 1]` high), the last block already holding the tail bytes and
   * the length byte (paper §2.2). This is how `FlowHasher` feeds a 5-tuple without writing bytes.
   */
  hashBlocks(words: Int32Array, blocks: number): number {
    this.#run(words, blocks, true, -1);
    return this.#low >>> 0;
  }

  /** `hashBlocks` with the low half as a signed int32, which V8 never boxes across a call. */
  hashBlocksInt32(words: Int32Array, blocks: number): number {
    this.#run(words, blocks, true, -1);
    return this.#low;
  }

  #low = 0;
  #v0h = 0;
  #v0l = 0;
  #v1h = 0;
  #v1l = 0;
  #v2h = 0;
  #v2l = 0;
  #v3h = 0;
  #v3l = 0;

  /**
   * Compresses `blocks` blocks (c = 2 rounds each) and, when `last`, finalises (d = 4 rounds).
   * `state` is -1 to start from the key, or anything else to continue from the saved state.
   * One SipRound body serves every round. 64-bit adds are two int32 adds; the carry out of
   * the low words is the top bit of (a & b) | ((a | b) & ~sum), which keeps V8 in int32
   * arithmetic (an unsigned compare goes through doubles and costs about twice as much).
   */
  #run(words: Int32Array, blocks: number, last: boolean, state: number): number {
    let v0h: number;
    let v0l: number;
    let v1h: number;
    let v1l: number;
    let v2h: number;
    let v2l: number;
    let v3h: number;
    let v3l: number;
    if (state === -1) {
      // Initialisation (paper §2.1): k0 ^ "somepseu", k1 ^ "dorandom", k0 ^ "lygenera", k1 ^ "tedbytes".
      v0h = this.#k0h ^ 0x736f6d65;
      v0l = this.#k0l ^ 0x70736575;
      v1h = this.#k1h ^ 0x646f7261;
      v1l = this.#k1l ^ 0x6e646f6d;
      v2h = this.#k0h ^ 0x6c796765;
      v2l = this.#k0l ^ 0x6e657261;
      v3h = this.#k1h ^ 0x74656462;
      v3l = this.#k1l ^ 0x79746573;
    } else {
      v0h = this.#v0h;
      v0l = this.#v0l;
      v1h = this.#v1h;
      v1l = this.#v1l;
      v2h = this.#v2h;
      v2l = this.#v2l;
      v3h = this.#v3h;
      v3l = this.#v3l;
    }
    let mh = 0;
    let ml = 0;
    // Steps 0..blocks-1 compress a block; step `blocks` (when last) finalises.
    const steps = last ? blocks + 1 : blocks;
    for (let step = 0; step < steps; step++) {
      let rounds: number;
      if (step < blocks) {
        ml = words[2 * step]!;
        mh = words[2 * step + 1]!;
        v3h ^= mh;
        v3l ^= ml;
        rounds = 2;
      } else {
        v2l ^= 0xff;
        rounds = 4;
      }
      for (let r = 0; r < rounds; r++) {
        let s: number;
        let t: number;
        // v0 += v1; v1 <<<= 13; v1 ^= v0; v0 <<<= 32
        s = (v0l + v1l) | 0;
        v0h = (v0h + v1h + (((v0l & v1l) | ((v0l | v1l) & ~s)) >>> 31)) | 0;
        v0l = s;
        t = v1h;
        v1h = (v1h << 13) | (v1l >>> 19);
        v1l = (v1l << 13) | (t >>> 19);
        v1h ^= v0h;
        v1l ^= v0l;
        t = v0h;
        v0h = v0l;
        v0l = t;
        // v2 += v3; v3 <<<= 16; v3 ^= v2
        s = (v2l + v3l) | 0;
        v2h = (v2h + v3h + (((v2l & v3l) | ((v2l | v3l) & ~s)) >>> 31)) | 0;
        v2l = s;
        t = v3h;
        v3h = (v3h << 16) | (v3l >>> 16);
        v3l = (v3l << 16) | (t >>> 16);
        v3h ^= v2h;
        v3l ^= v2l;
        // v0 += v3; v3 <<<= 21; v3 ^= v0
        s = (v0l + v3l) | 0;
        v0h = (v0h + v3h + (((v0l & v3l) | ((v0l | v3l) & ~s)) >>> 31)) | 0;
        v0l = s;
        t = v3h;
        v3h = (v3h << 21) | (v3l >>> 11);
        v3l = (v3l << 21) | (t >>> 11);
        v3h ^= v0h;
        v3l ^= v0l;
        // v2 += v1; v1 <<<= 17; v1 ^= v2; v2 <<<= 32
        s = (v2l + v1l) | 0;
        v2h = (v2h + v1h + (((v2l & v1l) | ((v2l | v1l) & ~s)) >>> 31)) | 0;
        v2l = s;
        t = v1h;
        v1h = (v1h << 17) | (v1l >>> 15);
        v1l = (v1l << 17) | (t >>> 15);
        v1h ^= v2h;
        v1l ^= v2l;
        t = v2h;
        v2h = v2l;
        v2l = t;
      }
      if (step < blocks) {
        v0h ^= mh;
        v0l ^= ml;
      }
    }
    if (last) {
      this.high = (v0h ^ v1h ^ v2h ^ v3h) >>> 0;
      // Kept as int32 so returning it never boxes a heap number; the u32 readers convert.
      this.#low = (v0l ^ v1l ^ v2l ^ v3l) | 0;
      return -1;
    }
    this.#v0h = v0h;
    this.#v0l = v0l;
    this.#v1h = v1h;
    this.#v1l = v1l;
    this.#v2h = v2h;
    this.#v2l = v2l;
    this.#v3h = v3h;
    this.#v3l = v3l;
    return 0;
  }
}

function readLe32(b: Uint8Array, p: number): number {
  return b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16) | (b[p + 3]! << 24);
}
