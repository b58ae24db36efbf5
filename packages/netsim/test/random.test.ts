import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Random } from '../src/index.js';

describe('Random (xoshiro128**)', () => {
  it('matches the reference output for state {1, 2, 3, 4}', () => {
    // First outputs of the reference C code (prng.di.unimi.it/xoshiro128starstar.c), compiled and run.
    const r = Random.fromState([1, 2, 3, 4]);
    expect([r.nextU32(), r.nextU32(), r.nextU32(), r.nextU32(), r.nextU32(), r.nextU32()]).toEqual([
      11520, 0, 5927040, 70819200, 2031721883, 1637235492,
    ]);
  });

  it('gives the same sequence for the same seed and another for another seed', () => {
    const seq = (seed: number) => {
      const r = new Random(seed);
      return Array.from({ length: 8 }, () => r.nextU32());
    };
    expect(seq(42)).toEqual(seq(42));
    expect(seq(42)).not.toEqual(seq(43));
    expect(seq(0).some((x) => x !== 0)).toBe(true);
  });

  it('below(n) stays in [0, n) and covers it', () => {
    fc.assert(
      fc.property(fc.integer(), fc.integer({ min: 1, max: 2 ** 32 }), (seed, n) => {
        const r = new Random(seed);
        for (let i = 0; i < 20; i++) {
          const x = r.below(n);
          if (!(Number.isInteger(x) && x >= 0 && x < n)) return false;
        }
        return true;
      }),
    );
    const r = new Random(5);
    const seen = new Set<number>();
    for (let i = 0; i < 200; i++) seen.add(r.below(6));
    expect([...seen].sort()).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('float is in [0, 1) and chance(p) has about the right rate', () => {
    const r = new Random(9);
    let hits = 0;
    for (let i = 0; i < 10_000; i++) {
      const f = r.float();
      expect(f >= 0 && f < 1).toBe(true);
      if (r.chance(0.1)) hits++;
    }
    expect(hits).toBeGreaterThan(850);
    expect(hits).toBeLessThan(1150);
    expect(r.chance(0)).toBe(false);
    expect(r.chance(1)).toBe(true);
  });

  it('fill writes every byte; fork gives an independent stream', () => {
    const r = new Random(3);
    const bytes = r.fill(new Uint8Array(7).fill(0));
    expect(bytes.some((b) => b !== 0)).toBe(true);
    const parent = new Random(1);
    const child = parent.fork();
    expect(child.nextU32()).not.toBe(parent.nextU32());
  });

  it.each([
    { description: 'non-integer seed', call: () => new Random(1.5) },
    { description: 'all-zero state', call: () => Random.fromState([0, 0, 0, 0]) },
    { description: 'below(0)', call: () => new Random(1).below(0) },
    { description: 'below(2^32 + 1)', call: () => new Random(1).below(2 ** 32 + 1) },
  ])('rejects $description', ({ call }) => {
    expect(call).toThrow(/netsim/);
  });
});
