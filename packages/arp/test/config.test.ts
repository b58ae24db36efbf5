/** The transmit guard (no frame from the vMAC), configuration checks and queue bounds. */
import { EtherType, ethernet, Ipv4Address, Ipv6Address, MacAddress } from '@switchyard/wire';
import { describe, expect, it } from 'vitest';
import { ArpResponder, FrameBuilder, formatIp, parseIp, TransmitGuard, Verdict } from '../src/index.js';
import {
  arpFrame,
  CLIENT_MAC,
  drain,
  events,
  REAL_IP,
  REAL_IP6,
  REAL_MAC,
  responder,
  VIP,
  VIP6,
  VMAC,
} from './helpers.js';

const frameFrom = (source: MacAddress) =>
  ethernet.encode({
    destination: CLIENT_MAC,
    source,
    tags: [],
    etherType: EtherType.ARP,
    payload: new Uint8Array(28),
  });

describe('TransmitGuard: no frame ever leaves from the vMAC', () => {
  it('allows the real MAC as source and refuses a vMAC', () => {
    const g = new TransmitGuard(REAL_MAC, [VMAC]);
    expect(g.allows(frameFrom(REAL_MAC))).toBe(true);
    expect(g.allows(frameFrom(VMAC))).toBe(false);
    expect(() => g.assert(frameFrom(VMAC))).toThrow(
      expect.objectContaining({ name: 'InvalidArgumentError', field: 'ethernet.source' }),
    );
    expect(g.assert(frameFrom(REAL_MAC))).toBeInstanceOf(Uint8Array);
  });

  it('refuses any other source and a frame too short to have one', () => {
    const g = new TransmitGuard(REAL_MAC);
    expect(g.allows(frameFrom(CLIENT_MAC))).toBe(false);
    expect(() => g.assert(new Uint8Array(10))).toThrow(/from none/);
  });

  it('refuses a vMAC equal to the real MAC', () => {
    expect(() => new TransmitGuard(REAL_MAC, [REAL_MAC])).toThrow(/differ/);
    expect(() => new TransmitGuard(REAL_MAC).addVmac(REAL_MAC)).toThrow(/differ/);
  });

  it('recognises a vMAC in frame bytes without building a number', () => {
    const empty = new TransmitGuard(REAL_MAC);
    expect(empty.isVmacAt(frameFrom(VMAC), 6)).toBe(false);
    const high = MacAddress.parse('fe:ff:ff:ff:ff:fe'); // low 32 bits above 2^31
    const g = new TransmitGuard(REAL_MAC, [VMAC, high]);
    expect(g.isVmacAt(frameFrom(VMAC), 6)).toBe(true);
    expect(g.isVmacAt(frameFrom(high), 6)).toBe(true);
    expect(g.isVmacAt(frameFrom(REAL_MAC), 6)).toBe(false);
    expect(g.isVmacAt(frameFrom(MacAddress.parse('fe:ff:ff:ff:ff:ff')), 6)).toBe(false);
    expect(g.isVmacAt(frameFrom(VMAC), 10)).toBe(false);
    expect(g.isVmacAt(new Uint8Array(8), 6)).toBe(false);
  });

  it('guards a vMAC only while a VIP uses it', () => {
    const g = new TransmitGuard(REAL_MAC);
    g.addVmac(VMAC);
    expect(g.isVmac(VMAC)).toBe(true);
    g.removeVmac(VMAC);
    expect(g.isVmac(VMAC)).toBe(false);
    expect(g.isVmacAt(frameFrom(VMAC), 6)).toBe(false);
  });

  it("a builder writes its guard's real MAC as the Ethernet source", () => {
    const guard = new TransmitGuard(REAL_MAC, [VMAC]);
    const builder = new FrameBuilder(guard);
    const frame = builder.arp(MacAddress.BROADCAST, {
      operation: 1,
      senderHardwareAddress: VMAC,
      senderProtocolAddress: VIP,
      targetHardwareAddress: 0,
      targetProtocolAddress: VIP,
    });
    expect(MacAddress.read(frame, 6)).toBe(REAL_MAC);
  });
});

describe('configuration', () => {
  it.each([
    { description: 'a vMAC equal to the real MAC', options: { vips: [{ address: VIP, vmac: REAL_MAC }] } },
    { description: 'a broadcast vMAC', options: { vips: [{ address: VIP, vmac: MacAddress.BROADCAST }] } },
    { description: 'a zero vMAC', options: { vips: [{ address: VIP, vmac: 0 }] } },
    { description: 'a VIP equal to the real IPv4', options: { vips: [{ address: REAL_IP, vmac: VMAC }] } },
    { description: 'a VIP equal to the real IPv6', options: { vips: [{ address: REAL_IP6, vmac: VMAC }] } },
    {
      description: 'a VIP configured twice',
      options: {
        vips: [
          { address: VIP, vmac: VMAC },
          { address: VIP, vmac: VMAC },
        ],
      },
    },
    {
      description: 'a multicast VIP',
      options: { vips: [{ address: Ipv4Address.parse('224.0.0.1'), vmac: VMAC }] },
    },
    { description: 'an unspecified IPv6 VIP', options: { vips: [{ address: 0n, vmac: VMAC }] } },
    { description: 'a multicast real MAC', options: { mac: MacAddress.parse('01:00:5e:00:00:01') } },
    { description: 'a loopback real IPv4', options: { ipv4: Ipv4Address.parse('127.0.0.1') } },
    { description: 'a multicast real IPv6', options: { ipv6: Ipv6Address.parse('ff02::1') } },
    {
      description: 'more VIPs than maxVips',
      options: {
        maxVips: 1,
        vips: [
          { address: VIP, vmac: VMAC },
          { address: VIP6, vmac: VMAC },
        ],
      },
    },
    { description: 'a negative announce count', options: { announce: { count: -1 } } },
    { description: 'a negative announce interval', options: { announce: { intervalNs: -1 } } },
    { description: 'a negative defend interval', options: { defendIntervalNs: -1 } },
    { description: 'a backoff below 1', options: { resolve: { backoff: 0.5 } } },
    { description: 'a zero retransmit time', options: { resolve: { retransmitNs: 0 } } },
    { description: 'zero attempts', options: { resolve: { maxAttempts: 0 } } },
    { description: 'a zero frame queue', options: { maxQueuedFrames: 0 } },
    {
      description: 'a VLAN tag with PCP 9',
      options: { tags: [{ tpid: 0x8100, pcp: 9, dei: false, vid: 1 }] },
    },
  ])('refuses $description with InvalidArgumentError', ({ options }) => {
    expect(() => new ArpResponder({ mac: REAL_MAC, ipv4: REAL_IP, ipv6: REAL_IP6, ...options })).toThrow(
      expect.objectContaining({ name: 'InvalidArgumentError' }),
    );
  });

  it('accepts a multicast vMAC (an option of the design) and answers with it', () => {
    const group = MacAddress.parse('03:53:59:00:00:01');
    const r = responder({ vips: [{ address: VIP, vmac: group, active: true }] });
    expect(r.handleFrame(arpFrame({ tpa: VIP }), 0)).toBe(Verdict.ANSWERED);
    // A peer's announcement carrying the group vMAC is not invalid.
    r.handleFrame(
      arpFrame({ ethSource: MacAddress.parse('02:00:00:00:00:0b'), sha: group, spa: VIP, tpa: VIP }),
      0,
    );
    expect(r.counters.invalid).toBe(0);
  });

  it('reports its VIPs and their roles', () => {
    const r = responder({ vips: [{ address: VIP, vmac: VMAC, answer: 'always' }] });
    r.addVip({ address: VIP6, vmac: VMAC, active: true });
    expect(r.vips()).toEqual([
      { address: VIP, vmac: VMAC, active: false, answer: 'always' },
      { address: VIP6, vmac: VMAC, active: true, answer: 'active' },
    ]);
  });

  it('keeps guarding a vMAC that another VIP still uses', () => {
    const r = responder();
    r.removeVip(VIP);
    expect(r.guard.isVmac(VMAC)).toBe(true);
    r.removeVip(VIP6);
    expect(r.guard.isVmac(VMAC)).toBe(false);
  });

  it('formats and parses both address families', () => {
    expect(formatIp(VIP)).toBe('10.77.0.50');
    expect(formatIp(VIP6)).toBe('fd00:77::50');
    expect(parseIp('fd00:77::50')).toBe(VIP6);
    expect(parseIp('10.77.0.50')).toBe(VIP);
  });
});

describe('bounded queues', () => {
  it('drops and counts frames beyond maxQueuedFrames', () => {
    const r = responder({ maxQueuedFrames: 2 });
    expect(r.handleFrame(arpFrame({ tpa: VIP }), 0)).toBe(Verdict.ANSWERED);
    expect(r.handleFrame(arpFrame({ tpa: VIP }), 0)).toBe(Verdict.ANSWERED);
    expect(r.handleFrame(arpFrame({ tpa: VIP }), 0)).toBe(Verdict.IGNORED);
    expect(r.counters.txQueueDrops).toBe(1);
    expect(drain(r)).toHaveLength(2);
    expect(r.handleFrame(arpFrame({ tpa: VIP }), 0)).toBe(Verdict.ANSWERED); // room again
  });

  it('drops and counts events beyond maxQueuedEvents', () => {
    const r = responder({ maxQueuedEvents: 1 });
    const fromVmac = frameFrom(VMAC);
    r.handleFrame(fromVmac, 0);
    r.handleFrame(fromVmac, 1);
    expect(events(r)).toHaveLength(1);
    expect(r.counters.eventsDropped).toBe(1);
  });
});
