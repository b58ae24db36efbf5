import { Duration, Simulator } from '@switchyard/netsim';
import { Ipv4Address, MacAddress } from '@switchyard/wire';
import { ArpResponder } from '../src/index.js';

/** A client and two nodes sharing a VIP on a simulated switch: the client learns the vMAC, the switch never does. */
export function clusterExample(seed = 1) {
  const sim = new Simulator({ seed });
  const sw = sim.createSwitch({ ports: 3 });
  const vip = Ipv4Address.parse('10.77.0.50');
  const vmac = MacAddress.parse('02:53:59:00:00:01');
  const nodes = [0, 1].map((i) => {
    const link = sim.attach(sw.port(i + 1), { mac: MacAddress.parse(`02:00:00:00:00:0${i + 1}`) });
    const node = new ArpResponder({
      mac: link.mac,
      ipv4: Ipv4Address.parse(`10.77.0.${11 + i}`),
      vips: [{ address: vip, vmac }], // both passive: only the active owner answers
    });
    sim.host(link, node); // netsim drives the responder: frames in, timers, frames out
    return node;
  });
  const clientLink = sim.attach(sw.port(0), { mac: MacAddress.parse('02:00:00:00:00:99') });
  const client = new ArpResponder({ mac: clientLink.mac, ipv4: Ipv4Address.parse('10.77.0.1') });
  sim.host(clientLink, client); // the same package resolves next hops

  nodes[0]!.setActive(vip, true, sim.now); // node 1 won the election: it announces the VIP
  sim.runFor(Duration.s(3));
  client.resolve(vip, sim.now); // who has 10.77.0.50?
  sim.runFor(Duration.ms(10));

  return {
    clientSees: MacAddress.format(client.neighbors.lookup(vip, sim.now) ?? 0), // the vMAC
    answeredBy: nodes.map((n) => n.counters.answered), // [1, 0]: only the active node replied
    switchLearnedVmac: sw.lookup(vmac) !== undefined, // false: frames to the vMAC reach every node
    switchLearned: sw.macTable().map((e) => MacAddress.format(e.mac)), // real MACs only
  };
}
