import { EtherType, ethernet, MacAddress } from '@switchyard/wire';
import { Duration, Simulator } from '../src/index.js';

/** Three nodes on a switch: a learned MAC reaches one port, the never-learned virtual MAC is flooded. */
export function basicExample(seed = 42) {
  const sim = new Simulator({ seed });
  const sw = sim.createSwitch({ ports: 4 });
  const conditions = { delayNs: Duration.us(50), jitterNs: Duration.us(10) };
  const nodes = [1, 2, 3].map((n) =>
    sim.attach(sw.port(n - 1), { mac: 0x02_00_00_00_00_00 + n, conditions }),
  );
  const received = nodes.map(() => 0);
  nodes.forEach((node, i) => {
    node.onReceive(() => {
      received[i]! += 1;
    });
  });
  const tracer = sim.trace(sw.ports); // a pcap of every frame in and out of the switch
  const send = (from: number, destination: MacAddress) =>
    nodes[from]!.send(
      ethernet.encode({
        destination,
        source: nodes[from]!.mac,
        tags: [],
        etherType: EtherType.LocalExperimental1,
        payload: new Uint8Array(46),
      }),
    );

  send(1, MacAddress.BROADCAST); // node 2 speaks: the switch learns its MAC; nodes 1 and 3 get it
  sim.runFor(Duration.ms(1));
  send(0, nodes[1]!.mac); // known unicast: only node 2
  send(0, MacAddress.parse('02:5e:00:00:00:01')); // the virtual MAC is never a source: flooded to 2 and 3
  sim.runUntilIdle();

  return {
    received,
    learnedPort: sw.lookup(nodes[1]!.mac),
    flooded: sw.counters.flooded,
    pcap: tracer.toBytes(),
  };
}
