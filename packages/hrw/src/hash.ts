/**
 * The uniform hash behind every score: a 64-bit SplitMix64 construction computed on 32-bit
 * halves with `Math.imul` and exact double arithmetic, so the hot path needs no BigInt.
 *
 *   z1 = mix13(keyHash · 2^32 + id)
 *   z2 = mix13(z1 + γ · (seed + 1))        (mod 2^64)
 *   u  = (⌊z2 / 2^12⌋ + 0.5) / 2^52         in [2^-53, 1 - 2^-53]
 *
 * `mix13` is Stafford's "variant 13" finalizer, the output function of SplitMix64
 * (Steele, Lea & Flood, "Fast splittable pseudorandom number generators", OOPSLA 2014), and
 * γ = 0x9e3779b97f4a7c15 its golden-ratio increment: z2 is the (seed+1)-th SplitMix64
 * output of a generator seeded with z1. Two rounds, because row keys and member ids are
 * small consecutive integers and one finalizer round on such inputs is not quite uniform.
 */

const TWO_32 = 4294967296;

/** γ, the SplitMix64 increment, as halves. */
const GAMMA_HI = 0x9e3779b9;
const GAMMA_LO = 0x7f4a7c15;
/** mix13 multipliers. */
const M1_HI = 0xbf58476d;
const M1_LO = 0x1ce4e5b9;
const M2_HI = 0x94d049bb;
const M2_LO = 0x133111eb;
/** The 16-bit halves of the low multipliers, for the exact high product in `hash64`. */
const M1_LO_B1 = M1_LO >>> 16;
const M1_LO_B0 = M1_LO & 0xffff;
const M2_LO_B1 = M2_LO >>> 16;
const M2_LO_B0 = M2_LO & 0xffff;

// The last hash: R = [hi, lo], UNIT = [its uniform value]. Results leave through typed arrays
// because a u32 above 2^31 (or any double) that crosses a call boundary the optimizer did not
// inline is boxed as a heap number, and which calls it inlines depends on its budget.
const R = new Uint32Array(2);
/** `UNIT[0]` is `lastUnit()`: read it directly in loops that must not allocate. */
export const UNIT = new Float64Array(1);

/** High 32 bits of the 64-bit product of two u32s, from 16-bit limbs (each partial exact). */
function mulHi(a: number, b: number): number {
  const a0 = a & 0xffff;
  const a1 = a >>> 16;
  const b0 = b & 0xffff;
  const b1 = b >>> 16;
  const p01 = a0 * b1;
  const p10 = a1 * b0;
  const t = ((a0 * b0) >>> 16) + (p01 & 0xffff) + (p10 & 0xffff);
  return a1 * b1 + (p01 >>> 16) + (p10 >>> 16) + (t >>> 16);
}

/** Low 64 bits of (ah·2^32 + al) · (bh·2^32 + bl) into R. */
function mul64(ah: number, al: number, bh: number, bl: number): void {
  R[1] = Math.imul(al, bl);
  R[0] = mulHi(al, bl) + Math.imul(ah, bl) + Math.imul(al, bh);
}

/** γ · (seed + 1) mod 2^64 as [hi, lo]: the per-seed constant, computed once per seed. */
export function seedOffset(seed: number): readonly [number, number] {
  const s = seed + 1; // up to 2^32: split it so mul64 sees two 32-bit halves
  mul64(GAMMA_HI, GAMMA_LO, Math.floor(s / TWO_32), s >>> 0);
  return [R[0]!, R[1]!];
}

/**
 * The 64-bit hash of (keyHash, id) under a seed offset, kept in module scratch: read it with
 * `lastHi`/`lastLo`/`lastUnit` or `UNIT[0]`. A leaf: it calls nothing but `Math.imul` and
 * returns nothing, so it allocates nothing whether or not the optimizer inlines it, provided
 * the caller passes small integers (any argument may be given as an int32, e.g. `x | 0`: each
 * is taken modulo 2^32).
 */
export function hash64(keyHash: number, id: number, offHi: number, offLo: number): void {
  let h = keyHash >>> 0;
  let l = id >>> 0;
  for (let round = 0; ; round++) {
    // mix13: z ^= z >>> 30; z *= M1
    let lo = (l ^ ((l >>> 30) | (h << 2))) >>> 0;
    let hi = (h ^ (h >>> 30)) >>> 0;
    // ⌊lo·M_LO / 2^32⌋ as ⌊(lo·(M_LO >>> 16) + ⌊lo·(M_LO & 0xffff) / 2^16⌋) / 2^16⌋: both
    // products are below 2^48, so exact; `>>> 0` floors the non-negative quotients (< 2^32).
    l = Math.imul(lo, M1_LO) >>> 0;
    let carry = ((lo * M1_LO_B0) / 65536) >>> 0;
    carry = ((lo * M1_LO_B1 + carry) / 65536) >>> 0;
    h = (carry + Math.imul(hi, M1_LO) + Math.imul(lo, M1_HI)) >>> 0;
    // z ^= z >>> 27; z *= M2
    lo = (l ^ ((l >>> 27) | (h << 5))) >>> 0;
    hi = (h ^ (h >>> 27)) >>> 0;
    l = Math.imul(lo, M2_LO) >>> 0;
    carry = ((lo * M2_LO_B0) / 65536) >>> 0;
    carry = ((lo * M2_LO_B1 + carry) / 65536) >>> 0;
    h = (carry + Math.imul(hi, M2_LO) + Math.imul(lo, M2_HI)) >>> 0;
    // z ^= z >>> 31
    lo = (l ^ ((l >>> 31) | (h << 1))) >>> 0;
    hi = (h ^ (h >>> 31)) >>> 0;
    if (round === 1) {
      R[0] = hi;
      R[1] = lo;
      UNIT[0] = (hi * 1048576 + (lo >>> 12) + 0.5) / 4503599627370496; // toUnit(hi, lo), inlined
      return;
    }
    // Second round on z1 + offset (mod 2^64).
    const sum = lo + (offLo >>> 0);
    h = (hi + (offHi >>> 0) + (sum >= TWO_32 ? 1 : 0)) >>> 0;
    l = sum >>> 0;
  }
}

/** High half of the last `hash64`. */
export function lastHi(): number {
  return R[0]!;
}

/** Low half of the last `hash64`. */
export function lastLo(): number {
  return R[1]!;
}

/** The last `hash64` as a uniform number in (0, 1). */
export function lastUnit(): number {
  return UNIT[0]!;
}

/** A 64-bit hash as a uniform number in (0, 1): its top 52 bits, centred, never 0 or 1. */
export function toUnit(hi: number, lo: number): number {
  // (m + 0.5) / 2^52 with m < 2^52 is exact, ≥ 2^-53 and ≤ 1 - 2^-53 (representable below 1).
  return (hi * 1048576 + (lo >>> 12) + 0.5) / 4503599627370496;
}

/** The uniform value in (0, 1) that scores `id` for `keyHash` under `seed`. */
export function unitHash(keyHash: number, id: number, seed = 0): number {
  const [offHi, offLo] = seedOffset(seed);
  hash64(keyHash, id, offHi, offLo);
  return lastUnit();
}
