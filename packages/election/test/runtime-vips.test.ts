/**
 * VIPs added and removed at runtime (a daemon's config reload), without restarting the
 * election: on netsim with fixed seeds, and on one node alone for validation and idle use.
 */
import { EthernetFrame, InvalidArgumentError, KeyRing } from '@switchyard/wire';
import { describe, expect, it } from 'vitest';
import {
  ElectionNode,
  type ElectionOptions,
  HEARTBEAT_ETHERTYPE,
  HEARTBEAT_MAX_CLAIMS,
  HeartbeatMessage,
  IpAddress,
  Role,
  RoleReason,
} from '../src/index.js';
import { Cluster, ms, nodeMac, SECRET, vip4, vip6 } from './cluster.js';

const I = ms(10);
const K = 3;
const VIPS = [vip4(1), vip4(2), vip6(3)];
const NEW = vip4(9);
/** Node (i % 3) + 1 is preferred for VIP i. */
const priority = (n: number, i: number) => (n - 1 === i % 3 ? 200 : 100 + n);

function converged(seed: number) {
  const c = new Cluster({ seed, nodes: 3, vips: VIPS, priority });
  c.startAll();
  c.sim.runFor(ms(200) + c.sim.random.below(I)); // a random heartbeat phase
  for (const [i, v] of VIPS.entries()) expect(c.actives(v)).toEqual([(i % 3) + 1]);
  return c;
}

/** Node `n`'s heartbeats as a listener on the switch sees them: (time, claimed VIPs with their roles). */
function tap(c: Cluster, n: number) {
  const seen: Array<{ at: number; claims: Array<{ vip: IpAddress; role: Role }> }> = [];
  const link = c.sim.attach(c.switches[0]!.port(14), { mac: 0x02_00_00_00_00_ee });
  const eth = new EthernetFrame();
  const m = new HeartbeatMessage();
  link.onReceive((f) => {
    if (eth.check(f) !== 0 || eth.etherType !== HEARTBEAT_ETHERTYPE || !eth.sourceEquals(nodeMac(n))) return;
    m.wrap(f, eth.payloadOffset, eth.payloadLength);
    const claims = Array.from({ length: m.claimCount }, (_, i) => ({
      vip: m.claimVip(i),
      role: m.claimRole(i),
    }));
    seen.push({ at: c.sim.now, claims });
  });
  return seen;
}

describe('addVip at runtime, 3 nodes', () => {
  for (const [seed, stagger] of [
    [41, 0],
    [42, ms(2)],
    [43, ms(7)],
  ] as const) {
    it(`one active for the new VIP within initWait + one heartbeat, the others unchanged (seed ${seed}, adds ${stagger / 1e6} ms apart)`, () => {
      const c = converged(seed);
      const events = c.log.length;
      const addedAt = c.sim.now;
      // Node 2 is preferred for the new VIP; node 3 hears of it first, node 2 last.
      for (const [j, n] of [3, 1, 2].entries()) {
        if (j > 0) c.sim.runFor(stagger);
        c.addVip(n, { address: NEW, priority: n === 2 ? 200 : 100 + n });
        expect(c.node(n).node.role(NEW)).toBe(Role.INIT);
      }
      const lastAddAt = c.sim.now;
      // It listens initWait before deciding: nobody active before that.
      c.runChecking(addedAt + K * I - 1, () => expect(c.actives(NEW)).toEqual([]));
      // Exactly one active from initWait + one heartbeat after the last add on, at every instant.
      c.runChecking(lastAddAt + K * I + I, () => expect(c.actives(NEW).length).toBeLessThanOrEqual(1));
      expect(c.actives(NEW)).toEqual([2]);
      c.runChecking(c.sim.now + ms(1000), () => {
        expect(c.actives(NEW)).toEqual([2]);
        for (const [i, v] of VIPS.entries()) expect(c.actives(v)).toEqual([(i % 3) + 1]);
      });
      const after = c.log.slice(events);
      // Only the new VIP's decisions: one INIT → ACTIVE, two INIT → PASSIVE; no joins, leaves or other VIPs.
      expect(after.every((e) => e.event.type === 'role' && IpAddress.equals(e.event.vip, NEW))).toBe(true);
      expect(
        after.map((e) => (e.event.type === 'role' ? [e.node, e.event.from, e.event.to] : [])).sort(),
      ).toEqual(
        [
          [1, Role.INIT, Role.PASSIVE],
          [2, Role.INIT, Role.ACTIVE],
          [3, Role.INIT, Role.PASSIVE],
        ].sort(),
      );
      for (const n of [1, 2, 3]) {
        expect(
          c
            .node(n)
            .node.roles()
            .map((r) => IpAddress.format(r.vip)),
        ).toEqual(['192.0.2.1', '192.0.2.2', '2001:db8::3', '192.0.2.9']);
      }
    });
  }

  it('added on one node only while a peer already serves it actively: passive at once, above the known term', () => {
    const c = converged(44);
    // Node 3 gives VIPS[1] up and takes it back, so its term is above 1.
    c.removeVip(2, VIPS[1]!);
    c.sim.runFor(ms(50));
    expect(c.activesAmongServing(VIPS[1]!)).toEqual([3]);
    const { term, since } = c.node(3).node.roles()[1]!;
    expect(term).toBe(2);
    const events = c.log.length;
    const addedAt = c.sim.now;
    c.addVip(2, { address: VIPS[1]!, priority: 200 });
    const e = c.log.slice(events);
    expect(e.map((x) => (x.event.type === 'role' ? [x.node, x.event.to, x.event.reason] : []))).toEqual([
      [2, Role.PASSIVE, RoleReason.ACTIVE_SEEN],
    ]);
    expect(
      c
        .node(2)
        .node.roles()
        .find((r) => IpAddress.equals(r.vip, VIPS[1]!))!.term,
    ).toBe(term);
    // The better node gets it back by preemption after the hold time (default 2 s), never two actives.
    // Break before make: unowned for one propagation delay while it moves, never two actives.
    c.runChecking(c.sim.now + ms(4000), () => expect(c.actives(VIPS[1]!).length).toBeLessThanOrEqual(1));
    expect(c.actives(VIPS[1]!)).toEqual([2]);
    const back = c.takeoverAfter(VIPS[1]!, addedAt, 3)!;
    expect(back.event.at - since).toBeGreaterThanOrEqual(ms(2000)); // node 3's hold time
    expect(back.node).toBe(2);
    expect(back.event.term).toBe(term + 1);
  });
});

describe('removeVip at runtime, 3 nodes', () => {
  it('on the active node: the next best takes over within one heartbeat interval, on receipt (10 seeds)', () => {
    for (let seed = 300; seed < 310; seed++) {
      const c = converged(seed);
      const frames = tap(c, 2);
      c.sim.runFor(ms(20) + c.sim.random.below(I));
      const vip = VIPS[1]!; // node 2 active, node 3 next best (103), node 1 (101)
      const events = c.log.length;
      const removedAt = c.sim.now;
      expect(c.removeVip(2, vip)).toBe(true);
      // The release is reported first, synchronously.
      expect(c.log.slice(events).map((e) => e.event)).toEqual([
        {
          type: 'role',
          at: removedAt,
          vip,
          from: Role.ACTIVE,
          to: Role.PASSIVE,
          reason: RoleReason.REMOVED,
          term: 1,
        },
      ]);
      c.runChecking(removedAt + ms(300), () => {
        expect(c.activesAmongServing(vip).length).toBeLessThanOrEqual(1);
        expect(c.actives(VIPS[0]!)).toEqual([1]);
        expect(c.actives(VIPS[2]!)).toEqual([3]);
      });
      const t = c.takeoverAfter(vip, removedAt, 2)!;
      expect(t, `seed ${seed}`).toBeDefined();
      expect(t.node).toBe(3);
      expect(t.event.reason).toBe(RoleReason.VACANT);
      expect(t.event.term).toBe(2);
      // Not a dead interval, not even a heartbeat: one propagation through the switch.
      expect(t.event.at - removedAt).toBeLessThan(I);
      expect(t.event.at - removedAt).toBeLessThan(ms(0.2));
      expect(c.activesAmongServing(vip)).toEqual([3]);
      // Every later role event is node 3's takeover; node 1 stays passive.
      expect(c.log.slice(events + 1).map((e) => e.node)).toEqual([3]);
      // Node 2 no longer serves it, nor claims it: two heartbeats at once, none with the claim.
      expect(() => c.node(2).node.role(vip)).toThrow(InvalidArgumentError);
      expect(() => c.node(2).node.activeNode(vip)).toThrow(InvalidArgumentError);
      expect(
        c
          .node(2)
          .node.roles()
          .map((r) => r.vip),
      ).toEqual([VIPS[0], VIPS[2]]);
      const before = frames.filter((f) => f.at < removedAt);
      const after = frames.filter((f) => f.at >= removedAt);
      expect(before.at(-1)!.claims.find((x) => IpAddress.equals(x.vip, vip))!.role).toBe(Role.ACTIVE);
      expect(after.length).toBeGreaterThan(25);
      expect(after.filter((f) => f.at < removedAt + ms(0.2))).toHaveLength(2);
      for (const f of after) expect(f.claims.map((x) => x.vip)).toEqual([VIPS[0], VIPS[2]]);
      expect(c.node(1).node.activeNode(vip)).toBe(3);
    }
  });

  it('on the active node, with both announcements lost: the next regular heartbeat does it, within one interval', () => {
    const c = converged(320);
    const vip = VIPS[1]!;
    const cable = c.switches[0]!.port(1).cable!; // node 2's cable
    const removedAt = c.sim.now;
    // Cut for the removal instant only: both announcements, sent at once, are lost.
    cable.cut();
    c.sim.scheduler.after(1, () => cable.heal());
    c.removeVip(2, vip);
    c.sim.runFor(ms(50));
    expect(cable.stats.partitionDrops).toBeGreaterThanOrEqual(2);
    const t = c.takeoverAfter(vip, removedAt, 2)!;
    expect(t.node).toBe(3);
    expect(t.event.reason).toBe(RoleReason.VACANT);
    expect(t.event.at - removedAt).toBeGreaterThan(ms(0.2)); // not on the lost announcements
    expect(t.event.at - removedAt).toBeLessThanOrEqual(I + ms(0.2));
    expect(c.activesAmongServing(vip)).toEqual([3]);
  });

  it('on a passive node: no role changes anywhere, and the node stops claiming it', () => {
    const c = converged(330);
    const frames = tap(c, 1);
    c.sim.runFor(ms(20) + c.sim.random.below(I));
    const events = c.log.length;
    const removedAt = c.sim.now;
    expect(c.removeVip(1, VIPS[1]!)).toBe(true); // node 1 is passive for it
    c.runChecking(removedAt + ms(3000), () => {
      expect(c.actives(VIPS[0]!)).toEqual([1]);
      expect(c.activesAmongServing(VIPS[1]!)).toEqual([2]);
      expect(c.actives(VIPS[2]!)).toEqual([3]);
    });
    expect(c.log.slice(events)).toEqual([]);
    for (const f of frames.filter((x) => x.at >= removedAt))
      expect(f.claims.map((x) => x.vip)).toEqual([VIPS[0], VIPS[2]]);
    // Announced promptly (rate-limited to interval / 8), not at the next regular heartbeat.
    expect(frames.find((x) => x.at >= removedAt)!.at - removedAt).toBeLessThanOrEqual(I / 8 + ms(0.2));
    expect(() => c.node(1).node.role(VIPS[1]!)).toThrow(InvalidArgumentError);
  });

  it('on every node, the active last: nobody serves it any more and nothing else moves', () => {
    const c = converged(340);
    const events = c.log.length;
    for (const n of [1, 3, 2]) {
      expect(c.removeVip(n, VIPS[1]!)).toBe(true);
      c.sim.runFor(ms(3));
    }
    c.sim.runFor(ms(500));
    expect(c.activesAmongServing(VIPS[1]!)).toEqual([]);
    expect(c.log.slice(events).map((e) => e.event.type === 'role' && [e.node, e.event.reason])).toEqual([
      [2, RoleReason.REMOVED],
    ]);
    expect(c.actives(VIPS[0]!)).toEqual([1]);
    expect(c.actives(VIPS[2]!)).toEqual([3]);
  });
});

const keys = new KeyRing([{ id: 1, secret: SECRET }]);

function options(overrides: Partial<ElectionOptions> = {}): ElectionOptions {
  return {
    clusterId: 7,
    nodeId: 1,
    mac: nodeMac(1),
    ip: IpAddress.v4('10.0.0.1'),
    keys,
    bootId: 1,
    initialCounter: 1000n,
    vips: [{ address: vip4(1) }],
    ...overrides,
  };
}

describe('addVip / removeVip on one node', () => {
  it('refuses a duplicate, a bad priority, a bad address and one VIP too many, changing nothing', () => {
    const node = new ElectionNode(options());
    const bad = [
      { address: vip4(1) },
      { address: IpAddress.parse('192.0.2.1'), priority: 50 }, // the same VIP, another object
      { address: vip4(2), priority: 256 },
      { address: vip4(2), priority: -1 },
      { address: vip4(2), priority: 1.5 },
      { address: { version: 4, address: -1 } as IpAddress },
    ];
    for (const config of bad)
      expect(() => node.addVip(config, 0), JSON.stringify(config)).toThrow(InvalidArgumentError);
    expect(node.roles()).toHaveLength(1);
    for (let i = 2; i <= HEARTBEAT_MAX_CLAIMS; i++) node.addVip({ address: vip4(i) }, 0);
    expect(node.roles()).toHaveLength(HEARTBEAT_MAX_CLAIMS);
    expect(() => node.addVip({ address: vip4(200) }, 0)).toThrow(InvalidArgumentError);
    expect(node.roles()).toHaveLength(HEARTBEAT_MAX_CLAIMS);
    // After a removal there is room again.
    expect(node.removeVip(vip4(3), 0)).toBe(true);
    node.addVip({ address: vip4(200) }, 0);
    expect(node.roles()).toHaveLength(HEARTBEAT_MAX_CLAIMS);
  });

  it('a metric that fails for the new VIP leaves the node unchanged', () => {
    const node = new ElectionNode(
      options({ metric: (ctx) => (IpAddress.equals(ctx.vip, vip4(66)) ? -1 : 255 - ctx.priority) }),
    );
    node.start(0);
    expect(() => node.addVip({ address: vip4(66) }, 1)).toThrow(InvalidArgumentError);
    expect(node.roles().map((r) => r.vip)).toEqual([vip4(1)]);
  });

  it('removing an unknown VIP returns false and changes nothing', () => {
    const node = new ElectionNode(options());
    expect(node.removeVip(vip4(2), 0)).toBe(false);
    expect(node.removeVip(vip6(1), 0)).toBe(false); // another family, same low bits
    expect(node.removeVip({ version: 6, address: -1n } as IpAddress, 0)).toBe(false);
    node.start(0);
    expect(node.removeVip(vip4(2), 1)).toBe(false);
    expect(node.pollTransmit()).toBeDefined(); // start's heartbeat
    expect(node.pollTransmit()).toBeUndefined(); // and nothing for the refused removal
    expect(node.pollEvent()).toBeUndefined();
    expect(node.roles()).toHaveLength(1);
  });

  it('while idle: add then remove just edit the configuration; start uses the result', () => {
    const node = new ElectionNode(options({ spread: true }));
    let woken = 0;
    node.setWaker(() => woken++);
    node.addVip({ address: vip6(5), priority: 7 }, 123);
    expect(node.roles()).toEqual([
      { vip: vip4(1), role: Role.INIT, since: 0, term: 0, metric: 155 },
      { vip: vip6(5), role: Role.INIT, since: 0, term: 0, metric: 248 },
    ]);
    expect(node.role(vip6(5))).toBe(Role.INIT);
    expect(node.removeVip(vip4(1), 124)).toBe(true);
    expect(() => node.role(vip4(1))).toThrow(InvalidArgumentError);
    expect(node.removeVip(vip4(1), 125)).toBe(false);
    expect(node.pollEvent()).toBeUndefined();
    expect(node.pollTransmit()).toBeUndefined();
    expect(node.pollTimeout()).toBeUndefined();
    expect(woken).toBe(0);
    node.start(ms(1));
    expect(node.roles()).toEqual([{ vip: vip6(5), role: Role.INIT, since: ms(1), term: 0, metric: 248 }]);
    const m = new HeartbeatMessage();
    const f = node.pollTransmit()!;
    m.wrap(f, 14, f.length - 14);
    expect(m.claimCount).toBe(1);
    expect(m.claimVip(0)).toEqual(vip6(5));
    expect(m.claimTiebreak(0)).not.toBe(0); // spread: the rendezvous score was computed
    node.handleTimeout(ms(1) + K * I);
    expect(node.role(vip6(5))).toBe(Role.ACTIVE);
  });

  it('while running alone: INIT for initWait from the add, then ACTIVE; removal releases and announces twice', () => {
    const node = new ElectionNode(options());
    node.start(0);
    node.handleTimeout(K * I);
    expect(node.role(vip4(1))).toBe(Role.ACTIVE);
    while (node.pollEvent() !== undefined);
    while (node.pollTransmit() !== undefined);
    let woken = 0;
    node.setWaker(() => woken++);
    const addAt = K * I + ms(5);
    node.addVip({ address: vip4(2) }, addAt);
    expect(woken).toBe(1);
    expect(node.role(vip4(2))).toBe(Role.INIT);
    expect(node.roles()[1]!.since).toBe(addAt);
    expect(node.pollEvent()).toBeUndefined();
    // The new candidate is announced at once (the last send was more than interval / 8 ago).
    expect(node.pollTransmit()).toBeDefined();
    // The INIT deadline counts from the add, not from start.
    expect(node.pollTimeout()).toBeLessThanOrEqual(addAt + K * I);
    node.handleTimeout(addAt + K * I - 1);
    expect(node.role(vip4(2))).toBe(Role.INIT);
    node.handleTimeout(addAt + K * I);
    expect(node.role(vip4(2))).toBe(Role.ACTIVE);
    expect(node.pollEvent()).toMatchObject({
      type: 'role',
      from: Role.INIT,
      to: Role.ACTIVE,
      reason: 'init-done',
    });
    while (node.pollTransmit() !== undefined);
    const removeAt = addAt + K * I + ms(2);
    expect(node.removeVip(vip4(1), removeAt)).toBe(true);
    expect(node.pollEvent()).toEqual({
      type: 'role',
      at: removeAt,
      vip: vip4(1),
      from: Role.ACTIVE,
      to: Role.PASSIVE,
      reason: RoleReason.REMOVED,
      term: 1,
    });
    expect(node.pollEvent()).toBeUndefined();
    const m = new HeartbeatMessage();
    for (let i = 0; i < 2; i++) {
      const f = node.pollTransmit()!;
      m.wrap(f, 14, f.length - 14);
      expect(m.isStopping).toBe(false);
      expect(m.claimCount).toBe(1);
      expect(m.claimVip(0)).toEqual(vip4(2));
    }
    expect(node.pollTransmit()).toBeUndefined();
    expect(node.roles().map((r) => r.vip)).toEqual([vip4(2)]);
    // Stopped: a removal is an edit, with no event and no frame.
    node.stop(removeAt + 1);
    while (node.pollEvent() !== undefined);
    while (node.pollTransmit() !== undefined);
    expect(node.removeVip(vip4(2), removeAt + 2)).toBe(true);
    node.addVip({ address: vip4(3) }, removeAt + 3);
    expect(node.pollEvent()).toBeUndefined();
    expect(node.pollTransmit()).toBeUndefined();
    expect(node.roles()).toEqual([{ vip: vip4(3), role: Role.INIT, since: 0, term: 0, metric: 155 }]);
  });
});
