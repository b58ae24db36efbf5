import { InvalidArgumentError, KeyRing, WireError } from '@switchyard/wire';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  compareEntries,
  type DirectoryEntry,
  DirectoryOp,
  directoryMessage,
  FlowDirectory,
  type FlowDirectoryOptions,
  flowKey,
} from '../src/index.js';
import { collidingEntries, flow } from './arbitraries.js';

const secret = new Uint8Array(32).fill(7);
const ring = () => new KeyRing([{ id: 1, secret }]);
const make = (nodeId: number, over: Partial<FlowDirectoryOptions> = {}) =>
  new FlowDirectory({ clusterId: 1, nodeId, keyRing: ring(), capacity: 100, ...over });

const up = (n: number, version: bigint, writer: number, primary = 1, server = 7): DirectoryEntry => ({
  op: DirectoryOp.UPSERT,
  flow: flow(n),
  version,
  writer,
  primary,
  backup: primary === 2 ? 3 : 2,
  server,
});
const del = (n: number, version: bigint, writer: number): DirectoryEntry => ({
  op: DirectoryOp.DELETE,
  flow: flow(n),
  version,
  writer,
  primary: 0,
  backup: undefined,
  server: 0,
});

describe('merge rules (one test per rule)', () => {
  it('a higher version wins, whatever the order', () => {
    for (const order of [
      [up(0, 1n, 5, 1), up(0, 2n, 4, 2)],
      [up(0, 2n, 4, 2), up(0, 1n, 5, 1)],
    ]) {
      const d = make(9);
      for (const e of order) d.merge(e);
      expect(d.get(flow(0))?.primary).toBe(2);
    }
  });

  it('at the same version the higher writer id wins', () => {
    const d = make(9);
    expect(d.merge(up(0, 3n, 8, 2))).toBe('applied');
    expect(d.merge(up(0, 3n, 4, 1))).toBe('stale');
    expect(d.get(flow(0))?.writer).toBe(8);
  });

  it('at the same version and writer a delete beats an upsert', () => {
    const d = make(9);
    d.merge(del(0, 3n, 4));
    expect(d.merge(up(0, 3n, 4))).toBe('stale');
    expect(d.get(flow(0))).toBeUndefined();
  });

  it('a delete leaves a tombstone: an older upsert arriving later does not resurrect the flow', () => {
    const d = make(9);
    d.merge(up(0, 1n, 4));
    expect(d.merge(del(0, 5n, 4))).toBe('applied');
    expect(d.tombstones).toBe(1);
    expect(d.merge(up(0, 4n, 4))).toBe('stale');
    expect(d.get(flow(0))).toBeUndefined();
    expect(d.merge(up(0, 6n, 4))).toBe('applied'); // a newer one does
    expect(d.get(flow(0))).toBeDefined();
    expect(d.tombstones).toBe(0);
  });

  it('merging the same entry twice changes nothing (idempotent)', () => {
    const d = make(9);
    expect(d.merge(up(0, 1n, 4))).toBe('applied');
    expect(d.merge(up(0, 1n, 4))).toBe('stale');
    expect(d.counters.entriesStale).toBe(1);
  });

  it('equal (version, writer, op) fall back to the contents, so two different entries never tie', () => {
    expect(compareEntries(up(0, 1n, 4, 1, 7), up(0, 1n, 4, 1, 8))).toBeLessThan(0);
    expect(compareEntries(up(0, 1n, 4, 2), up(0, 1n, 4, 1))).toBeGreaterThan(0);
    expect(compareEntries({ ...up(0, 1n, 4), backup: undefined }, up(0, 1n, 4))).toBeLessThan(0);
    expect(compareEntries(up(0, 1n, 4), up(1, 1n, 4))).toBeLessThan(0);
    expect(compareEntries(up(0, 1n, 4), up(0, 1n, 4))).toBe(0);
  });

  it('refuses malformed local entries with InvalidArgumentError', () => {
    const d = make(9);
    expect(() => d.merge({ ...up(0, 1n, 4), version: -1n })).toThrow(InvalidArgumentError);
    expect(() => d.upsert(new Uint8Array(3), { primary: 1, server: 1 }, 1n)).toThrow(InvalidArgumentError);
    expect(() => d.upsert(flow(0), { primary: 1, backup: 1, server: 1 }, 1n)).toThrow(InvalidArgumentError);
    expect(d.size).toBe(0);
  });
});

describe('bounded size', () => {
  it('when full, a greater entry evicts the least one (counted)', () => {
    const d = make(9, { capacity: 3 });
    for (let i = 0; i < 3; i++) d.merge(up(i, BigInt(10 + i), 4));
    expect(d.merge(up(3, 20n, 4))).toBe('applied');
    expect(d.size).toBe(3);
    expect(d.get(flow(0))).toBeUndefined(); // version 10 was the least
    expect(d.get(flow(3))).toBeDefined();
    expect(d.counters.entriesEvicted).toBe(1);
  });

  it('when full, an entry below everything held is refused (counted)', () => {
    const d = make(9, { capacity: 2 });
    d.merge(up(0, 10n, 4));
    d.merge(up(1, 11n, 4));
    expect(d.merge(up(2, 5n, 4))).toBe('refused-full');
    expect(d.counters.entriesRefused).toBe(1);
    expect(d.snapshot().map((e) => e.version)).toEqual([10n, 11n]);
  });

  it('tombstones take room and are evicted like any entry', () => {
    const d = make(9, { capacity: 2 });
    d.merge(del(0, 1n, 4));
    d.merge(up(1, 2n, 4));
    d.merge(up(2, 3n, 4));
    expect(d.tombstones).toBe(0);
    expect(d.size).toBe(2);
  });

  it('updating a held flow never evicts', () => {
    const d = make(9, { capacity: 2 });
    d.merge(up(0, 1n, 4));
    d.merge(up(1, 2n, 4));
    expect(d.merge(up(0, 9n, 4))).toBe('applied');
    expect(d.counters.entriesEvicted).toBe(0);
  });
});

describe('convergence', () => {
  it('the same entries in any order give identical directories (with eviction)', () => {
    fc.assert(
      fc.property(
        fc.array(collidingEntries, { minLength: 1, maxLength: 40 }),
        fc.integer({ min: 1, max: 8 }),
        fc.func(fc.integer()),
        (list, capacity, key) => {
          const shuffled = list
            .map((e, i) => ({ e, k: key(i) }))
            .sort((a, b) => a.k - b.k)
            .map((x) => x.e);
          const a = make(9, { capacity });
          const b = make(9, { capacity });
          for (const e of list) a.merge(e);
          for (const e of [...shuffled, ...list.slice(0, 5)]) b.merge(e); // duplicates too
          expect(b.snapshot()).toEqual(a.snapshot());
          // The state is the `capacity` greatest per-flow maxima, computed naively.
          const best = new Map<string, DirectoryEntry>();
          for (const e of list) {
            const k = Buffer.from(e.flow).toString('hex');
            const held = best.get(k);
            if (held === undefined || compareEntries(e, held) > 0) best.set(k, e);
          }
          const top = [...best.values()].sort((x, y) => compareEntries(y, x)).slice(0, capacity);
          expect(a.snapshot().sort(compareEntries)).toEqual(top.sort(compareEntries));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('update messages from several balancers, delivered in any order, converge', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 2 }), fc.array(collidingEntries, { maxLength: 4 })), {
          maxLength: 20,
        }),
        fc.func(fc.integer()),
        (batches, key) => {
          const senders = [make(1), make(2), make(3)];
          const messages = batches.map(([s, list]) => senders[s]!.encodeUpdate(list, 1));
          const order = messages.map((m, i) => ({ m, k: key(i) })).sort((a, b) => a.k - b.k);
          const x = make(10, { capacity: 4 });
          const y = make(11, { capacity: 4 });
          for (const m of messages) expect(x.receive(m).verdict).toBe('accepted');
          for (const { m } of order) expect(y.receive(m).verdict).toBe('accepted');
          expect(y.snapshot()).toEqual(x.snapshot());
        },
      ),
      { numRuns: 100 },
    );
  });
});

describe('local writes', () => {
  it('upsert and remove stamp this node as writer and return the entry to send', () => {
    const d = make(9);
    const key = {
      family: 4,
      protocol: 6,
      source: 1,
      destination: 2,
      sourcePort: 3,
      destinationPort: 4,
    } as const;
    const { entry, result } = d.upsert(key, { primary: 1, backup: 2, server: 30 }, 100n);
    expect(result).toBe('applied');
    expect(entry).toEqual({
      op: DirectoryOp.UPSERT,
      flow: flowKey.encode(key),
      version: 100n,
      writer: 9,
      primary: 1,
      backup: 2,
      server: 30,
    });
    expect(d.get(key)).toEqual(entry);
    const gone = d.remove(flowKey.encode(key), 101n);
    expect(gone.entry.op).toBe(DirectoryOp.DELETE);
    expect(d.get(key)).toBeUndefined();
    expect(d.size).toBe(1);
  });
});

describe('messages', () => {
  const pair = () => {
    const a = make(1);
    const b = make(2);
    const { entry } = a.upsert(flow(0), { primary: 1, backup: 2, server: 30 }, 5n);
    return { a, b, bytes: a.encodeUpdate([entry], 1) };
  };

  it('an authenticated update is applied on the receiver', () => {
    const { a, b, bytes } = pair();
    expect(b.receive(bytes)).toEqual({ verdict: 'accepted', applied: 1, stale: 0, refused: 0 });
    expect(b.get(flow(0))).toEqual(a.get(flow(0)));
    expect(b.counters.messagesAccepted).toBe(1);
    expect(a.counters.messagesSent).toBe(1);
    expect(a.nextCounter).toBe(2n);
  });

  it('reports stale and refused entries of an accepted message', () => {
    const { a, b, bytes } = pair();
    b.receive(bytes);
    const small = make(3, { capacity: 1 });
    small.merge(up(5, 100n, 3));
    const second = a.encodeUpdate([up(0, 1n, 1), up(1, 1n, 1)], 1);
    expect(b.receive(second)).toMatchObject({ verdict: 'accepted', applied: 1, stale: 1 });
    expect(small.receive(second)).toMatchObject({ verdict: 'accepted', applied: 0, refused: 2 });
  });

  const flip = (at: number) => (b: Uint8Array) => {
    b[at]! ^= 1;
    return b;
  };
  const poke = (at: number, value: number) => (b: Uint8Array) => {
    b[at] = value;
    return b;
  };
  type Case = [string, string, (b: Uint8Array) => Uint8Array, Partial<FlowDirectoryOptions>?];
  const refused: Case[] = [
    ['malformed', 'malformed', (b) => b.subarray(0, 20)],
    ['forged (a flipped bit)', 'bad-tag', flip(40)],
    ['signed with an unknown key', 'unknown-key', poke(3, 7)],
    ['from another cluster', 'wrong-cluster', (b) => b, { clusterId: 2 }],
    ['from an old epoch', 'stale-epoch', (b) => b, { minEpoch: 2 }],
  ];
  it.each(refused)('refuses a message %s: counted, nothing changes', (_name, verdict, mutate, options) => {
    const { a } = pair();
    const b = make(2, options ?? {});
    const bytes = mutate(a.encodeUpdate([up(0, 1n, 1)], 1));
    const result = b.receive(bytes);
    expect(result.verdict).toBe(verdict);
    expect(result.applied).toBe(0);
    expect(b.size).toBe(0);
    const counters = b.counters;
    const name = {
      malformed: 'malformed',
      'bad-tag': 'badTag',
      'unknown-key': 'unknownKey',
      'wrong-cluster': 'wrongCluster',
      'stale-epoch': 'staleEpoch',
    }[verdict] as keyof typeof counters;
    expect(counters[name]).toBe(1);
    expect(counters.messagesAccepted).toBe(0);
  });

  it('a malformed message reports its WireError', () => {
    const r = make(2).receive(new Uint8Array(70));
    expect(r.verdict).toBe('malformed');
    expect(r.error).toBeInstanceOf(WireError);
    expect(r.error?.message).toMatch(/version 0/);
  });

  it('refuses a replay, and a counter below the window, without applying them', () => {
    const a = make(1);
    const b = make(2, { replayWindow: 4 });
    const first = a.encodeUpdate([up(0, 1n, 1)], 1);
    expect(b.receive(first).verdict).toBe('accepted');
    expect(b.receive(first).verdict).toBe('replay');
    const old = a.encodeUpdate([up(1, 1n, 1)], 1); // counter 2, held back
    for (let i = 0; i < 6; i++) b.receive(a.encodeUpdate([], 1));
    expect(b.receive(old).verdict).toBe('too-old');
    expect(b.get(flow(1))).toBeUndefined();
    expect(b.counters.replay).toBe(1);
    expect(b.counters.tooOld).toBe(1);
  });

  it('a forged copy of a fresh counter does not burn the counter', () => {
    const a = make(1);
    const b = make(2);
    const bytes = a.encodeUpdate([up(0, 1n, 1)], 1);
    const forged = bytes.slice();
    forged[40]! ^= 1;
    expect(b.receive(forged).verdict).toBe('bad-tag');
    expect(b.receive(bytes).verdict).toBe('accepted'); // the real one still gets in
  });

  it('ignores its own messages looped back by the segment', () => {
    const a = make(1);
    expect(a.receive(a.encodeUpdate([up(0, 1n, 1)], 1)).verdict).toBe('own');
    expect(a.counters.own).toBe(1);
  });

  it('accepts both keys during a rotation', () => {
    const k2 = { id: 2, secret: new Uint8Array(16).fill(3) };
    const senderRing = new KeyRing([{ id: 1, secret }, k2], { sendKeyId: 2 });
    const a = new FlowDirectory({ clusterId: 1, nodeId: 1, keyRing: senderRing, capacity: 10 });
    const b = new FlowDirectory({
      clusterId: 1,
      nodeId: 2,
      keyRing: new KeyRing([{ id: 1, secret }, k2]),
      capacity: 10,
    });
    expect(b.receive(a.encodeUpdate([up(0, 1n, 1)], 1)).verdict).toBe('accepted');
    senderRing.use(1);
    expect(b.receive(a.encodeUpdate([up(1, 1n, 1)], 1)).verdict).toBe('accepted');
  });

  it('setMinEpoch refuses older epochs from then on', () => {
    const a = make(1);
    const b = make(2);
    b.setMinEpoch(5);
    expect(b.minEpoch).toBe(5);
    expect(b.receive(a.encodeUpdate([up(0, 1n, 1)], 4)).verdict).toBe('stale-epoch');
    expect(b.receive(a.encodeUpdate([up(0, 1n, 1)], 5)).verdict).toBe('accepted');
    expect(() => b.setMinEpoch(-1)).toThrow(InvalidArgumentError);
  });

  it('starts its counter where told, so a restarted node is not taken for a replayer', () => {
    const a = make(1, { firstCounter: 1_000n });
    const bytes = a.encodeUpdate([], 1);
    expect(directoryMessage.decode(bytes).value.counter).toBe(1_000n);
    const b = make(2);
    b.receive(make(1).encodeUpdate([], 1)); // counter 1 from the first life
    expect(b.receive(bytes).verdict).toBe('accepted');
  });

  it('never throws on random bytes, and random bytes change nothing', () => {
    const b = make(2);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        expect(b.receive(bytes).verdict).not.toBe('accepted');
      }),
    );
    expect(b.size).toBe(0);
  });

  it('reports replay-window evictions', () => {
    const b = make(9, { replaySenders: 1 });
    b.receive(make(1).encodeUpdate([], 1));
    b.receive(make(2).encodeUpdate([], 1));
    expect(b.replayEvicted).toBe(1);
  });
});

describe('options', () => {
  it.each([
    ['capacity 0', { capacity: 0 }],
    ['capacity above 2^24', { capacity: 2 ** 24 + 1 }],
    ['a bad cluster id', { clusterId: -1 }],
    ['a bad node id', { nodeId: 2 ** 32 }],
    ['a bad first counter', { firstCounter: -1n }],
    ['a bad min epoch', { minEpoch: 1.5 }],
  ])('refuses %s', (_name, over) => {
    expect(() => make(1, over as Partial<FlowDirectoryOptions>)).toThrow(InvalidArgumentError);
  });

  it('refuses to send past the last counter', () => {
    const a = make(1, { firstCounter: 0xffff_ffff_ffff_ffffn });
    a.encodeUpdate([], 1);
    expect(() => a.encodeUpdate([], 1)).toThrow(InvalidArgumentError);
  });
});

describe('ownership of bytes', () => {
  it('merge keeps its own copy of the flow bytes', () => {
    const d = make(9);
    const e = up(0, 1n, 4);
    d.merge(e);
    e.flow[37] = 0xee; // the caller reuses its buffer
    expect(d.get(flow(0))).toBeDefined();
    expect(d.snapshot()[0]!.flow).toEqual(flow(0));
  });
});
