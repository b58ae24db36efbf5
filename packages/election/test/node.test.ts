/** ElectionNode on its own: configuration, membership events, counters, bounded queues and tables. */
import { EtherType, ethernet, KeyRing, MacAddress, WireError } from '@switchyard/wire';
import { describe, expect, it } from 'vitest';
import {
  type ElectionEvent,
  ElectionNode,
  type ElectionOptions,
  HEARTBEAT_ETHERTYPE,
  type HeartbeatRepr,
  heartbeat,
  heartbeatGroupMac,
  IpAddress,
  LeaveReason,
  Role,
  RoleReason,
} from '../src/index.js';
import { Cluster, ms, nodeMac, SECRET, vip4, vip6 } from './cluster.js';

const keys = new KeyRing([{ id: 1, secret: SECRET }]);
const VIP = vip4(1);

function options(overrides: Partial<ElectionOptions> = {}): ElectionOptions {
  return {
    clusterId: 7,
    nodeId: 1,
    mac: nodeMac(1),
    ip: IpAddress.v4('10.0.0.1'),
    keys,
    bootId: 1,
    initialCounter: 1000n,
    vips: [{ address: VIP }],
    ...overrides,
  };
}

/** A heartbeat frame from peer `nodeId`, as its node would send it. */
function peerFrame(nodeId: number, o: Partial<Omit<HeartbeatRepr, 'tag'>> = {}, ring = keys): Uint8Array {
  const repr = {
    flags: 0,
    keyId: 1,
    clusterId: 7,
    nodeId,
    mac: nodeMac(nodeId),
    ip: IpAddress.v4(`10.0.0.${nodeId % 250}`),
    bootId: 1,
    counter: 1n,
    intervalUs: 10_000,
    solicit: 0,
    claims: [{ vip: VIP, role: Role.PASSIVE, term: 0, metric: 155, tiebreak: 0 }],
    loads: [],
    ...o,
  };
  return ethernet.encode({
    destination: heartbeatGroupMac(7),
    source: repr.mac,
    tags: [],
    etherType: HEARTBEAT_ETHERTYPE,
    payload: heartbeat.seal(repr, ring),
  });
}

function drain(n: ElectionNode): ElectionEvent[] {
  const out: ElectionEvent[] = [];
  for (let e = n.pollEvent(); e !== undefined; e = n.pollEvent()) out.push(e);
  return out;
}

function frames(n: ElectionNode): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let f = n.pollTransmit(); f !== undefined; f = n.pollTransmit()) out.push(f);
  return out;
}

describe('configuration', () => {
  const bad: Array<[string, Partial<ElectionOptions>]> = [
    ['nodeId 0', { nodeId: 0 }],
    ['nodeId fraction', { nodeId: 1.5 }],
    ['clusterId', { clusterId: -1 }],
    ['multicast mac', { mac: MacAddress.BROADCAST }],
    ['ip', { ip: { version: 4, address: -1 } as IpAddress }],
    ['bootId', { bootId: 2 ** 32 }],
    ['initialCounter', { initialCounter: -1n }],
    ['interval', { heartbeatIntervalNs: 0 }],
    ['interval too fine', { heartbeatIntervalNs: 100 }],
    ['deadMultiplier', { deadMultiplier: 0 }],
    ['holdTime', { holdTimeNs: -1 }],
    ['reevaluation', { reevaluationIntervalNs: Number.NaN }],
    ['initWait', { initWaitNs: -5 }],
    ['maxMembers', { maxMembers: 0 }],
    ['too many vips', { vips: Array.from({ length: 41 }, (_, i) => ({ address: IpAddress.v4(i) })) }],
    ['duplicate vip', { vips: [{ address: VIP }, { address: IpAddress.v4('192.0.2.1') }] }],
    ['bad vip', { vips: [{ address: { version: 6, address: 1 } as unknown as IpAddress }] }],
    ['priority', { vips: [{ address: VIP, priority: 256 }] }],
    ['metric out of range', { metric: () => -1 }],
  ];
  for (const [name, o] of bad) {
    it(`refuses ${name} with an InvalidArgumentError`, () => {
      expect(() => new ElectionNode(options(o))).toThrow(
        expect.objectContaining({ name: 'InvalidArgumentError' }),
      );
    });
  }

  it('defaults: 10 ms interval, k = 3, preemption on, 2 s hold, 1 s re-evaluation, INIT = k intervals', () => {
    const n = new ElectionNode(options());
    expect([
      n.heartbeatIntervalNs,
      n.deadMultiplier,
      n.preempt,
      n.holdTimeNs,
      n.reevaluationIntervalNs,
      n.initWaitNs,
    ]).toEqual([ms(10), 3, true, ms(2000), ms(1000), ms(30)]);
    expect(n.pollTimeout()).toBeUndefined(); // nothing before start
    expect(() => n.role(vip4(9))).toThrow(WireError);
  });

  it('start twice is refused; stop before start does nothing', () => {
    const n = new ElectionNode(options());
    n.stop(0);
    expect(frames(n)).toEqual([]);
    n.start(0);
    expect(() => n.start(1)).toThrow(WireError);
  });

  it('IpAddress helpers parse, format and refuse', () => {
    expect(IpAddress.format(IpAddress.parse('2001:db8::1'))).toBe('2001:db8::1');
    expect(IpAddress.format(IpAddress.parse('192.0.2.1'))).toBe('192.0.2.1');
    expect(() => IpAddress.v4(2 ** 32)).toThrow(WireError);
    expect(() => IpAddress.v6(-1n)).toThrow(WireError);
    expect(IpAddress.isValid(null)).toBe(false);
    expect(IpAddress.isValid({ version: 5, address: 1 })).toBe(false);
    expect(IpAddress.equals(vip4(1), vip6(1))).toBe(false);
  });
});

describe('a lone node', () => {
  it('sends heartbeats from its real MAC to the group MAC, INIT for k intervals, then ACTIVE', () => {
    const n = new ElectionNode(options());
    n.start(0);
    const [first] = frames(n);
    const eth = ethernet.decode(first!).value;
    expect(eth.source).toBe(nodeMac(1));
    expect(eth.destination).toBe(heartbeatGroupMac(7));
    expect(eth.etherType).toBe(0x88b5);
    expect(heartbeat.decode(eth.payload).value).toMatchObject({
      nodeId: 1,
      counter: 1000n,
      intervalUs: 10_000,
    });
    expect(n.role(VIP)).toBe(Role.INIT);
    expect(n.pollTimeout()).toBe(ms(10));
    for (let t = ms(10); t <= ms(30); t += ms(10)) n.handleTimeout(t);
    expect(n.role(VIP)).toBe(Role.ACTIVE);
    expect(drain(n)).toEqual([
      {
        type: 'role',
        at: ms(30),
        vip: VIP,
        from: Role.INIT,
        to: Role.ACTIVE,
        reason: RoleReason.INIT_DONE,
        term: 1,
      },
    ]);
    expect(n.activeNode(VIP)).toBe(1);
    expect(n.membership()).toMatchObject({ nodeIds: [1], peers: [] });
    // Counters go up by one per heartbeat.
    const counters = frames(n).map((f) => heartbeat.decode(f, 14).value.counter);
    expect(counters).toEqual([1001n, 1002n, 1003n]);
  });

  it('ignores other EtherTypes, counts malformed, unsupported, other clusters and its own echo', () => {
    const n = new ElectionNode(options());
    n.handleFrame(peerFrame(2), 0);
    expect(n.counters.notRunning).toBe(1);
    n.start(0);
    const own = frames(n)[0]!;
    n.handleFrame(own, 1);
    n.handleFrame(
      ethernet.encode({
        destination: 0,
        source: 1,
        tags: [],
        etherType: EtherType.IPv4,
        payload: new Uint8Array(46),
      }),
      1,
    );
    n.handleFrame(new Uint8Array(5), 1);
    const cut = peerFrame(2).subarray(0, 80);
    n.handleFrame(cut, 1);
    const v2 = peerFrame(2);
    v2[14] = 2;
    n.handleFrame(v2, 1);
    n.handleFrame(peerFrame(2, { clusterId: 8 }), 1);
    const dup = peerFrame(1, { mac: nodeMac(9) });
    n.handleFrame(dup, 1);
    expect(n.counters).toMatchObject({
      ownEcho: 1,
      ignored: 2,
      malformed: 1,
      unsupported: 1,
      wrongCluster: 1,
      duplicateNodeId: 1,
      accepted: 0,
    });
    expect(drain(n)).toEqual([]);
  });
});

describe('membership', () => {
  it('join, restart (new boot id), stop and death, with ordered snapshots', () => {
    const n = new ElectionNode(options({ nodeId: 5, mac: nodeMac(5) }));
    n.start(0);
    n.handleFrame(peerFrame(9, { counter: 1n }), ms(1));
    n.handleFrame(peerFrame(3, { counter: 1n }), ms(1));
    const m1 = n.membership();
    expect(m1.nodeIds).toEqual([3, 5, 9]);
    expect(m1.peers.map((p) => p.nodeId)).toEqual([3, 9]);
    expect(n.membership()).toBe(m1); // unchanged: the same immutable snapshot
    expect(Object.isFrozen(m1.nodeIds)).toBe(true);
    n.handleFrame(peerFrame(3, { counter: 2n, bootId: 2 }), ms(2)); // restarted
    n.handleFrame(peerFrame(9, { counter: 2n, flags: 1 }), ms(3)); // stopping
    const m2 = n.membership();
    expect(m2.version).toBeGreaterThan(m1.version);
    expect(m2.nodeIds).toEqual([3, 5]);
    n.handleTimeout(ms(2) + 3 * ms(10)); // node 3's dead interval
    expect(n.membership().nodeIds).toEqual([5]);
    const events = drain(n).filter((e) => e.type !== 'role');
    expect(
      events.map((e) =>
        e.type === 'join'
          ? `join ${e.member.nodeId}`
          : e.type === 'leave'
            ? `leave ${e.nodeId} ${e.reason}`
            : '',
      ),
    ).toEqual([
      'join 9',
      'join 3',
      `leave 3 ${LeaveReason.RESTARTED}`,
      'join 3',
      `leave 9 ${LeaveReason.STOPPED}`,
      `leave 3 ${LeaveReason.DEAD}`,
    ]);
    n.stop(ms(40));
    expect(n.membership().nodeIds).toEqual([]); // a stopped node is no member, not even of its own view
  });

  it('bounded: a new peer beyond maxMembers is refused and counted; live peers are never evicted', () => {
    const n = new ElectionNode(options({ maxMembers: 2 }));
    n.start(0);
    for (const id of [2, 3, 4, 5]) n.handleFrame(peerFrame(id), ms(1));
    expect(n.membership().nodeIds).toEqual([1, 2, 3]);
    expect(n.counters.membersRefused).toBe(2);
  });

  it('a peer that changes interval or MAC gets a new snapshot entry', () => {
    const n = new ElectionNode(options());
    n.start(0);
    n.handleFrame(peerFrame(2, { counter: 1n }), 1);
    n.handleFrame(peerFrame(2, { counter: 2n, intervalUs: 5_000 }), 2);
    expect(n.membership().peers[0]!.intervalNs).toBe(ms(5));
  });

  it('restart semantics of the counter: a later wall clock is accepted, an earlier one refused as too old', () => {
    const n = new ElectionNode(options());
    n.start(0);
    n.handleFrame(peerFrame(2, { counter: 5_000n }), 1);
    n.handleFrame(peerFrame(2, { counter: 9_000n, bootId: 2 }), 2); // restarted later: accepted
    n.handleFrame(peerFrame(2, { counter: 100n, bootId: 3 }), 3); // clock went back: refused
    expect(n.counters.tooOld).toBe(1);
    expect(n.membership().peers[0]!.bootId).toBe(2);
  });
});

describe('bounded output queues', () => {
  it('frames not drained are dropped and counted; events not drained drop the oldest', () => {
    const n = new ElectionNode(options({ maxMembers: 5000 }));
    n.start(0);
    for (let i = 1; i <= 40; i++) n.handleTimeout(i * ms(10));
    expect(n.counters.transmitDropped).toBeGreaterThan(0);
    for (let id = 2; id < 4200; id++) n.handleFrame(peerFrame(id), ms(400));
    expect(n.counters.eventsDropped).toBeGreaterThan(0);
    expect(drain(n).length).toBe(4096);
  });

  it('an exhausted 64-bit counter stops sending rather than wrap', () => {
    const n = new ElectionNode(options({ initialCounter: 0xffff_ffff_ffff_ffffn }));
    n.start(0);
    n.handleTimeout(ms(10));
    expect(frames(n)).toHaveLength(1);
    expect(n.counters.counterExhausted).toBe(1);
  });
});

describe('load and queries', () => {
  it('setLoad validates, recomputes the metric and announces it', () => {
    const n = new ElectionNode(options({ metric: (c) => c.load[0] ?? 7 }));
    expect(n.roles()[0]!.metric).toBe(7);
    n.setLoad([3], 0); // before start: only recorded
    expect(frames(n)).toEqual([]);
    n.start(0);
    frames(n);
    n.setLoad([4, 5], ms(5));
    const [f] = frames(n);
    expect(heartbeat.decode(f!, 14).value).toMatchObject({ loads: [4, 5], claims: [{ metric: 4 }] });
    expect(() => n.setLoad(new Array(9).fill(0), 0)).toThrow(WireError);
    expect(() => n.setLoad([-1], 0)).toThrow(WireError);
  });

  it('activeNode names the peer with the highest active term', () => {
    const n = new ElectionNode(options());
    n.start(0);
    expect(n.activeNode(VIP)).toBeUndefined();
    n.handleFrame(
      peerFrame(2, { claims: [{ vip: VIP, role: Role.ACTIVE, term: 4, metric: 1, tiebreak: 0 }] }),
      1,
    );
    expect(n.activeNode(VIP)).toBe(2);
    expect(n.role(VIP)).toBe(Role.PASSIVE);
    expect(drain(n).at(-1)).toMatchObject({ type: 'role', reason: RoleReason.ACTIVE_SEEN, term: 4 });
  });

  it('answers a solicit at once, but at most once per interval / 8', () => {
    const n = new ElectionNode(options());
    n.start(0);
    frames(n);
    n.handleFrame(peerFrame(2, { counter: 1n, solicit: 1 }), ms(2));
    expect(frames(n)).toHaveLength(1);
    n.handleFrame(peerFrame(2, { counter: 2n, solicit: 1 }), ms(2.5));
    expect(frames(n)).toHaveLength(0); // rate-limited
    expect(n.pollTimeout()).toBe(ms(2) + ms(10) / 8);
    n.handleTimeout(ms(2) + ms(10) / 8);
    expect(frames(n)).toHaveLength(1);
  });

  it('an active node that outranks another active claim answers at once; a higher term makes it step down', () => {
    const n = new ElectionNode(options({ initWaitNs: 0 }));
    n.start(0);
    expect(n.role(VIP)).toBe(Role.ACTIVE); // term 1
    frames(n);
    n.handleFrame(
      peerFrame(2, {
        counter: 1n,
        claims: [{ vip: VIP, role: Role.ACTIVE, term: 1, metric: 200, tiebreak: 0 }],
      }),
      ms(2),
    );
    expect(n.role(VIP)).toBe(Role.ACTIVE);
    expect(frames(n)).toHaveLength(1); // tells node 2 now
    n.handleFrame(
      peerFrame(2, {
        counter: 2n,
        claims: [{ vip: VIP, role: Role.ACTIVE, term: 2, metric: 200, tiebreak: 0 }],
      }),
      ms(3),
    );
    expect(n.role(VIP)).toBe(Role.PASSIVE);
    expect(drain(n).at(-1)).toMatchObject({ reason: RoleReason.OUTRANKED });
  });
});

describe('netsim restart', () => {
  it('a restarted active rejoins (leave restarted, join) and, still the best, takes its VIP back when INIT ends', () => {
    const c = new Cluster({ seed: 9, nodes: 3, vips: [VIP], priority: (n) => (n === 1 ? 200 : 100) });
    c.startAll();
    c.sim.runFor(ms(100));
    const t = c.sim.now;
    c.restart(1);
    c.sim.runFor(ms(100));
    // Its old ACTIVE claim went with its old boot id; the best candidate is node 1 itself (in INIT),
    // so no other node takes the VIP only to hand it back: one move, at the end of node 1's INIT.
    const moves = c.roleEvents(VIP).filter((e) => e.event.at >= t && e.event.to === Role.ACTIVE);
    expect(moves.map((e) => [e.node, e.event.at - t])).toEqual([[1, ms(30)]]);
    const reasons = c.log
      .filter((e) => e.event.type === 'leave' && e.event.at >= t)
      .map((e) => e.event.type === 'leave' && e.event.reason);
    expect(reasons).toEqual(['restarted', 'restarted']);
    expect(c.actives(VIP)).toEqual([1]);
  });
});
