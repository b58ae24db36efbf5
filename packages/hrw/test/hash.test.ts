import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hash64, lastHi, lastLo, seedOffset, toUnit, unitHash } from '../src/hash.js';
import { refHash64, refUnit } from './reference.js';

function hash(keyHash: number, id: number, seed = 0): bigint {
  const [h, l] = seedOffset(seed);
  hash64(keyHash, id, h, l);
  return (BigInt(lastHi()) << 32n) | BigInt(lastLo());
}

describe('hash64 (SplitMix64 on 32-bit halves)', () => {
  it('is the SplitMix64 output sequence for key 0, id 0 (published vectors)', () => {
    // mix13(0) = 0, so seed s gives the (s+1)-th output of SplitMix64 seeded with 0.
    expect(hash(0, 0, 0)).toBe(0xe220a8397b1dcdafn);
    expect(hash(0, 0, 1)).toBe(0x6e789e6aa1b965f4n);
    expect(hash(0, 0, 2)).toBe(0x06c45d188009454fn);
  });

  it('equals the BigInt reference on random inputs, all seeds', () => {
    const u32 = fc.integer({ min: 0, max: 0xffff_ffff });
    fc.assert(
      fc.property(u32, u32, u32, (k, id, seed) => {
        expect(hash(k, id, seed)).toBe(refHash64(k, id, seed));
      }),
      { numRuns: 2000 },
    );
  });

  it('equals the reference at the carry edges', () => {
    for (const k of [0, 1, 0x7fff_ffff, 0x8000_0000, 0xffff_ffff]) {
      for (const id of [0, 1, 0xffff, 0x1_0000, 0xffff_ffff]) {
        for (const seed of [0, 0xffff_fffe, 0xffff_ffff])
          expect(hash(k, id, seed)).toBe(refHash64(k, id, seed));
      }
    }
  });
});

describe('unit hash', () => {
  it('is never 0 or 1, even at the extreme hashes', () => {
    expect(toUnit(0, 0)).toBe(2 ** -53);
    expect(toUnit(0xffff_ffff, 0xffff_ffff)).toBe(1 - 2 ** -53);
    expect(toUnit(0xffff_ffff, 0xffff_ffff)).toBeLessThan(1);
    expect(Math.log(toUnit(0xffff_ffff, 0xffff_ffff))).toBeLessThan(0);
  });

  it('takes the top 52 bits', () => {
    expect(toUnit(0x8000_0000, 0)).toBe(0.5 + 2 ** -53);
    expect(toUnit(0, 0xfff)).toBe(toUnit(0, 0)); // the low 12 bits are dropped
    expect(toUnit(0, 0x1000)).toBe(1.5 * 2 ** -52);
  });

  it('equals the reference', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 0xffff_ffff }),
        fc.integer({ min: 0, max: 0xffff_ffff }),
        (k, id) => {
          expect(unitHash(k, id)).toBe(refUnit(k, id));
        },
      ),
    );
  });

  it('is uniform: 64 equal bins over 65536 row keys hold 1024 ± 15 % each', () => {
    const bins = new Array<number>(64).fill(0);
    for (let r = 0; r < 65536; r++) bins[Math.floor(unitHash(r, 7) * 64)]!++;
    for (const b of bins) expect(Math.abs(b - 1024)).toBeLessThan(154);
  });
});
