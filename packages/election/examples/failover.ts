import { type ElectionEvent, ElectionNode, IpAddress, Role } from '@switchyard/election';
import { Duration, Simulator } from '@switchyard/netsim';
import { KeyRing } from '@switchyard/wire';

/** Three nodes, two VIPs spread by priority; node 1 is killed and node 3 takes its VIP over. */
export function failoverExample(seed = 1) {
  const sim = new Simulator({ seed });
  const sw = sim.createSwitch({ ports: 3 });
  const keys = new KeyRing([{ id: 1, secret: new TextEncoder().encode('a cluster secret of 32 bytes!!!!') }]);
  const vips = [IpAddress.parse('192.0.2.10'), IpAddress.parse('2001:db8::10')];
  const log: ElectionEvent[] = [];
  const nodes = [1, 2, 3].map((id) => {
    const link = sim.attach(sw.port(id - 1), { mac: 0x02_00_00_00_00_00 + id });
    const node = new ElectionNode({
      clusterId: 42,
      nodeId: id,
      mac: link.mac,
      ip: IpAddress.parse(`10.0.0.${id}`),
      keys,
      bootId: sim.random.nextU32(), // injected randomness
      initialCounter: 1_800_000_000_000_000_000n, // a daemon passes BigInt(Date.now()) * 1_000_000n
      // Node 1 prefers the IPv4 VIP, node 2 the IPv6 one; node 3 is everyone's second choice.
      vips: [
        { address: vips[0]!, priority: id === 1 ? 200 : id === 3 ? 150 : 100 },
        { address: vips[1]!, priority: id === 2 ? 200 : id === 3 ? 150 : 100 },
      ],
      heartbeatIntervalNs: Duration.ms(10), // dead after 3 missed: 30 ms
    });
    // netsim's Host drives the sans-I/O node: frames in, timeouts, frames out.
    const host = sim.host(link, {
      handleFrame: (frame, now) => node.handleFrame(frame, now),
      handleTimeout: (now) => node.handleTimeout(now),
      pollTransmit: (now) => node.pollTransmit(now),
      pollTimeout: () => node.pollTimeout(),
      setWaker: (wake) => node.setWaker(wake),
    });
    return { node, host };
  });
  for (const { node } of nodes) node.start(sim.now);
  sim.runFor(Duration.ms(100));
  const before = vips.map((v) => nodes.findIndex(({ node }) => node.role(v) === Role.ACTIVE) + 1);

  const killedAt = sim.now;
  nodes[0]!.host.detach(); // kill -9 node 1: it falls silent
  sim.runFor(Duration.ms(100));
  for (const { node } of nodes.slice(1)) for (let e = node.pollEvent(); e; e = node.pollEvent()) log.push(e);
  const takeover = log.find((e) => e.type === 'role' && e.to === Role.ACTIVE && e.at > killedAt);

  return {
    before, // [1, 2]: node 1 active for the IPv4 VIP and passive for the IPv6 one
    after: vips.map((v) => nodes.slice(1).findIndex(({ node }) => node.role(v) === Role.ACTIVE) + 2),
    failoverMs: takeover === undefined ? undefined : (takeover.at - killedAt) / 1e6,
    members: nodes[1]!.node.membership().nodeIds, // [2, 3]
  };
}
