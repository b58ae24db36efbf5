import { InvalidArgumentError } from '@switchyard/wire';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { JUMP_MAX_BUCKETS, jumpHash } from '../src/index.js';
import { jumpRef } from './reference.js';

const split = (k: bigint): [number, number] => [Number(k & 0xffff_ffffn), Number(k >> 32n)];
const jump = (k: bigint, n: number) => {
  const [low, high] = split(k);
  return jumpHash(low, high, n);
};

/** A fixed-seed xorshift64* stream of 64-bit keys, so the statistical checks are reproducible. */
function keys(count: number, seed = 0x9e3779b97f4a7c15n): bigint[] {
  const out: bigint[] = [];
  let x = seed;
  for (let i = 0; i < count; i++) {
    x ^= x >> 12n;
    x ^= (x << 25n) & 0xffff_ffff_ffff_ffffn;
    x ^= x >> 27n;
    out.push((x * 0x2545f4914f6cdd1dn) & 0xffff_ffff_ffff_ffffn);
  }
  return out;
}

describe('jump consistent hash (Lamping & Veach 2014)', () => {
  it('published vectors (github.com/dgryski/go-jump jump_test.go)', () => {
    expect(jump(1n, 1)).toBe(0);
    expect(jump(42n, 57)).toBe(43);
    expect(jump(0xdead10ccn, 1)).toBe(0);
    expect(jump(0xdead10ccn, 666)).toBe(361);
    expect(jump(256n, 1024)).toBe(520);
  });

  it('published vectors with keys above 2^32 (microsoft, jump-consistent-hash.test.ts)', () => {
    expect(jump(10863919174838991n, 11)).toBe(6);
    expect(jump(2016238256797177309n, 11)).toBe(3);
    expect(jump(1673758223894951030n, 11)).toBe(5);
  });

  it('the BigInt reference agrees with the published vectors', () => {
    expect(jumpRef(42n, 57)).toBe(43);
    expect(jumpRef(0xdead10ccn, 666)).toBe(361);
    expect(jumpRef(2016238256797177309n, 11)).toBe(3);
  });

  it('equals the BigInt reference on random 64-bit keys and bucket counts', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
        fc.integer({ min: 1, max: 100_000 }),
        (k, n) => jump(k, n) === jumpRef(k, n),
      ),
      { numRuns: 2000 },
    );
    // Carries: low word 0x666313ab makes key * C + 1 wrap its low 32 bits to exactly 0 on the first
    // step (0x666313ab x 0x87b0b0fd = -1 mod 2^32), so the +1 carries into the high word.
    for (const k of [0x666313abn, 0x1234_5678_6663_13abn, 0xffff_ffffn, 0xffff_ffff_ffff_ffffn, 1n << 63n]) {
      expect(jump(k, 1000)).toBe(jumpRef(k, 1000));
    }
  });

  it('growing from n to n + 1 buckets moves keys only into the new bucket, about 1/(n + 1) of them', () => {
    const ks = keys(20_000);
    for (const n of [1, 3, 7, 10, 31]) {
      let moved = 0;
      for (const k of ks) {
        const before = jump(k, n);
        const after = jump(k, n + 1);
        if (before !== after) {
          expect(after).toBe(n); // only into the new bucket
          moved++;
        }
      }
      // Binomial(20000, 1/(n+1)): 4 standard deviations is well below 0.02 for every n here.
      const expected = 1 / (n + 1);
      const sd = Math.sqrt((expected * (1 - expected)) / ks.length);
      expect(Math.abs(moved / ks.length - expected)).toBeLessThan(4 * sd);
    }
  });

  it('shrinking from n + 1 to n buckets moves only the keys of the last bucket', () => {
    const ks = keys(5_000, 7n);
    for (const n of [2, 5, 16]) {
      for (const k of ks) {
        const before = jump(k, n + 1);
        if (before !== n) expect(jump(k, n)).toBe(before);
      }
    }
  });

  it('spreads keys evenly (max/mean load under 1.1 for 10 buckets and 50,000 keys)', () => {
    const counts = new Array<number>(10).fill(0);
    for (const k of keys(50_000, 3n)) counts[jump(k, 10)]!++;
    expect(Math.max(...counts) / 5000).toBeLessThan(1.1);
  });

  it('rejects bucket counts outside [1, 2^31 - 1]', () => {
    for (const n of [0, -1, 1.5, JUMP_MAX_BUCKETS + 1, Number.NaN]) {
      expect(() => jumpHash(1, 2, n)).toThrow(InvalidArgumentError);
    }
    expect(jumpHash(1, 2, JUMP_MAX_BUCKETS)).toBeGreaterThanOrEqual(0);
  });
});
