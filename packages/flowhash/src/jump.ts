/**
 * Jump consistent hash (Lamping & Veach, "A Fast, Minimal Memory, Consistent Hash
 * Algorithm", 2014): maps a 64-bit key to one of `buckets` buckets so that growing from
 * n to n + 1 buckets moves only the keys that land in the new bucket (about 1/(n + 1)
 * of them), and shrinking from n + 1 to n moves only the keys of the last bucket.
 *
 * The paper's 64-bit LCG step `key = key * 2862933555777941757 + 1 (mod 2^64)` is done
 * exactly on 32-bit halves (no BigInt on the hot path); the floating-point step is the
 * same IEEE-754 double arithmetic as the paper's C++, so results match it bit for bit.
 */
import { checkInteger } from './util.js';

/** The paper's LCG multiplier 2862933555777941757 = 0x27bb2ee6_87b0b0fd, as halves. */
const MUL_HIGH = 0x27bb2ee6;
const MUL_LOW = 0x87b0b0fd;

/** Largest bucket count: the paper's `num_buckets` is an int32. */
export const JUMP_MAX_BUCKETS = 0x7fff_ffff;

/** High 32 bits of the 64-bit product of two u32 (exact: 16-bit limbs keep every partial product below 2^53). */
function mulHigh32(a: number, b: number): number {
  const a0 = a & 0xffff;
  const a1 = a >>> 16;
  const b0 = b & 0xffff;
  const b1 = b >>> 16;
  const p01 = a0 * b1;
  const p10 = a1 * b0;
  const mid = ((a0 * b0) >>> 16) + (p01 & 0xffff) + (p10 & 0xffff);
  return (a1 * b1 + (p01 >>> 16) + (p10 >>> 16) + (mid >>> 16)) >>> 0;
}

/**
 * The bucket in `[0, buckets)` of the 64-bit key `high * 2^32 + low` (Lamping & Veach,
 * Figure 1). `low` and `high` are u32; `buckets` an integer in [1, 2^31 - 1].
 */
export function jumpHash(low: number, high: number, buckets: number): number {
  checkInteger('jump', 'buckets', buckets, 1, JUMP_MAX_BUCKETS);
  let kl = low >>> 0;
  let kh = high >>> 0;
  let b = -1;
  let j = 0;
  while (j < buckets) {
    b = j;
    // key = key * 2862933555777941757 + 1 (mod 2^64)
    const hi = (mulHigh32(kl, MUL_LOW) + Math.imul(kh, MUL_LOW) + Math.imul(kl, MUL_HIGH)) >>> 0;
    kl = (Math.imul(kl, MUL_LOW) + 1) >>> 0;
    kh = kl === 0 ? (hi + 1) >>> 0 : hi;
    // j = (b + 1) * (double(1 << 31) / double((key >> 33) + 1)), truncated
    j = Math.floor((b + 1) * (2147483648 / ((kh >>> 1) + 1)));
  }
  return b;
}
