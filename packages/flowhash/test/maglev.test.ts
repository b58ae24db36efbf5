import { InvalidArgumentError } from '@switchyard/wire';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  FlowHasher,
  isPrime,
  MAGLEV_DEFAULT_TABLE_SIZE,
  MAGLEV_MAX_TABLE_SIZE,
  MaglevTable,
  nextPrime,
  populateMaglev,
} from '../src/index.js';
import { maglevRef } from './reference.js';

const hasher = new FlowHasher({ key: Uint8Array.from({ length: 16 }, (_, i) => i) });
const members = (n: number, first = 100) => Array.from({ length: n }, (_, i) => ({ id: first + i }));

describe('populateMaglev (NSDI 2016 §3.4, Pseudocode 1)', () => {
  // Table 1 of the paper: M = 7; B0 offset 3 skip 4, B1 offset 0 skip 2, B2 offset 3 skip 1.
  // Permutations (offset + j x skip) mod 7:  B0: 3 0 4 1 5 2 6   B1: 0 2 4 6 1 3 5   B2: 3 4 5 6 0 1 2
  const b0 = { offset: 3, skip: 4 };
  const b1 = { offset: 0, skip: 2 };
  const b2 = { offset: 3, skip: 1 };

  it('the §3.4 example: B0 B1 B2 in a table of 7', () => {
    // Round 1: B0 j=0 → 3, free: takes 3.  B1 j=0 → 0: takes 0.  B2 j=0 → 3 taken, j=1 → 4: takes 4.
    // Round 2: B0 j=1 → 0 taken, j=2 → 4 taken, j=3 → 1: takes 1.  B1 j=1 → 2: takes 2.  B2 j=2 → 5: takes 5.
    // Round 3: B0 j=4 → 5 taken, j=5 → 2 taken, j=6 → 6: takes 6. All 7 slots filled.
    expect(Array.from(populateMaglev([b0, b1, b2], 7))).toEqual([1, 0, 1, 0, 2, 2, 0]);
  });

  it('the same example after B1 is removed', () => {
    // Round 1: B0 → 3.  B2: 3 taken → 4.       Round 2: B0 → 0.  B2 → 5.
    // Round 3: B0: 4 taken → 1.  B2 → 6.      Round 4: B0: 5 taken → 2. Full.
    // Before: B1 B0 B1 B0 B2 B2 B0; after: B1's slots 0 and 2 went to B0, and slot 6 moved B0 → B2:
    // one slot of churn besides the departed backend's, the price Maglev pays for balance.
    const after = Array.from(populateMaglev([b0, b2], 7)).map((i) => ['B0', 'B2'][i]);
    expect(after).toEqual(['B0', 'B0', 'B0', 'B0', 'B2', 'B2', 'B2']);
  });

  it('equals the materialised-permutation reference on random backends and prime sizes', () => {
    const primes = [7, 11, 13, 31, 101, 251, 509];
    fc.assert(
      fc.property(
        fc.constantFrom(...primes).chain((m) =>
          fc.tuple(
            fc.constant(m),
            fc.array(
              fc.record({ offset: fc.nat({ max: m - 1 }), skip: fc.integer({ min: 1, max: m - 1 }) }),
              {
                minLength: 1,
                maxLength: Math.min(m, 12),
              },
            ),
          ),
        ),
        ([m, backends]) => {
          expect(Array.from(populateMaglev(backends, m))).toEqual(maglevRef(backends, m));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('weights: each backend gets its share of the table (1:2:3:4 → 10/20/30/40 % within 0.1 %)', () => {
    const t = MaglevTable.build(
      [
        { id: 1, weight: 1 },
        { id: 2, weight: 2 },
        { id: 3, weight: 3 },
        { id: 4, weight: 4 },
      ],
      hasher,
    );
    t.slotCounts().forEach((c, i) => {
      expect(Math.abs(c / t.size - (i + 1) / 10)).toBeLessThan(0.001);
    });
  });

  it('equal explicit weights build the unweighted table', () => {
    const backends = [b0, b1, b2];
    expect(
      Array.from(
        populateMaglev(
          backends.map((b) => ({ ...b, weight: 5 })),
          7,
        ),
      ),
    ).toEqual(Array.from(populateMaglev(backends, 7)));
  });

  it('refuses non-prime or out-of-range sizes, empty or oversized backend sets, bad permutations and weights', () => {
    const bad: (() => unknown)[] = [
      () => populateMaglev([b0], 9),
      () => populateMaglev([b0], 1),
      () => populateMaglev([b0], MAGLEV_MAX_TABLE_SIZE + 2),
      () => populateMaglev([], 7),
      () =>
        populateMaglev(
          Array.from({ length: 8 }, () => ({ offset: 0, skip: 1 })),
          7,
        ),
      () => populateMaglev([{ offset: 7, skip: 1 }], 7),
      () => populateMaglev([{ offset: 0, skip: 0 }], 7),
      () => populateMaglev([{ offset: 0, skip: 7 }], 7),
      () => populateMaglev([{ offset: 0, skip: 1, weight: 0 }], 7),
      () => populateMaglev([{ offset: 0, skip: 1, weight: Number.POSITIVE_INFINITY }], 7),
    ];
    for (const f of bad) expect(f).toThrow(InvalidArgumentError);
  });
});

describe('MaglevTable over a membership', () => {
  it('fills every slot, and slot counts differ by at most one (equal weights)', () => {
    for (const n of [1, 2, 3, 10, 64, 655]) {
      const t = MaglevTable.build(members(n), hasher);
      expect(t.size).toBe(MAGLEV_DEFAULT_TABLE_SIZE);
      expect(t.entries.every((e) => e < n)).toBe(true); // no slot left at the empty marker
      const counts = t.slotCounts();
      expect(counts.reduce((a, b) => a + b, 0)).toBe(t.size);
      expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
    }
  });

  it('removing one member moves its slots and under 1 % of the others (N = 5, 10, 50; M = 65537)', () => {
    for (const n of [5, 10, 50]) {
      const before = MaglevTable.build(members(n), hasher);
      const gone = 100 + Math.floor(n / 2);
      const after = MaglevTable.build(
        members(n).filter((m) => m.id !== gone),
        hasher,
      );
      let extra = 0;
      for (let s = 0; s < before.size; s++) {
        const a = before.members[before.entries[s]!]!.id;
        const b = after.members[after.entries[s]!]!.id;
        if (a !== gone && a !== b) extra++;
      }
      expect(extra / before.size).toBeLessThan(0.01);
    }
  });

  it('adding a member moves about 1/(N + 1) of the slots, nearly all to the newcomer', () => {
    const n = 10;
    const before = MaglevTable.build(members(n), hasher);
    const after = MaglevTable.build([...members(n), { id: 999 }], hasher);
    let moved = 0;
    let notToNew = 0;
    for (let s = 0; s < before.size; s++) {
      const a = before.members[before.entries[s]!]!.id;
      const b = after.members[after.entries[s]!]!.id;
      if (a !== b) {
        moved++;
        if (b !== 999) notToNew++;
      }
    }
    // The newcomer gets floor or ceil of M/(N+1) slots; the rest of the movement is churn (< 1 %).
    expect(Math.abs(moved / before.size - 1 / (n + 1))).toBeLessThan(0.01);
    expect(notToNew / before.size).toBeLessThan(0.01);
  });

  it('the members come back sorted by id, and input order does not change the table', () => {
    const a = MaglevTable.build([{ id: 3 }, { id: 1 }, { id: 2 }], hasher);
    const b = MaglevTable.build([{ id: 1 }, { id: 2 }, { id: 3 }], hasher);
    expect(a.members.map((m) => m.id)).toEqual([1, 2, 3]);
    expect(Array.from(a.entries)).toEqual(Array.from(b.entries));
    expect(a.lookup(0x1234_5678)).toBe(a.entries[0x1234_5678 % a.size]);
  });

  it('refuses a table smaller than 100 x N, a non-prime size and invalid memberships', () => {
    expect(() => MaglevTable.build(members(656), hasher)).toThrow(/100 x 656/);
    expect(() => MaglevTable.build(members(2), hasher, 65536)).toThrow(InvalidArgumentError);
    expect(() => MaglevTable.build(members(2), hasher, 0)).toThrow(InvalidArgumentError);
    expect(() => MaglevTable.build([], hasher)).toThrow(InvalidArgumentError);
    expect(() => MaglevTable.build([{ id: 1 }, { id: 1 }], hasher)).toThrow(InvalidArgumentError);
    expect(() => MaglevTable.build([{ id: 1, weight: -1 }], hasher)).toThrow(InvalidArgumentError);
    expect(MaglevTable.build(members(656), hasher, nextPrime(65_600)).size).toBe(65_609);
  });
});

describe('primes', () => {
  it('isPrime and nextPrime', () => {
    expect([0, 1, 2, 3, 4, 9, 25, 65537, 65536, 16_777_213].map(isPrime)).toEqual([
      false,
      false,
      true,
      true,
      false,
      false,
      false,
      true,
      false,
      true,
    ]);
    expect(isPrime(2.5)).toBe(false);
    expect(nextPrime(0)).toBe(2);
    expect(nextPrime(65_536)).toBe(65_537);
    expect(nextPrime(100_000)).toBe(100_003);
    expect(() => nextPrime(-1)).toThrow(InvalidArgumentError);
  });
});
