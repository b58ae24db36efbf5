/** The neighbor table (bounded, aged) and next-hop resolution with retries. */
import { ArpOperation, Ipv4Address, Ipv6Address, MacAddress } from '@switchyard/wire';
import { describe, expect, it } from 'vitest';
import { ArpResponder, NeighborTable } from '../src/index.js';
import { arpResolveRequest, nsResolve } from './fixtures/vectors.js';
import {
  arpFrame,
  CLIENT_IP,
  CLIENT_IP6,
  CLIENT_MAC,
  drain,
  events,
  hexOf,
  ndpFrame,
  REAL_IP,
  REAL_IP6,
  REAL_MAC,
  responder,
  VIP,
} from './helpers.js';

const ip = (n: number) => Ipv4Address.parse(`10.0.0.${n}`);
const mac = (n: number) => 0x02_00_00_00_01_00 + n;

describe('NeighborTable', () => {
  it('learns, refreshes and changes entries, counting each', () => {
    const t = new NeighborTable();
    expect(t.set(ip(1), mac(1), 0)).toBe('learned');
    expect(t.set(ip(1), mac(1), 1)).toBe('refreshed');
    expect(t.set(ip(1), mac(2), 2)).toBe('changed');
    expect(t.get(ip(1), 2)).toEqual({ address: ip(1), mac: mac(2), updatedAt: 2 });
    expect(t.counters).toMatchObject({ learned: 1, refreshed: 1, changed: 1 });
  });

  it('an entry confirmed at t lives until t + lifetime - 1 and is gone at t + lifetime', () => {
    const t = new NeighborTable({ lifetimeNs: 1000 });
    t.set(ip(1), mac(1), 500);
    expect(t.lookup(ip(1), 1499)).toBe(mac(1));
    expect(t.lookup(ip(1), 1500)).toBeUndefined();
    expect(t.counters.expired).toBe(1);
    expect(t.size).toBe(0);
  });

  it('never holds more than its capacity: evicts the least recently confirmed', () => {
    const t = new NeighborTable({ capacity: 3 });
    t.set(ip(1), mac(1), 0);
    t.set(ip(2), mac(2), 1);
    t.set(ip(3), mac(3), 2);
    t.set(ip(1), mac(1), 3); // confirmed again: now the most recent
    t.set(ip(4), mac(4), 4);
    expect(t.size).toBe(3);
    expect(t.has(ip(2), 4)).toBe(false);
    expect(t.entries(4).map((e) => e.address)).toEqual([ip(3), ip(1), ip(4)]);
    expect(t.counters.evicted).toBe(1);
  });

  it('sweeps expired entries before evicting a live one', () => {
    const t = new NeighborTable({ capacity: 2, lifetimeNs: 10 });
    t.set(ip(1), mac(1), 0);
    t.set(ip(2), mac(2), 8);
    t.set(ip(3), mac(3), 12); // ip(1) expired at 10: swept, nothing evicted
    expect(t.counters).toMatchObject({ expired: 1, evicted: 0 });
    expect(t.entries(12).map((e) => e.address)).toEqual([ip(2), ip(3)]);
  });

  it('holds IPv4 and IPv6 keys apart', () => {
    const t = new NeighborTable();
    t.set(1, mac(1), 0);
    t.set(1n, mac(2), 0);
    expect(t.lookup(1, 0)).toBe(mac(1));
    expect(t.lookup(1n, 0)).toBe(mac(2));
  });

  it('refresh, delete, sweep and clear', () => {
    const t = new NeighborTable({ lifetimeNs: 10 });
    expect(t.refresh(ip(1), 0)).toBe(false);
    t.set(ip(1), mac(1), 0);
    t.set(ip(2), mac(2), 0);
    expect(t.refresh(ip(1), 5)).toBe(true);
    expect(t.sweep(12)).toBe(1);
    expect(t.get(ip(2), 12)).toBeUndefined();
    expect(t.delete(ip(1))).toBe(true);
    t.set(ip(3), mac(3), 12);
    t.clear();
    expect(t.size).toBe(0);
  });

  it('refuses a capacity below 1 and a lifetime of 0', () => {
    expect(() => new NeighborTable({ capacity: 0 })).toThrow(/capacity/);
    expect(() => new NeighborTable({ lifetimeNs: 0 })).toThrow(/lifetimeNs/);
  });
});

describe('resolution', () => {
  it('resolves an IPv4 next hop with a broadcast ARP request from the real addresses', () => {
    const r = responder();
    expect(r.resolve(CLIENT_IP, 0)).toEqual({ status: 'pending' });
    expect(drain(r).map(hexOf)).toEqual([hexOf(arpResolveRequest)]);
    const reply = arpFrame({
      operation: ArpOperation.REPLY,
      tpa: REAL_IP,
      tha: REAL_MAC,
      ethDestination: REAL_MAC,
    });
    r.handleFrame(reply, 500);
    expect(events(r)).toEqual([{ type: 'resolved', at: 500, address: CLIENT_IP, mac: CLIENT_MAC }]);
    expect(r.resolve(CLIENT_IP, 600)).toEqual({ status: 'resolved', mac: CLIENT_MAC });
    expect(drain(r)).toEqual([]);
    expect(r.pendingResolutions).toBe(0);
  });

  it('resolves an IPv6 next hop with a solicitation to its solicited-node group', () => {
    const r = responder();
    r.resolve(CLIENT_IP6, 0);
    expect(drain(r).map(hexOf)).toEqual([hexOf(nsResolve)]);
    const na = ndpFrame({
      target: CLIENT_IP6,
      destination: REAL_IP6,
      na: { solicited: true },
      options: [{ kind: 'target-link-layer-address', address: CLIENT_MAC }],
    });
    r.handleFrame(na, 10);
    expect(events(r)).toEqual([{ type: 'resolved', at: 10, address: CLIENT_IP6, mac: CLIENT_MAC }]);
    expect(r.neighbors.lookup(CLIENT_IP6, 10)).toBe(CLIENT_MAC);
  });

  it('retries every RETRANS_TIMER and gives up after MAX_MULTICAST_SOLICIT requests', () => {
    const r = responder();
    r.resolve(CLIENT_IP, 0);
    const sent = [0];
    drain(r);
    for (let at = r.pollTimeout(); at !== undefined; at = r.pollTimeout()) {
      r.handleTimeout(at);
      if (drain(r).length > 0) sent.push(at);
    }
    expect(sent).toEqual([0, 1e9, 2e9]);
    expect(events(r)).toEqual([{ type: 'resolution-failed', at: 3e9, address: CLIENT_IP, attempts: 3 }]);
    expect(r.counters).toMatchObject({ resolutionRequests: 3, resolutionFailures: 1 });
    expect(r.pendingResolutions).toBe(0);
  });

  it('backs off exponentially when configured, up to maxRetransmitNs', () => {
    const r = responder({ resolve: { maxAttempts: 5, retransmitNs: 1e9, backoff: 2, maxRetransmitNs: 3e9 } });
    r.resolve(CLIENT_IP, 0);
    const sent = [0];
    drain(r);
    for (let at = r.pollTimeout(); at !== undefined; at = r.pollTimeout()) {
      r.handleTimeout(at);
      if (drain(r).length > 0) sent.push(at);
    }
    expect(sent).toEqual([0, 1e9, 3e9, 6e9, 9e9]);
    expect(events(r)).toMatchObject([{ type: 'resolution-failed', at: 12e9, attempts: 5 }]);
  });

  it('a second resolve of the same address while pending sends nothing more', () => {
    const r = responder();
    r.resolve(CLIENT_IP, 0);
    expect(r.resolve(CLIENT_IP, 1)).toEqual({ status: 'pending' });
    expect(drain(r)).toHaveLength(1);
  });

  it('refuses more than maxPending resolutions at once, counting them', () => {
    const r = responder({ resolve: { maxPending: 2 } });
    expect(r.resolve(ip(1), 0).status).toBe('pending');
    expect(r.resolve(ip(2), 0).status).toBe('pending');
    expect(r.resolve(ip(3), 0)).toEqual({ status: 'refused' });
    expect(r.counters.pendingRefused).toBe(1);
    expect(drain(r)).toHaveLength(2);
  });

  it('a request from the pending neighbor for one of our addresses also resolves it', () => {
    const r = responder();
    r.resolve(CLIENT_IP, 0);
    r.handleFrame(arpFrame({ tpa: VIP }), 5);
    expect(events(r)).toMatchObject([{ type: 'resolved', address: CLIENT_IP, mac: CLIENT_MAC }]);
  });

  it('refuses to resolve our own addresses, group addresses, or a family without a source address', () => {
    const r = responder();
    expect(() => r.resolve(VIP, 0)).toThrow(/our own/);
    expect(() => r.resolve(REAL_IP, 0)).toThrow(/our own/);
    expect(() => r.resolve(Ipv4Address.parse('224.0.0.5'), 0)).toThrow(/unicast/);
    expect(() => r.resolve(Ipv6Address.parse('ff02::2'), 0)).toThrow(/unicast/);
    const v4only = new ArpResponder({ mac: REAL_MAC, ipv4: REAL_IP });
    expect(() => v4only.resolve(CLIENT_IP6, 0)).toThrow(/needs a real ipv6/);
    const v6only = new ArpResponder({ mac: REAL_MAC, ipv6: REAL_IP6 });
    expect(() => v6only.resolve(CLIENT_IP, 0)).toThrow(/needs a real ipv4/);
  });

  it('an answer that changes nothing pending does not raise events', () => {
    const r = responder();
    r.handleFrame(
      arpFrame({ operation: ArpOperation.REPLY, sha: MacAddress.parse('02:00:00:00:00:55'), tpa: REAL_IP }),
      0,
    );
    expect(events(r)).toEqual([]);
    expect(r.neighbors.lookup(CLIENT_IP, 0)).toBe(MacAddress.parse('02:00:00:00:00:55')); // we were the target
  });
});
