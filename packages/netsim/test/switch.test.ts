import { ArpOperation, arp, EtherType, ethernet, MacAddress } from '@switchyard/wire';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Duration, type SimLink, Simulator, type Switch, TableFullPolicy } from '../src/index.js';
import { frame, mac, record } from './helpers.js';

/** A switch with `hosts` hosts on ports 0..hosts-1, MACs mac(1)..mac(hosts). */
function lan(hosts: number, options: Partial<Parameters<Simulator['createSwitch']>[0]> = {}, seed = 1) {
  const sim = new Simulator({ seed });
  const sw = sim.createSwitch({ ports: Math.max(hosts, 4), ...options });
  const links: SimLink[] = [];
  for (let i = 0; i < hosts; i++) links.push(sim.attach(sw.port(i), { mac: mac(i + 1) }));
  const got = record(links);
  return { sim, sw, links, got };
}

/** Index of links that received `tag`. */
function receivers(got: number[][], tag: number): number[] {
  return got.flatMap((g, i) => (g.includes(tag) ? [i] : []));
}

describe('Switch: a learning bridge', () => {
  it('delivers a frame to a learned MAC on exactly one port', () => {
    const { sim, sw, links, got } = lan(6);
    links[2]!.send(frame(mac(3), MacAddress.BROADCAST, 1)); // the switch learns mac(3) on port 2
    sim.runUntilIdle();
    expect(sw.lookup(mac(3))).toBe(2);
    links[0]!.send(frame(mac(1), mac(3), 2));
    sim.runUntilIdle();
    expect(receivers(got, 2)).toEqual([2]);
    expect(sw.counters.forwarded).toBe(1);
    expect(sw.ports[2]!.counters.txFrames).toBe(1); // the broadcast did not go back out port 2
  });

  it('floods unknown unicast to every port but the ingress', () => {
    const { sim, sw, links, got } = lan(6);
    links[4]!.send(frame(mac(5), mac(99), 7));
    sim.runUntilIdle();
    expect(receivers(got, 7)).toEqual([0, 1, 2, 3, 5]);
    expect(sw.counters.flooded).toBe(1);
  });

  it.each([
    { description: 'broadcast', dst: MacAddress.BROADCAST },
    { description: 'IPv4 multicast', dst: MacAddress.parse('01:00:5e:01:02:03') },
    { description: 'IPv6 multicast', dst: MacAddress.parse('33:33:00:00:00:01') },
  ])('floods $description even after the group address was seen', ({ dst }) => {
    const { sim, links, got, sw } = lan(4);
    links[0]!.send(frame(mac(1), dst, 1));
    sim.runUntilIdle();
    expect(receivers(got, 1)).toEqual([1, 2, 3]);
    expect(sw.lookup(dst)).toBeUndefined();
  });

  it('never learns a group source address', () => {
    const { sim, sw, links } = lan(2);
    links[0]!.send(frame(MacAddress.parse('03:00:00:00:00:01'), mac(2), 1));
    sim.runUntilIdle();
    expect(sw.macTable()).toEqual([]);
  });

  it('never learns a MAC that is never a source and always floods it (the virtual MAC)', () => {
    const vmac = MacAddress.parse('02:5e:00:00:00:01');
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            from: fc.integer({ min: 0, max: 4 }),
            toVmac: fc.boolean(),
            to: fc.integer({ min: 0, max: 4 }),
          }),
          {
            minLength: 1,
            maxLength: 40,
          },
        ),
        (script) => {
          const { sim, sw, links, got } = lan(5);
          for (const [tag, step] of script.entries()) {
            const dst = step.toVmac ? vmac : mac(step.to + 1);
            links[step.from]!.send(frame(mac(step.from + 1), dst, tag));
            sim.runFor(Duration.ms(1));
            if (step.toVmac) {
              const expected = [0, 1, 2, 3, 4].filter((i) => i !== step.from);
              if (receivers(got, tag).join() !== expected.join()) return false;
            }
            if (sw.lookup(vmac) !== undefined) return false;
          }
          return sw.macTable().every((e) => e.mac !== vmac);
        },
      ),
      { seed: 7, numRuns: 50 },
    );
  });

  it('filters a frame whose destination sits on the ingress port', () => {
    const sim = new Simulator({ seed: 1 });
    const sw = sim.createSwitch({ ports: 2 });
    const hub = sim.createSwitch({ ports: 3, name: 'edge' }); // two stations behind one switch port
    sim.connect(sw.port(0), hub.port(0));
    const a = sim.attach(hub.port(1), { mac: mac(1) });
    const b = sim.attach(hub.port(2), { mac: mac(2) });
    const c = sim.attach(sw.port(1), { mac: mac(3) });
    const [, , atC] = record([a, b, c]);
    b.send(frame(mac(2), MacAddress.BROADCAST, 1));
    sim.runUntilIdle();
    hub.flush(); // the edge switch floods a's next frame, so it also reaches sw on port 0
    a.send(frame(mac(1), mac(2), 2));
    sim.runUntilIdle();
    expect(sw.counters.filtered).toBe(1);
    expect(atC).toEqual([1]);
  });

  it('moves an entry when a station appears on another port', () => {
    const { sim, sw, links } = lan(3);
    links[0]!.send(frame(mac(9), MacAddress.BROADCAST, 1));
    sim.runUntilIdle();
    expect(sw.lookup(mac(9))).toBe(0);
    links[1]!.send(frame(mac(9), MacAddress.BROADCAST, 2));
    sim.runUntilIdle();
    expect(sw.lookup(mac(9))).toBe(1);
    expect(sw.counters.moved).toBe(1);
  });

  it.each([
    { description: 'the 300 s default', agingTimeNs: undefined, expected: Duration.s(300) },
    { description: 'a configured 10 s', agingTimeNs: Duration.s(10), expected: Duration.s(10) },
    { description: 'a configured 1 ms', agingTimeNs: Duration.ms(1), expected: Duration.ms(1) },
  ])('ages an entry out at exactly $description', ({ agingTimeNs, expected }) => {
    const { sim, sw, links, got } = lan(3, agingTimeNs === undefined ? {} : { agingTimeNs });
    links[1]!.send(frame(mac(2), MacAddress.BROADCAST, 1)); // learned at t = 0
    sim.runUntilIdle();
    sim.runUntil(expected - 1);
    expect(sw.lookup(mac(2))).toBe(1);
    links[0]!.send(frame(mac(1), mac(2), 2)); // arrives at expected - 1: still known
    sim.runUntil(expected);
    expect(receivers(got, 2)).toEqual([1]);
    expect(sw.lookup(mac(2))).toBeUndefined(); // now - lastSeen == ageing time
    expect(sw.counters.aged).toBe(1);
    links[0]!.send(frame(mac(1), mac(2), 3));
    sim.runUntilIdle();
    expect(receivers(got, 3)).toEqual([1, 2]); // flooded again
  });

  it('refreshes an entry each time its source is seen', () => {
    const { sim, sw, links } = lan(2, { agingTimeNs: Duration.s(10) });
    links[1]!.send(frame(mac(2), MacAddress.BROADCAST, 1));
    sim.runUntil(Duration.s(8));
    links[1]!.send(frame(mac(2), MacAddress.BROADCAST, 2));
    sim.runUntil(Duration.s(17));
    expect(sw.lookup(mac(2))).toBe(1);
    expect(sw.macTable()).toEqual([{ mac: mac(2), port: 1, lastSeen: Duration.s(8) }]);
    sw.flush();
    expect(sw.lookup(mac(2))).toBeUndefined();
  });

  it.each([
    { policy: TableFullPolicy.EVICT_OLDEST, table: [3, 4], counter: 'evicted' as const },
    { policy: TableFullPolicy.REFUSE, table: [2, 3], counter: 'refused' as const },
  ])('bounds the table at its capacity ($policy)', ({ policy, table, counter }) => {
    const { sim, sw, links } = lan(4, { macTableCapacity: 2, tableFullPolicy: policy });
    for (const i of [1, 2, 3]) {
      links[i]!.send(frame(mac(i + 1), MacAddress.BROADCAST, i));
      sim.runUntilIdle();
    }
    expect(sw.macTable().map((e) => e.mac)).toEqual(table.map(mac));
    expect(sw.counters[counter]).toBe(1);
  });

  it('makes room from aged entries before evicting', () => {
    const { sim, sw, links } = lan(3, { macTableCapacity: 2, agingTimeNs: Duration.s(1) });
    links[0]!.send(frame(mac(1), MacAddress.BROADCAST, 1));
    links[1]!.send(frame(mac(2), MacAddress.BROADCAST, 2));
    sim.runUntil(Duration.s(2));
    links[2]!.send(frame(mac(3), MacAddress.BROADCAST, 3));
    sim.runUntilIdle();
    expect(sw.counters.aged).toBe(2);
    expect(sw.counters.evicted).toBe(0);
  });

  describe('learnFromArp (a misbehaving switch)', () => {
    const vmac = MacAddress.parse('02:5e:00:00:00:01');
    const arpReply = (realMac: MacAddress) =>
      ethernet.encode({
        destination: mac(1),
        source: realMac, // Ethernet source is the node's real MAC; the vMAC is only in the ARP payload
        tags: [],
        etherType: EtherType.ARP,
        payload: arp.encode({
          kind: 'ethernet-ipv4',
          operation: ArpOperation.REPLY,
          senderHardwareAddress: vmac,
          senderProtocolAddress: 0x0a00_0064,
          targetHardwareAddress: mac(1),
          targetProtocolAddress: 0x0a00_0001,
        }),
      });

    it.each([
      { learnFromArp: false, vmacPort: undefined, receivers: [1, 2, 3] },
      { learnFromArp: true, vmacPort: 2, receivers: [2] },
    ])('learnFromArp=$learnFromArp: vMAC on port $vmacPort', (row) => {
      const { sim, sw, links, got } = lan(4, { learnFromArp: row.learnFromArp });
      links[2]!.send(arpReply(mac(3)));
      sim.runUntilIdle();
      expect(sw.lookup(vmac)).toBe(row.vmacPort);
      links[0]!.send(frame(mac(1), vmac, 42));
      sim.runUntilIdle();
      expect(receivers(got, 42)).toEqual(row.receivers);
      expect(sw.counters.arpLearned).toBe(row.learnFromArp ? 1 : 0);
    });

    it('ignores a truncated ARP payload and a group sender address', () => {
      const { sim, sw, links } = lan(2, { learnFromArp: true });
      const short = ethernet.encode({
        destination: mac(2),
        source: mac(1),
        tags: [],
        etherType: EtherType.ARP,
        payload: new Uint8Array(10),
      });
      const group = arpReply(mac(1));
      group[14 + 8] = 0x01; // sender hardware address becomes a group address
      links[0]!.send(short);
      links[0]!.send(group);
      sim.runUntilIdle();
      expect(sw.counters.arpLearned).toBe(0);
      expect(sw.macTable().map((e) => e.mac)).toEqual([mac(1)]);
    });
  });

  it('counts per port and drops frames that are not Ethernet', () => {
    const sim = new Simulator({ seed: 1 });
    const sw: Switch = sim.createSwitch({ ports: 3 });
    const a = sim.attach(sw.port(0), { mac: mac(1) });
    const b = sim.attach(sw.port(1), { mac: mac(2) });
    record([a, b]);
    // A peer that is not a SimLink could send a runt; inject one at the port.
    sw.port(0).arrive(new Uint8Array(10));
    a.send(frame(mac(1), mac(2), 1));
    sim.runUntilIdle();
    expect(sw.counters.malformed).toBe(1);
    expect(sw.ports[0]!.counters).toMatchObject({ rxFrames: 2, rxDrops: 1, rxBytes: 10 + 60 });
    expect(sw.ports[1]!.counters).toMatchObject({ txFrames: 1, txBytes: 60 });
    expect(sw.ports[2]!.counters.txFrames).toBe(0); // no cable: skipped by the flood
  });

  it('counts a known-unicast frame to a port without a cable as a txDrop', () => {
    const sim = new Simulator({ seed: 1 });
    const sw = sim.createSwitch({ ports: 3 });
    const a = sim.attach(sw.port(0), { mac: mac(1) });
    sw.port(2).arrive(frame(mac(3), MacAddress.BROADCAST, 1)); // learn mac(3) on the empty port 2
    a.send(frame(mac(1), mac(3), 2));
    sim.runUntilIdle();
    expect(sw.ports[2]!.counters.txDrops).toBe(1);
  });

  it.each([
    { description: '0 ports', options: { ports: 0 } },
    { description: 'a zero ageing time', options: { ports: 2, agingTimeNs: 0 } },
    { description: 'a zero capacity', options: { ports: 2, macTableCapacity: 0 } },
  ])('rejects $description', ({ options }) => {
    expect(() => new Simulator({ seed: 1 }).createSwitch(options)).toThrow(/netsim/);
  });

  it('rejects an unknown port and a second cable on one port', () => {
    const sim = new Simulator({ seed: 1 });
    const sw = sim.createSwitch({ ports: 2 });
    expect(() => sw.port(2)).toThrow(/no port 2/);
    sim.attach(sw.port(0), { mac: mac(1) });
    expect(() => sim.attach(sw.port(0), { mac: mac(2) })).toThrow(/already has a cable/);
    expect(() => sim.connect(sw.port(1), sw.port(1))).toThrow(/itself/);
  });
});
