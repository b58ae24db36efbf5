/**
 * Behaviour on a simulated segment (netsim, fixed seeds): a client, two cluster nodes sharing
 * a VIP and its vMAC, sometimes a rogue host, all on one learning switch.
 */
import { Duration, type SimLink, Simulator, type Switch } from '@switchyard/netsim';
import {
  ArpOperation,
  ArpPacket,
  EthernetFrame,
  EtherType,
  Ipv4Address,
  Ipv6Address,
  MacAddress,
  Status,
} from '@switchyard/wire';
import { describe, expect, it } from 'vitest';
import { ArpResponder, type ArpResponderOptions, type ResponderEvent } from '../src/index.js';
import {
  arpFrame,
  CLIENT_IP,
  CLIENT_IP6,
  CLIENT_MAC,
  events,
  OTHER_IP,
  ROGUE_MAC,
  VIP,
  VIP6,
  VMAC,
} from './helpers.js';

const NODE_MACS = [MacAddress.parse('02:00:00:00:00:0a'), MacAddress.parse('02:00:00:00:00:0b')];
const NODE_IPS = [Ipv4Address.parse('10.77.0.10'), Ipv4Address.parse('10.77.0.11')];
const NODE_IP6S = [Ipv6Address.parse('fd00:77::a'), Ipv6Address.parse('fd00:77::b')];

/** An ARP packet as the client saw it. */
interface SeenArp {
  at: number;
  ethSource: MacAddress;
  ethDestination: MacAddress;
  operation: number;
  sha: MacAddress;
  spa: Ipv4Address;
  tpa: Ipv4Address;
}

/** Records the ARP packets arriving on `link`. */
function watchArp(link: SimLink): SeenArp[] {
  const seen: SeenArp[] = [];
  const eth = new EthernetFrame();
  const p = new ArpPacket();
  link.addTap((frame, direction, now) => {
    if (direction !== 'rx' || eth.check(frame) !== Status.OK || eth.etherType !== EtherType.ARP) return;
    if (p.check(frame, eth.payloadOffset, eth.payloadLength) !== Status.OK) return;
    seen.push({
      at: now,
      ethSource: eth.source,
      ethDestination: eth.destination,
      operation: p.operation,
      sha: p.senderHardwareAddress,
      spa: p.senderProtocolAddress,
      tpa: p.targetProtocolAddress,
    });
  });
  return seen;
}

interface Lab {
  sim: Simulator;
  sw: Switch;
  client: ArpResponder;
  clientLink: SimLink;
  nodes: ArpResponder[];
  nodeLinks: SimLink[];
  rogueLink: SimLink;
}

/** Client on port 0, nodes on ports 1 and 2, a rogue host on port 3; node 0 is the VIP's active owner. */
function lab(
  seed: number,
  nodeOptions: Partial<ArpResponderOptions> = {},
  switchOptions: { learnFromArp?: boolean } = {},
): Lab {
  const sim = new Simulator({ seed });
  const sw = sim.createSwitch({ ports: 4, ...switchOptions });
  const conditions = { delayNs: Duration.us(50), jitterNs: Duration.us(20) };
  const clientLink = sim.attach(sw.port(0), { mac: CLIENT_MAC, conditions });
  const nodeLinks = NODE_MACS.map((mac, i) => sim.attach(sw.port(i + 1), { mac, conditions }));
  const rogueLink = sim.attach(sw.port(3), { mac: ROGUE_MAC, conditions });
  const nodes = nodeLinks.map(
    (link, i) =>
      new ArpResponder({
        mac: link.mac,
        ipv4: NODE_IPS[i]!,
        ipv6: NODE_IP6S[i]!,
        vips: [
          { address: VIP, vmac: VMAC, active: i === 0 },
          { address: VIP6, vmac: VMAC, active: i === 0 },
        ],
        ...nodeOptions,
      }),
  );
  for (const [i, node] of nodes.entries()) sim.host(nodeLinks[i]!, node);
  const client = new ArpResponder({ mac: CLIENT_MAC, ipv4: CLIENT_IP, ipv6: CLIENT_IP6 });
  sim.host(clientLink, client);
  return { sim, sw, client, clientLink, nodes, nodeLinks, rogueLink };
}

const conflicts = (list: ResponderEvent[]) => list.filter((e) => e.type === 'conflict');

describe('on a simulated switch', () => {
  it("a client's ARP for the VIP gets the vMAC, from the active node's real MAC", () => {
    const { sim, client, clientLink } = lab(1);
    const seen = watchArp(clientLink);
    expect(client.resolve(VIP, sim.now)).toEqual({ status: 'pending' });
    sim.runFor(Duration.ms(10));
    expect(events(client)).toMatchObject([{ type: 'resolved', address: VIP, mac: VMAC }]);
    expect(client.neighbors.lookup(VIP, sim.now)).toBe(VMAC);
    expect(seen).toMatchObject([
      {
        operation: ArpOperation.REPLY,
        ethSource: NODE_MACS[0],
        ethDestination: CLIENT_MAC,
        sha: VMAC,
        spa: VIP,
      },
    ]);
  });

  it('the switch never learns the vMAC, so frames for it reach every node', () => {
    const { sim, sw, client, clientLink, nodeLinks } = lab(2);
    client.resolve(VIP, sim.now);
    sim.runFor(Duration.ms(10));
    expect(sw.lookup(NODE_MACS[0]!)).toBe(1); // the node's real MAC was learned from its reply
    expect(sw.lookup(VMAC)).toBeUndefined();
    expect(sw.macTable().map((e) => e.mac)).not.toContain(VMAC);
    const before = nodeLinks.map((l) => l.counters.rxFrames);
    const flooded = sw.counters.flooded;
    clientLink.send(arpFrame({ tpa: OTHER_IP, ethDestination: VMAC })); // any frame to the vMAC
    sim.runFor(Duration.ms(10));
    expect(sw.counters.flooded).toBe(flooded + 1);
    expect(nodeLinks.map((l, i) => l.counters.rxFrames - before[i]!)).toEqual([1, 1]);
  });

  it('contrast: a switch that snoops ARP learns the vMAC (what the real MAC as Ethernet source avoids)', () => {
    const { sim, sw, client } = lab(3, {}, { learnFromArp: true });
    client.resolve(VIP, sim.now);
    sim.runFor(Duration.ms(10));
    expect(sw.lookup(VMAC)).toBe(1);
  });

  it('a request for an address nobody owns gets no answer', () => {
    const { sim, client, clientLink, nodes, nodeLinks } = lab(4);
    const seen = watchArp(clientLink);
    client.resolve(OTHER_IP, sim.now);
    sim.runFor(Duration.s(5));
    expect(events(client)).toMatchObject([{ type: 'resolution-failed', address: OTHER_IP, attempts: 3 }]);
    expect(seen).toEqual([]);
    expect(nodeLinks.map((l) => l.counters.txFrames)).toEqual([0, 0]);
    expect(nodes.map((n) => n.counters.notOurs)).toEqual([3, 3]);
  });

  it("a request for a node's real IP is left to its kernel unless answerRealIp is set", () => {
    const quiet = lab(5);
    const seenQuiet = watchArp(quiet.clientLink);
    quiet.client.resolve(NODE_IPS[1]!, quiet.sim.now);
    quiet.sim.runFor(Duration.ms(10));
    expect(seenQuiet).toEqual([]);
    const loud = lab(5, { answerRealIp: true });
    loud.client.resolve(NODE_IPS[1]!, loud.sim.now);
    loud.sim.runFor(Duration.ms(10));
    expect(events(loud.client)).toMatchObject([{ type: 'resolved', mac: NODE_MACS[1] }]);
  });

  it('with two nodes holding the VIP only the active one answers; after a role swap only the other', () => {
    const { sim, client, clientLink, nodes } = lab(6, { announce: { count: 0 } });
    const seen = watchArp(clientLink);
    client.resolve(VIP, sim.now);
    sim.runFor(Duration.ms(10));
    expect(seen.map((a) => a.ethSource)).toEqual([NODE_MACS[0]]);
    nodes[0]!.setActive(VIP, false, sim.now);
    nodes[1]!.setActive(VIP, true, sim.now);
    client.neighbors.clear();
    client.resolve(VIP, sim.now);
    sim.runFor(Duration.ms(10));
    expect(seen.map((a) => a.ethSource)).toEqual([NODE_MACS[0], NODE_MACS[1]]);
    expect(seen.every((a) => a.sha === VMAC)).toBe(true);
    expect(nodes.map((n) => n.counters.passive)).toEqual([1, 1]);
  });

  it("with answer: 'always' both nodes answer, with the same vMAC", () => {
    const { sim, client, clientLink } = lab(7, { answer: 'always' });
    const seen = watchArp(clientLink);
    client.resolve(VIP, sim.now);
    sim.runFor(Duration.ms(10));
    expect(seen.map((a) => a.ethSource).sort()).toEqual([...NODE_MACS].sort());
    expect(seen.map((a) => a.sha)).toEqual([VMAC, VMAC]);
  });

  it('a rogue host claiming the VIP raises a conflict; the active node defends and the client returns to the vMAC', () => {
    const { sim, client, clientLink, nodes, rogueLink } = lab(8);
    client.resolve(VIP, sim.now);
    sim.runFor(Duration.ms(10));
    events(client);
    const seen = watchArp(clientLink);
    rogueLink.send(arpFrame({ sha: ROGUE_MAC, spa: VIP, tpa: VIP })); // a gratuitous ARP for the VIP
    sim.runFor(Duration.ms(10));
    expect(conflicts(events(nodes[0]!))).toMatchObject([
      { address: VIP, role: 'vip', claimedBy: ROGUE_MAC, ethernetSource: ROGUE_MAC, defended: true },
    ]);
    expect(conflicts(events(nodes[1]!))).toMatchObject([{ address: VIP, defended: false }]);
    // The client saw the rogue's claim, then the active node's defence, and holds the vMAC again.
    expect(seen.map((a) => [a.ethSource, a.sha])).toEqual([
      [ROGUE_MAC, ROGUE_MAC],
      [NODE_MACS[0], VMAC],
    ]);
    expect(client.neighbors.lookup(VIP, sim.now)).toBe(VMAC);
    expect(client.neighbors.counters.changed).toBe(2);
  });

  it('gratuitous ARP count and spacing hold in virtual time', () => {
    const { sim, nodes, nodeLinks, clientLink } = lab(9, {
      vips: [{ address: VIP, vmac: VMAC }],
      announce: { count: 3, intervalNs: Duration.ms(100) },
    });
    const sentAt: number[] = [];
    nodeLinks[1]!.addTap((_frame, direction, now) => {
      if (direction === 'tx') sentAt.push(now);
    });
    const seen = watchArp(clientLink);
    sim.runFor(Duration.ms(1));
    nodes[1]!.setActive(VIP, true, sim.now);
    sim.runFor(Duration.s(1));
    expect(sentAt).toEqual([Duration.ms(1), Duration.ms(101), Duration.ms(201)]);
    expect(seen).toHaveLength(3);
    for (const a of seen) {
      expect(a).toMatchObject({
        ethSource: NODE_MACS[1],
        ethDestination: MacAddress.BROADCAST,
        sha: VMAC,
        spa: VIP,
        tpa: VIP,
      });
    }
  });

  it('IPv6: a client solicitation for the VIP gets the vMAC in the advertisement', () => {
    const { sim, sw, client } = lab(10);
    client.resolve(VIP6, sim.now);
    sim.runFor(Duration.ms(10));
    expect(events(client)).toMatchObject([{ type: 'resolved', address: VIP6, mac: VMAC }]);
    expect(sw.lookup(VMAC)).toBeUndefined();
  });

  it('the same seed gives the same frames at the same times', () => {
    const trace = (seed: number) => {
      const l = lab(seed, { answer: 'always' });
      const tracer = l.sim.trace(l.sw.ports);
      l.client.resolve(VIP, l.sim.now);
      l.client.resolve(VIP6, l.sim.now);
      l.nodes[1]!.setActive(VIP, true, l.sim.now);
      l.sim.runFor(Duration.s(3));
      return Buffer.from(tracer.toBytes()).toString('hex');
    };
    expect(trace(11)).toBe(trace(11));
    expect(trace(11)).not.toBe(trace(12)); // jitter differs with the seed
  });
});
