/**
 * The lab demo's scenario on netsim, for machines where network namespaces need root: the
 * same three `ClusterNode`s, two VIPs and a client, on a simulated learning switch. The
 * nodes' kernels are recording links (there is no TCP stack behind them), so "served by"
 * means "the node whose kernel got the SYN" and an established flow is its next segment.
 */
import { IpAddress, Role } from '@switchyard/election';
import { Ipv4Address, MacAddress, TcpFlag } from '@switchyard/wire';
import { Checks, type DemoIo, tally } from './report.js';
import { arpRequest, SimCluster, tcpFrame, VMAC, vip } from './sim-cluster.js';

const AP = Ipv4Address.parse('10.77.0.50');
const RV = Ipv4Address.parse('10.77.0.60');
const PRIORITY: Record<number, number> = { 1: 200, 2: 150, 3: 100 };

/** Runs the scenario; returns 0 when every check held. */
export function runSimDemo(io: DemoIo): number {
  const checks = new Checks(io);
  const check = checks.check.bind(checks);
  const c = new SimCluster({
    seed: 42,
    nodes: 3,
    vips: () => [
      vip('10.77.0.50', { ports: [80] }),
      vip('10.77.0.60', { policy: 'rendezvous', ports: [80] }),
    ],
    priority: (n) => PRIORITY[n]!,
  });
  const active = (address: number) =>
    c.nodes
      .filter((n) => n.node.election.running && n.node.election.role(IpAddress.v4(address)) === Role.ACTIVE)
      .map((n) => `n${n.id}`);
  /** Sends SYNs from `ports`; returns which node's kernel got each. */
  const place = (address: number, ports: readonly number[], flags: number = TcpFlag.SYN) => {
    const before = c.kernelCounts();
    const placed: string[] = [];
    for (const port of ports) {
      c.sendFromClient(tcpFrame(address, port, flags));
      c.runMs(2);
      const now = c.kernelCounts();
      const n = now.findIndex((k, i) => k > before[i]!);
      placed.push(n < 0 ? 'dropped' : `n${n + 1}`);
      before.splice(0, before.length, ...now);
    }
    return placed;
  };

  io.out('switchyard lab demo (netsim): a client, a learning switch and three nodes; seed 42');
  c.startAll();
  c.runMs(300);
  io.out('1. election');
  check(
    active(AP).join() === 'n1',
    `one active node for 10.77.0.50: ${active(AP).join(', ')} (priority 200)`,
  );
  check(active(RV).length === 1, `one active node answers ARP for 10.77.0.60: ${active(RV).join(', ')}`);

  io.out('\n2. traffic');
  c.sendFromClient(arpRequest(AP));
  c.runMs(5);
  check(
    !c.switch.macTable().some((e) => e.mac === VMAC),
    `the switch never learned the vMAC ${MacAddress.format(VMAC)}`,
  );
  const ap = place(AP, [40001, 40002, 40003, 40004, 40005, 40006]);
  check(
    ap.every((p) => p === 'n1'),
    `6 connections to 10.77.0.50: ${tally(ap)}`,
  );
  const rvPorts = Array.from({ length: 12 }, (_, i) => 41000 + i);
  const rv = place(RV, rvPorts);
  check(new Set(rv).size >= 2 && !rv.includes('dropped'), `12 connections to 10.77.0.60: ${tally(rv)}`);

  io.out('\n3. failover: n1 dies');
  const killedAt = c.sim.now;
  c.node(1).node.close();
  c.node(1).segment.close();
  let tookOver = Number.NaN;
  for (let i = 0; i < 200 && Number.isNaN(tookOver); i++) {
    c.runMs(1);
    if (active(AP).join() === 'n2') tookOver = (c.sim.now - killedAt) / 1e6;
  }
  check(!Number.isNaN(tookOver), `n2 took over 10.77.0.50 after ${tookOver} ms (3 missed 10 ms heartbeats)`);
  const survivors = rvPorts.filter((_, i) => rv[i] !== 'n1');
  const again = place(RV, survivors, TcpFlag.ACK);
  check(
    again.every((p, i) => p === rv[rvPorts.indexOf(survivors[i]!)]),
    `${survivors.length} established flows on n2/n3 still reach their node: ${tally(again)}`,
  );
  const apAfter = place(AP, [40011, 40012, 40013]);
  check(
    apAfter.every((p) => p === 'n2'),
    `new connections to 10.77.0.50: ${tally(apAfter)}`,
  );
  const failed = checks.failures.length;
  io.out(failed === 0 ? '\nall checks passed' : `\n${failed} check(s) failed`);
  return checks.exitCode;
}
