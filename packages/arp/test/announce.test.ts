/** Gratuitous ARP and unsolicited NA bursts (RFC 5227 §2.3, RFC 5944 §4.6, RFC 4861 §7.2.6) on the responder's timers. */
import { Ipv4Address } from '@switchyard/wire';
import { describe, expect, it } from 'vitest';
import type { ArpResponder } from '../src/index.js';
import { gratuitousArpReply, gratuitousArpRequest, naToAllNodes } from './fixtures/vectors.js';
import { drain, hexOf, responder, VIP, VIP6, VMAC } from './helpers.js';

/** Runs the responder's timers like a driver would, until `until`; returns [time, frame hex] of every frame sent. */
function run(r: ArpResponder, from: number, until: number): Array<[number, string]> {
  const sent: Array<[number, string]> = drain(r).map((f) => [from, hexOf(f)]);
  for (let at = r.pollTimeout(); at !== undefined && at <= until; at = r.pollTimeout()) {
    r.handleTimeout(at);
    for (const f of drain(r)) sent.push([at, hexOf(f)]);
  }
  return sent;
}

const passive = { vips: [{ address: VIP, vmac: VMAC }] };

describe('announcements', () => {
  it('becoming active sends RFC 5227 defaults: 2 gratuitous ARP requests 2 s apart', () => {
    const r = responder(passive);
    const t0 = 1_000;
    r.setActive(VIP, true, t0);
    const g = hexOf(gratuitousArpRequest);
    expect(run(r, t0, 60e9)).toEqual([
      [t0, g],
      [t0 + 2e9, g],
    ]);
    expect(r.pollTimeout()).toBeUndefined();
    expect(r.counters.announcements).toBe(2);
  });

  it('count and spacing are configurable: 3 at 100 ms', () => {
    const r = responder({ ...passive, announce: { count: 3, intervalNs: 100e6 } });
    r.setActive(VIP, true, 0);
    expect(run(r, 0, 10e9).map(([t]) => t)).toEqual([0, 100e6, 200e6]);
  });

  it('sends an ARP reply instead with operation: reply (RFC 5944 §4.6)', () => {
    const r = responder({ ...passive, announce: { count: 1, operation: 'reply' } });
    r.setActive(VIP, true, 0);
    expect(drain(r).map(hexOf)).toEqual([hexOf(gratuitousArpReply)]);
  });

  it('announces an IPv6 VIP with unsolicited neighbor advertisements to all nodes', () => {
    const r = responder({ vips: [{ address: VIP6, vmac: VMAC }], announce: { count: 3, intervalNs: 1e9 } });
    r.setActive(VIP6, true, 0);
    const na = hexOf(naToAllNodes);
    expect(run(r, 0, 10e9)).toEqual([
      [0, na],
      [1e9, na],
      [2e9, na],
    ]);
  });

  it('becoming passive stops the burst', () => {
    const r = responder({ ...passive, announce: { count: 5, intervalNs: 1e9 } });
    r.setActive(VIP, true, 0);
    r.handleTimeout(1e9);
    r.setActive(VIP, false, 1.5e9);
    expect(r.pollTimeout()).toBeUndefined();
    expect(drain(r)).toHaveLength(2);
  });

  it('setting the role it already has sends nothing; count 0 disables announcing', () => {
    const r = responder(); // already active
    r.setActive(VIP, true, 0);
    expect(drain(r)).toEqual([]);
    const quiet = responder({ ...passive, announce: { count: 0 } });
    quiet.setActive(VIP, true, 0);
    expect(drain(quiet)).toEqual([]);
    expect(quiet.pollTimeout()).toBeUndefined();
    expect(quiet.isActive(VIP)).toBe(true);
  });

  it('announce() starts a new burst on demand', () => {
    const r = responder({ announce: { count: 2, intervalNs: 5 } });
    r.announce(VIP, 100);
    expect(run(r, 100, 1000).map(([t]) => t)).toEqual([100, 105]);
  });

  it('a late timer sends every announcement that is due', () => {
    const r = responder({ ...passive, announce: { count: 3, intervalNs: 10 } });
    r.setActive(VIP, true, 0);
    drain(r);
    r.handleTimeout(25);
    expect(drain(r)).toHaveLength(2);
  });

  it('calls the waker when output appears outside a handler', () => {
    const r = responder(passive);
    let woken = 0;
    r.setWaker(() => {
      woken++;
    });
    r.setActive(VIP, true, 0);
    expect(woken).toBe(1);
  });

  it('refuses to change the role of an address that is not a VIP', () => {
    const r = responder();
    expect(() => r.setActive(Ipv4Address.parse('10.0.0.1'), true, 0)).toThrow(/not a configured VIP/);
    expect(() => r.announce(Ipv4Address.parse('10.0.0.1'), 0)).toThrow(
      expect.objectContaining({ name: 'InvalidArgumentError' }),
    );
  });
});
