import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { InvalidArgumentError } from '@switchyard/wire';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_MEMBERS, type Member, MemberSet, primaryBackup, rank, rankInto, score } from '../src/index.js';
import { prng, refRank, refScore } from './reference.js';

const u32 = fc.integer({ min: 0, max: 0xffff_ffff });
/** 1..12 members with distinct ids and weights in [0.1, 10]. */
const memberSets = fc
  .uniqueArray(u32, { minLength: 1, maxLength: 12 })
  .chain((ids) =>
    fc.tuple(
      fc.constant(ids),
      fc.array(fc.option(fc.double({ min: 0.1, max: 10, noNaN: true }), { nil: undefined }), {
        minLength: ids.length,
        maxLength: ids.length,
      }),
    ),
  )
  .map(([ids, ws]) => ids.map((id, i): Member => (ws[i] === undefined ? { id } : { id, weight: ws[i]! })));

const ids = (n: number, from = 1): Member[] => Array.from({ length: n }, (_, i) => ({ id: from + i }));

describe('score', () => {
  it('is −weight / ln(u) of the reference hash', () => {
    fc.assert(
      fc.property(u32, u32, fc.double({ min: 0.001, max: 1000, noNaN: true }), u32, (k, id, weight, seed) => {
        expect(score(k, { id, weight }, seed)).toBe(refScore(k, { id, weight }, seed));
      }),
    );
  });

  it('vector: key 0x1234abcd, member 7, weight 1 and 3', () => {
    const s = score(0x1234abcd, { id: 7 });
    expect(s).toBeGreaterThan(0);
    expect(score(0x1234abcd, { id: 7, weight: 3 })).toBeCloseTo(3 * s, 12);
    expect(s).toBe(refScore(0x1234abcd, { id: 7 }));
  });

  it('refuses bad ids, weights, keys and seeds', () => {
    const bad: Array<() => unknown> = [
      () => score(-1, { id: 1 }),
      () => score(2 ** 32, { id: 1 }),
      () => score(1.5, { id: 1 }),
      () => score(1, { id: -1 }),
      () => score(1, { id: 2 ** 32 }),
      () => score(1, { id: 1, weight: 0 }),
      () => score(1, { id: 1, weight: -2 }),
      () => score(1, { id: 1, weight: Number.NaN }),
      () => score(1, { id: 1, weight: Number.POSITIVE_INFINITY }),
      () => score(1, { id: 1 }, -1),
      () => score(1, { id: 1 }, 2 ** 32),
    ];
    for (const f of bad) expect(f).toThrow(InvalidArgumentError);
  });
});

describe('rank', () => {
  it('equals the sort-everything reference', () => {
    fc.assert(
      fc.property(u32, memberSets, fc.integer({ min: 0, max: 14 }), u32, (k, members, n, seed) => {
        const want = refRank(k, members, seed)
          .slice(0, n)
          .map((m) => m.id);
        expect(rank(k, members, n, seed)).toEqual(want);
        expect(rank(k, new MemberSet(members, { seed }), n)).toEqual(want);
      }),
    );
  });

  it('vector: five members, key 0x1234abcd (regression)', () => {
    const order = rank(0x1234abcd, ids(5), 5);
    expect(order).toEqual(refRank(0x1234abcd, ids(5)).map((m) => m.id));
    expect([...order].sort()).toEqual([1, 2, 3, 4, 5]);
  });

  it('does not depend on the order of the members', () => {
    fc.assert(
      fc.property(u32, memberSets, fc.integer(), (k, members, shift) => {
        const rotated = members.map((_, i) => members[(i + Math.abs(shift)) % members.length]!);
        expect(rank(k, rotated, members.length)).toEqual(rank(k, [...members].reverse(), members.length));
      }),
    );
  });

  it('keeps the relative order of any two members whatever else is in the set', () => {
    fc.assert(
      fc.property(u32, memberSets, (k, members) => {
        const full = rank(k, members, members.length);
        const half = members.filter((_, i) => i % 2 === 0);
        expect(rank(k, half, half.length)).toEqual(full.filter((id) => half.some((m) => m.id === id)));
      }),
    );
  });

  it('breaks score ties by the smaller id', () => {
    // Find a weight for member 2 that gives exactly member 1's score for this key.
    const k = 99;
    const s1 = score(k, { id: 1 });
    const u2 = Math.exp(-1 / score(k, { id: 2 }));
    let w = -s1 * Math.log(u2);
    for (let i = 0; i < 64 && score(k, { id: 2, weight: w }) !== s1; i++) {
      w = score(k, { id: 2, weight: w }) < s1 ? w * (1 + 2 ** -52) : w * (1 - 2 ** -52);
    }
    expect(score(k, { id: 2, weight: w })).toBe(s1);
    expect(rank(k, [{ id: 2, weight: w }, { id: 1 }], 2)).toEqual([1, 2]);
    expect(rank(k, [{ id: 1 }, { id: 2, weight: w }], 2)).toEqual([1, 2]);
    const out = new Uint32Array(1);
    rankInto(k, new MemberSet([{ id: 2, weight: w }, { id: 1 }]), out);
    expect(out[0]).toBe(1);
  });

  it('returns fewer ids than k for a small set, none for k = 0 or an empty set', () => {
    expect(rank(5, ids(3), 10)).toHaveLength(3);
    expect(rank(5, ids(3), 0)).toEqual([]);
    expect(rank(5, [], 2)).toEqual([]);
  });

  it('refuses bad k, duplicates, too many members and non-arrays', () => {
    expect(() => rank(1, ids(3), -1)).toThrow(InvalidArgumentError);
    expect(() => rank(1, ids(3), 1.5)).toThrow(InvalidArgumentError);
    expect(() => rank(1, [{ id: 4 }, { id: 4 }], 1)).toThrow(/duplicate id 4/);
    expect(() => new MemberSet([{ id: 4 }, { id: 4 }])).toThrow(/duplicate id 4/);
    expect(() => rank(1, ids(MAX_MEMBERS + 1), 1)).toThrow(InvalidArgumentError);
    expect(() => new MemberSet(ids(MAX_MEMBERS + 1))).toThrow(InvalidArgumentError);
    expect(() => rank(1, 'abc' as unknown as Member[], 1)).toThrow(InvalidArgumentError);
    expect(() => new MemberSet('abc' as unknown as Member[])).toThrow(InvalidArgumentError);
    expect(() => new MemberSet(ids(2), { seed: -3 })).toThrow(InvalidArgumentError);
    expect(() => new MemberSet([{ id: 1, weight: 0 }])).toThrow(InvalidArgumentError);
  });
});

describe('rankInto (the allocation-free form)', () => {
  it('fills out best first and returns the count', () => {
    const members = ids(6);
    const out = new Uint32Array(3);
    expect(rankInto(77, members, out)).toBe(3);
    expect(Array.from(out)).toEqual(rank(77, members, 3));
    const set = new MemberSet(members);
    const out2 = new Uint32Array(10).fill(0xa5a5a5a5);
    expect(rankInto(77, set, out2)).toBe(6);
    expect(Array.from(out2.subarray(0, 6))).toEqual(rank(77, members, 6));
    expect(out2[6]).toBe(0xa5a5a5a5); // nothing written past the count
    expect(rankInto(77, set, new Uint32Array(0))).toBe(0);
    expect(rankInto(77, members, new Uint32Array(0))).toBe(0);
  });

  // In a child process: V8 block coverage (on in CI) allocates by itself inside the loop. The
  // fixture measures the README's form, a MemberSet with ids, seed and key hashes above 2^31,
  // and the plain-array form, each warmed up and then run 500k times.
  it('allocates nothing per call: 500k calls of each hot-path form run without one scavenge', () => {
    const tsx = fileURLToPath(new URL('../../../node_modules/.bin/tsx', import.meta.url));
    const fixture = fileURLToPath(new URL('fixtures/allocation.ts', import.meta.url));
    const env = { ...process.env, NODE_V8_COVERAGE: '', NODE_OPTIONS: '--expose-gc' };
    const result = JSON.parse(execFileSync(tsx, [fixture], { encoding: 'utf8', env })) as Record<
      string,
      { scavenges: number; grown: number }
    >;
    // Even 4 bytes per call would be 2 MB: about a young-generation semi-space, so a scavenge.
    const clean = { scavenges: 0, grownUnder2MB: true };
    expect(
      Object.fromEntries(
        Object.entries(result).map(([name, r]) => [
          name,
          { scavenges: r.scavenges, grownUnder2MB: r.grown < 2e6 },
        ]),
      ),
    ).toEqual({ memberSet: clean, wideMemberSet: clean, array: clean });
  });

  it('refuses a non-Uint32Array out and a bad key hash', () => {
    expect(() => rankInto(1, ids(2), [0, 0] as unknown as Uint32Array)).toThrow(InvalidArgumentError);
    expect(() => rankInto(-1, ids(2), new Uint32Array(2))).toThrow(InvalidArgumentError);
  });

  it('uses the seed: another seed gives another primary for about (N−1)/N of keys', () => {
    const members = ids(4);
    let differ = 0;
    for (let k = 0; k < 4096; k++) if (rank(k, members, 1, 0)[0] !== rank(k, members, 1, 12345)[0]) differ++;
    expect(differ / 4096).toBeGreaterThan(0.7);
    expect(differ / 4096).toBeLessThan(0.8);
  });
});

describe('primaryBackup', () => {
  it('is the top two of the ranking; no backup in a one-member set', () => {
    expect(primaryBackup(3, ids(4))).toEqual({
      primary: rank(3, ids(4), 2)[0],
      backup: rank(3, ids(4), 2)[1],
    });
    expect(primaryBackup(3, [{ id: 9 }])).toEqual({ primary: 9, backup: undefined });
    expect(() => primaryBackup(3, [])).toThrow(InvalidArgumentError);
  });

  it('removing a member remaps only its keys; where it was backup only the backup changes', () => {
    fc.assert(
      fc.property(
        memberSets.filter((m) => m.length >= 2),
        fc.nat(),
        fc.array(u32, { minLength: 50, maxLength: 50 }),
        (members, pick, keys) => {
          const gone = members[pick % members.length]!.id;
          const rest = members.filter((m) => m.id !== gone);
          for (const k of keys) {
            const before = primaryBackup(k, members);
            const after = primaryBackup(k, rest);
            if (before.primary === gone) {
              expect(after.primary).toBe(before.backup); // the backup takes over
            } else if (before.backup === gone) {
              expect(after.primary).toBe(before.primary);
              expect(after.backup).not.toBe(gone);
            } else {
              expect(after).toEqual(before);
            }
          }
        },
      ),
    );
  });
});

describe('distribution (fixed inputs, stated tolerances)', () => {
  const keys = (() => {
    const next = prng(0x5eed);
    return Array.from({ length: 65536 }, () => next());
  })();

  it('adding an 11th member moves 1/11 of primaries (±0.01), all of them to the newcomer', () => {
    const ten = ids(10);
    const eleven = [...ten, { id: 11 }];
    let moved = 0;
    for (const k of keys) {
      const a = rank(k, ten, 1)[0];
      const b = rank(k, eleven, 1)[0];
      if (a !== b) {
        moved++;
        expect(b).toBe(11);
      }
    }
    // Binomial σ = sqrt(p(1−p)/n) ≈ 0.0011: the tolerance is about 9σ.
    expect(Math.abs(moved / keys.length - 1 / 11)).toBeLessThan(0.01);
  });

  it('each share of primaries is weight / Σweight (±3 % relative) for weights 1, 2, 3, 4', () => {
    const members = [1, 2, 3, 4].map((w) => ({ id: 100 + w, weight: w }));
    const count = new Map<number, number>();
    for (const k of keys) {
      const p = rank(k, members, 1)[0]!;
      count.set(p, (count.get(p) ?? 0) + 1);
    }
    for (const m of members) {
      const share = (count.get(m.id) ?? 0) / keys.length;
      // σ of the smallest share (0.1) is 0.0012, 3 % of it is 0.003: about 2.5σ at worst.
      expect(Math.abs(share / (m.weight / 10) - 1)).toBeLessThan(0.05);
    }
  });

  it('equal members share primaries evenly (max/mean < 1.05 with 8 members)', () => {
    const members = ids(8);
    const count = new Array<number>(9).fill(0);
    for (const k of keys) count[rank(k, members, 1)[0]!]!++;
    const max = Math.max(...count.slice(1));
    expect(max / (keys.length / 8)).toBeLessThan(1.05);
  });
});
