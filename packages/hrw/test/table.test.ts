import { InvalidArgumentError } from '@switchyard/wire';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  applyTableDiff,
  BucketTable,
  checkTransition,
  diffTables,
  MAX_TABLE_MEMBERS,
  MemberState,
  primaryBackup,
  type TableMember,
} from '../src/index.js';
import { refTable } from './reference.js';

const { ACTIVE, DRAINING, FILLING } = MemberState;
const ids = (n: number, from = 1): TableMember[] => Array.from({ length: n }, (_, i) => ({ id: from + i }));
const ROWS = 1024;

/** Snapshots of 1..10 members with distinct small ids, random weights and states. */
const snapshots = fc
  .uniqueArray(fc.integer({ min: 0, max: 40 }), { minLength: 1, maxLength: 10 })
  .chain((idList) =>
    fc.tuple(
      fc.constant(idList),
      fc.array(fc.constantFrom(1, 1, 2, 0.5, 3), { minLength: idList.length, maxLength: idList.length }),
      fc.array(fc.constantFrom(ACTIVE, ACTIVE, ACTIVE, DRAINING, FILLING), {
        minLength: idList.length,
        maxLength: idList.length,
      }),
    ),
  )
  .map(([idList, ws, ss]) => idList.map((id, i): TableMember => ({ id, weight: ws[i]!, state: ss[i]! })));

function same(a: BucketTable, b: BucketTable): boolean {
  return a.primaries.every((p, r) => p === b.primaries[r]) && a.backups.every((x, r) => x === b.backups[r]);
}

describe('BucketTable equals the naive reference (sort all members per row, BigInt hashing)', () => {
  it('on random snapshots, states, weights and seeds (1024 rows)', () => {
    fc.assert(
      fc.property(snapshots, fc.integer({ min: 0, max: 0xffff_ffff }), (members, seed) => {
        const t = BucketTable.build(members, { rows: ROWS, seed });
        const ref = refTable(ROWS, members, seed);
        expect(Array.from(t.primaries)).toEqual(ref.p);
        expect(Array.from(t.backups)).toEqual(ref.b);
      }),
      { numRuns: 25 },
    );
  });

  it('on a full 2^16-row table of 3 members, one draining', () => {
    const members: TableMember[] = [{ id: 10 }, { id: 20, state: DRAINING }, { id: 30, weight: 2 }];
    const t = BucketTable.build(members);
    expect(t.rows).toBe(65536);
    const ref = refTable(65536, members);
    expect(Array.from(t.primaries)).toEqual(ref.p);
    expect(Array.from(t.backups)).toEqual(ref.b);
  });

  it('a row is the rendezvous ranking of the row index (all active)', () => {
    const members = ids(5);
    const t = BucketTable.build(members, { rows: 256, seed: 7 });
    for (let r = 0; r < 256; r++) {
      const { primary, backup } = primaryBackup(r, members, 7);
      expect([t.primaries[r], t.backups[r]]).toEqual([primary, backup]);
    }
  });
});

describe('lookup', () => {
  const t = BucketTable.build(ids(4), { rows: 16 });

  it('row(keyHash) is the low bits of the key hash', () => {
    expect(t.row(0xabcd_ef37)).toBe(7);
    expect(t.primary(0xabcd_ef37)).toBe(t.primaries[7]);
    expect(t.backup(0xabcd_ef37)).toBe(t.backups[7]);
    expect(t.backup(7)).not.toBe(t.primary(7));
  });

  it('a one-member table has no backup (stored as the primary)', () => {
    const one = BucketTable.build([{ id: 5 }], { rows: 4 });
    expect(one.primary(3)).toBe(5);
    expect(one.backups[3]).toBe(5);
    expect(one.backup(3)).toBeUndefined();
  });

  it('stateOf reports the snapshot', () => {
    const s = BucketTable.build([{ id: 1, state: DRAINING }, { id: 2 }], { rows: 2 });
    expect(s.stateOf(1)).toBe(DRAINING);
    expect(s.stateOf(2)).toBe(ACTIVE);
    expect(s.stateOf(3)).toBeUndefined();
    expect(s.members[1]).toEqual({ id: 2, weight: 1, state: ACTIVE });
  });

  it('does not depend on the order of the snapshot', () => {
    const m: TableMember[] = [{ id: 3 }, { id: 1, state: DRAINING }, { id: 2, weight: 2 }];
    expect(
      same(BucketTable.build(m, { rows: 512 }), BucketTable.build([...m].reverse(), { rows: 512 })),
    ).toBe(true);
  });
});

describe('member states', () => {
  const base = ids(5);
  const active = BucketTable.build(base, { rows: ROWS });

  it('draining: rows it was primary for swap it to backup, their old backup takes new flows', () => {
    const drained = BucketTable.build(
      base.map((m) => (m.id === 3 ? { ...m, state: DRAINING } : m)),
      { rows: ROWS },
    );
    let swapped = 0;
    for (let r = 0; r < ROWS; r++) {
      expect(drained.primaries[r]).not.toBe(3); // no new flows
      if (active.primaries[r] === 3) {
        swapped++;
        expect(drained.primaries[r]).toBe(active.backups[r]);
        expect(drained.backups[r]).toBe(3); // second chance for its existing flows
      } else {
        expect([drained.primaries[r], drained.backups[r]]).toEqual([active.primaries[r], active.backups[r]]);
      }
    }
    expect(swapped).toBeGreaterThan(ROWS / 5 / 2);
  });

  it('all members draining: the table still answers (ranking unchanged)', () => {
    const all = BucketTable.build(
      base.map((m) => ({ ...m, state: DRAINING })),
      { rows: ROWS },
    );
    expect(same(all, active)).toBe(true);
  });

  it('filling: primary where it scores first, with the previous primary as backup', () => {
    const without = BucketTable.build(base, { rows: ROWS });
    const filling = BucketTable.build([...base, { id: 6, state: FILLING }], { rows: ROWS });
    let took = 0;
    for (let r = 0; r < ROWS; r++) {
      if (filling.primaries[r] === 6) {
        took++;
        expect(filling.backups[r]).toBe(without.primaries[r]); // its flows get a second chance
      } else {
        expect(filling.primaries[r]).toBe(without.primaries[r]);
      }
    }
    expect(Math.abs(took / ROWS - 1 / 6)).toBeLessThan(0.05);
    // Finishing the fill moves nothing: the layout is the same as active.
    expect(same(filling, BucketTable.build([...base, { id: 6 }], { rows: ROWS }))).toBe(true);
  });
});

describe('rebuilding moves only what must move', () => {
  /** The next snapshot: some members removed, states changed, weights kept, nobody added. */
  const transitions = snapshots.chain((prev) =>
    fc.tuple(
      fc.constant(prev),
      fc
        .array(fc.tuple(fc.boolean(), fc.constantFrom(ACTIVE, DRAINING, FILLING)), {
          minLength: prev.length,
          maxLength: prev.length,
        })
        .map((changes) => {
          const next = prev.filter((_, i) => changes[i]![0]).map((m, i) => ({ ...m, state: changes[i]![1] }));
          return next.length > 0 ? next : [prev[0]!];
        }),
    ),
  );

  it('with no member added, rows whose primary and backup stay live and not draining are unchanged', () => {
    fc.assert(
      fc.property(transitions, ([prev, next]) => {
        const a = BucketTable.build(prev, { rows: 256 });
        const b = BucketTable.build(next, { rows: 256 });
        const steady = (id: number) => {
          const before = a.stateOf(id);
          const after = b.stateOf(id);
          return before !== undefined && after !== undefined && before !== DRAINING && after !== DRAINING;
        };
        for (let r = 0; r < 256; r++) {
          const p = a.primaries[r]!;
          const x = a.backups[r]!;
          if (steady(p) && steady(x)) {
            expect([b.primaries[r], b.backups[r]]).toEqual([p, x]);
          }
        }
      }),
    );
  });

  it('adding members changes only rows that then hold one of them', () => {
    fc.assert(
      fc.property(snapshots, fc.integer({ min: 41, max: 60 }), (prev, newId) => {
        const steadyPrev = prev.map((m) => ({ ...m, state: ACTIVE }));
        const a = BucketTable.build(steadyPrev, { rows: 256 });
        const b = BucketTable.build([...steadyPrev, { id: newId, state: FILLING }], { rows: 256 });
        for (let r = 0; r < 256; r++) {
          if (a.primaries[r] !== b.primaries[r] || a.backups[r] !== b.backups[r]) {
            expect([b.primaries[r], b.backups[r]]).toContain(newId);
          }
        }
      }),
    );
  });

  it('removing a member changes only its rows; where it was backup the primary stays', () => {
    fc.assert(
      fc.property(
        snapshots.filter((s) => s.length >= 2),
        fc.nat(),
        (prev, pick) => {
          const gone = prev[pick % prev.length]!.id;
          const a = BucketTable.build(prev, { rows: 256 });
          const b = BucketTable.build(
            prev.filter((m) => m.id !== gone),
            { rows: 256 },
          );
          for (let r = 0; r < 256; r++) {
            if (a.primaries[r] !== gone && a.backups[r] !== gone) {
              expect([b.primaries[r], b.backups[r]]).toEqual([a.primaries[r], a.backups[r]]);
            } else if (a.primaries[r] !== gone) {
              expect(b.primaries[r]).toBe(a.primaries[r]);
            }
          }
        },
      ),
    );
  });
});

describe('diff', () => {
  const a = BucketTable.build(ids(4), { rows: ROWS });
  const b = BucketTable.build(
    ids(4).map((m) => (m.id === 2 ? { ...m, state: DRAINING } : m)),
    { rows: ROWS },
  );

  it('lists exactly the rows that changed, with their new contents', () => {
    const d = diffTables(a, b);
    const expected = [];
    for (let r = 0; r < ROWS; r++)
      if (a.primaries[r] !== b.primaries[r] || a.backups[r] !== b.backups[r]) expected.push(r);
    expect(Array.from(d.rows)).toEqual(expected);
    expect(d.rows.length).toBeGreaterThan(0);
    d.rows.forEach((r, i) => {
      expect(d.primaries[i]).toBe(b.primaries[r]);
      expect(d.backups[i]).toBe(b.backups[r]);
    });
    // Draining swaps both columns of its primary rows and touches no other row.
    expect(d.primaryChanged).toBe(Array.from(a.primaries).filter((p) => p === 2).length);
    expect(d.backupChanged).toBe(0);
    expect(diffTables(a, a).rows.length).toBe(0);
  });

  it('applied to a copy of the old columns gives the new table', () => {
    const c = BucketTable.build(ids(5), { rows: ROWS });
    const d = diffTables(a, c);
    expect(d.backupChanged).toBeGreaterThan(0);
    const p = a.primaries.slice();
    const x = a.backups.slice();
    applyTableDiff(p, x, d);
    expect(p).toEqual(c.primaries);
    expect(x).toEqual(c.backups);
  });

  it('refuses tables of different sizes and diffs that do not fit', () => {
    expect(() => diffTables(a, BucketTable.build(ids(4), { rows: 512 }))).toThrow(InvalidArgumentError);
    const d = diffTables(a, b);
    expect(() => applyTableDiff(new Uint32Array(8), new Uint32Array(8), d)).toThrow(InvalidArgumentError);
    expect(() => applyTableDiff(new Uint32Array(8), new Uint32Array(4), d)).toThrow(InvalidArgumentError);
    expect(() =>
      applyTableDiff(new Uint32Array(ROWS), new Uint32Array(ROWS), { ...d, primaries: new Uint32Array(0) }),
    ).toThrow(InvalidArgumentError);
  });
});

describe('weights in a table', () => {
  it('each member holds weight / Σweight of the rows as primary (±5 % relative, 2^16 rows)', () => {
    const members = [
      { id: 1, weight: 1 },
      { id: 2, weight: 2 },
      { id: 3, weight: 5 },
    ];
    const t = BucketTable.build(members);
    for (const m of members) {
      const share = t.primaries.filter((p) => p === m.id).length / t.rows;
      expect(Math.abs(share / (m.weight / 8) - 1)).toBeLessThan(0.05);
    }
  });
});

describe('build refuses bad snapshots and sizes', () => {
  it.each([
    ['zero rows', ids(2), { rows: 0 }],
    ['rows not a power of two', ids(2), { rows: 1000 }],
    ['rows above 2^20', ids(2), { rows: 2 ** 21 }],
    ['an empty snapshot', [], {}],
    ['too many members', ids(MAX_TABLE_MEMBERS + 1), { rows: 16 }],
    ['too much work', ids(256), { rows: 2 ** 17 }],
    ['an unknown state', [{ id: 1, state: 7 as MemberState }], { rows: 2 }],
    ['a duplicate id', [{ id: 1 }, { id: 1 }], { rows: 2 }],
    ['a bad seed', ids(2), { rows: 2, seed: -1 }],
  ])('%s', (_name, members, options) => {
    expect(() => BucketTable.build(members as TableMember[], options)).toThrow(InvalidArgumentError);
  });
});

describe('checkTransition (glb-director state machine, advisory)', () => {
  it('accepts join-as-filling, fill → active, active → draining, leave after draining', () => {
    const steps: TableMember[][] = [
      ids(3),
      [...ids(3), { id: 4, state: FILLING }],
      [...ids(3), { id: 4 }],
      [{ id: 1, state: DRAINING }, { id: 2 }, { id: 3 }, { id: 4 }],
      [{ id: 2 }, { id: 3 }, { id: 4 }],
    ];
    for (let i = 1; i < steps.length; i++) expect(checkTransition(steps[i - 1]!, steps[i]!)).toEqual([]);
  });

  it('flags a join straight to active', () => {
    expect(checkTransition(ids(2), ids(3))).toEqual([{ kind: 'joined-without-filling', id: 3 }]);
  });

  it('flags a leave without draining', () => {
    expect(checkTransition(ids(3), ids(2))).toEqual([{ kind: 'left-without-draining', id: 3 }]);
  });

  it('flags two members changing at once', () => {
    expect(
      checkTransition(ids(3), [{ id: 1, state: DRAINING }, { id: 2, state: DRAINING }, { id: 3 }]),
    ).toEqual([{ kind: 'several-changing', ids: [1, 2] }]);
  });
});
