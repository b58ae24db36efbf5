/**
 * Forged, replayed and unknown-key heartbeats are refused, counted, and change nothing
 * (DESIGN.md rule 5), on netsim: an attacker port on the same switch sends them.
 */
import { Duration } from '@switchyard/netsim';
import { EthernetFrame, KeyRing, MacAddress } from '@switchyard/wire';
import { describe, expect, it } from 'vitest';
import { HEARTBEAT_ETHERTYPE, heartbeat, heartbeatGroupMac, IpAddress, Role } from '../src/index.js';
import { CLUSTER_ID, Cluster, ms, nodeMac, OTHER_SECRET, SECRET, vip4 } from './cluster.js';

const VIPS = [vip4(1), vip4(2)];
const ATTACKER = MacAddress.parse('02:66:66:66:66:66');

function setup(seed: number) {
  const c = new Cluster({ seed, nodes: 3, vips: VIPS, priority: (n, i) => (n === i + 1 ? 200 : 100) });
  const attacker = c.sim.attach(c.switches[0]!.port(14), { mac: ATTACKER });
  // Capture node 1's heartbeats as an eavesdropper on the segment would.
  const captured: Uint8Array[] = [];
  attacker.onReceive((f) => {
    if (new EthernetFrame().wrap(f).sourceEquals(nodeMac(1))) captured.push(f.slice());
  });
  c.startAll();
  c.sim.runFor(ms(200));
  expect(c.actives(VIPS[0]!)).toEqual([1]);
  expect(c.actives(VIPS[1]!)).toEqual([2]);
  return { c, attacker, captured };
}

/** A frame claiming every VIP as ACTIVE with a huge term, from node `nodeId`, sealed with `keys`. */
function hostile(keys: KeyRing, nodeId: number, counter: bigint, keyId = keys.sendKeyId): Uint8Array {
  const payload = heartbeat.seal(
    {
      flags: 0,
      keyId,
      clusterId: CLUSTER_ID,
      nodeId,
      mac: ATTACKER,
      ip: IpAddress.v4('10.0.0.66'),
      bootId: 1,
      counter,
      intervalUs: 10_000,
      solicit: 0,
      claims: VIPS.map((vip) => ({ vip, role: Role.ACTIVE, term: 1_000_000, metric: 0, tiebreak: 0 })),
      loads: [],
    },
    keys,
  );
  const frame = new Uint8Array(14 + payload.length);
  MacAddress.write(heartbeatGroupMac(CLUSTER_ID), frame, 0);
  MacAddress.write(ATTACKER, frame, 6);
  frame[12] = HEARTBEAT_ETHERTYPE >> 8;
  frame[13] = HEARTBEAT_ETHERTYPE & 0xff;
  frame.set(payload, 14);
  return frame;
}

function snapshot(c: Cluster) {
  return c.nodes.map((s) => ({ roles: s.node.roles(), members: s.node.membership() }));
}

const sum = (c: Cluster, k: 'badTag' | 'unknownKey' | 'replayed' | 'tooOld' | 'macMismatch') =>
  c.nodes.reduce((s, n) => s + (n.alive ? n.node.counters[k] : 0), 0);

describe('hostile heartbeats change nothing', () => {
  it('forged (right key id, wrong secret): refused as bad-tag, counted, no state change', () => {
    const { c, attacker } = setup(1);
    const before = snapshot(c);
    const events = c.log.length;
    const forger = new KeyRing([{ id: 1, secret: OTHER_SECRET }]);
    for (let i = 0; i < 50; i++) {
      attacker.send(hostile(forger, 99, 10n ** 19n + BigInt(i)));
      c.sim.runFor(Duration.us(200));
    }
    c.sim.runFor(ms(100));
    expect(sum(c, 'badTag')).toBe(50 * 3);
    expect(c.log.length).toBe(events);
    expect(snapshot(c)).toEqual(before.map((b, i) => ({ ...b, roles: c.node(i + 1).node.roles() })));
    expect(c.actives(VIPS[0]!)).toEqual([1]);
    expect(c.node(1).node.membership()).toBe(before[0]!.members); // same snapshot object: nothing joined
  });

  it('unknown key id: refused as unknown-key, counted, no state change', () => {
    const { c, attacker } = setup(2);
    const events = c.log.length;
    const stranger = new KeyRing([{ id: 9, secret: SECRET }]);
    attacker.send(hostile(stranger, 99, 1n));
    c.sim.runFor(ms(50));
    expect(sum(c, 'unknownKey')).toBe(3);
    expect(c.log.length).toBe(events);
    expect(c.actives(VIPS[0]!)).toEqual([1]);
  });

  it('a forged frame impersonating a member (its node id, its MAC) is refused too', () => {
    const { c, attacker, captured } = setup(3);
    const frame = captured.at(-1)!.slice();
    frame[14 + 60 + 1] = Role.PASSIVE; // node 1 "releases" VIP 1
    const events = c.log.length;
    attacker.send(frame);
    c.sim.runFor(ms(50));
    expect(sum(c, 'badTag')).toBe(3); // node 1 itself gets the copy the switch floods back
    expect(c.log.length).toBe(events);
    expect(c.actives(VIPS[0]!)).toEqual([1]);
  });

  it('replayed heartbeats of a live node: refused as replays or too old, no state change', () => {
    const { c, attacker, captured } = setup(4);
    c.sim.runFor(ms(1000)); // far more than 64 heartbeats since the first captured ones
    const events = c.log.length;
    const echoes = c.node(1).node.counters.ownEcho;
    const recent = captured.slice(-3);
    const old = captured.slice(0, 3);
    for (const f of [...recent, ...old]) attacker.send(f);
    c.sim.runFor(ms(50));
    expect(sum(c, 'replayed')).toBe(recent.length * 2);
    expect(sum(c, 'tooOld')).toBe(old.length * 2);
    expect(c.node(1).node.counters.ownEcho - echoes).toBe(6); // node 1 recognises its own heartbeats
    expect(c.log.length).toBe(events);
  });

  it('replaying a dead node’s heartbeats does not bring it back nor take its VIP back', () => {
    const { c, attacker, captured } = setup(5);
    c.kill(1);
    c.sim.runFor(ms(100));
    expect(c.actives(VIPS[0]!)).toEqual([2]); // the others tie at priority 100: the lower node id
    const events = c.log.length;
    const replayed = captured.slice(-10);
    for (const f of replayed) {
      attacker.send(f);
      c.sim.runFor(ms(1));
    }
    c.sim.runFor(ms(100));
    expect(sum(c, 'replayed') + sum(c, 'tooOld')).toBe(replayed.length * 2);
    expect(c.log.length).toBe(events); // no join, no role change
    expect(c.node(2).node.membership().nodeIds).toEqual([2, 3]);
  });

  it('an authentic heartbeat relayed from another MAC is refused (source MAC must be the real MAC)', () => {
    const { c, attacker } = setup(6);
    const keys = new KeyRing([{ id: 1, secret: SECRET }]);
    const f = hostile(keys, 99, 1n);
    MacAddress.write(MacAddress.parse('02:77:77:77:77:77'), f, 6);
    attacker.send(f);
    c.sim.runFor(ms(50));
    expect(sum(c, 'macMismatch')).toBe(3);
    expect(c.actives(VIPS[0]!)).toEqual([1]);
  });

  it('key rotation: nodes verifying both keys accept a peer that already signs with the new one', () => {
    const { c } = setup(7);
    const k2 = { id: 2, secret: OTHER_SECRET };
    c.keys.add(k2); // every node shares this ring in the harness: both keys valid
    c.keys.use(2);
    c.sim.runFor(ms(200));
    c.keys.remove(1);
    c.sim.runFor(ms(200));
    expect(sum(c, 'badTag') + sum(c, 'unknownKey')).toBe(0);
    expect(c.log.filter((e) => e.event.type === 'leave')).toEqual([]);
  });
});
