// Three flood-cluster nodes on a simulated switch, each running a Dataplane in front of a small
// TCP stack standing in for its kernel (it holds the VIP and answers from the node's real MAC).
// A client opens connections to the VIP's virtual MAC, which the switch floods to every node.
import { FlowHasher, FlowKey, Protocol } from '@switchyard/flowhash';
import { primaryBackup } from '@switchyard/hrw';
import {
  Duration,
  type SansIoEndpoint,
  Simulator,
  type TcpConnection,
  TcpStack,
  TcpState,
} from '@switchyard/netsim';
import { Ipv4Address, TcpFlag } from '@switchyard/wire';
import { describe, expect, it } from 'vitest';
import {
  buildSnapshot,
  Dataplane,
  Outcome,
  type OwnershipPolicy,
  VerdictCode,
  type VipConfig,
} from '../src/index.js';
import { HASH_KEY, VIP, VMAC } from './helpers.js';

const NODE_IDS = [1, 2, 3];
const PORTS = [80, 81, 82];

/** A node: packet socket → Dataplane → (DELIVER) the kernel's TCP. Records what it delivered, per client port. */
class Node implements SansIoEndpoint {
  readonly synsDelivered = new Map<string, number>();
  readonly delivered = new Map<string, number>();
  readonly echoed = new Map<string, number>();

  constructor(
    readonly id: number,
    readonly dp: Dataplane,
    readonly kernel: TcpStack,
  ) {
    for (const port of PORTS) {
      kernel.listen(port, () => ({
        onData: (conn, data) => {
          conn.write(data.slice()); // an echo server
        },
        onEnd: (conn) => conn.close(),
      }));
    }
  }

  handleFrame(frame: Uint8Array, now: number): void {
    const v = this.dp.handleFrame(frame, now / 1e6);
    if (v.code !== VerdictCode.DELIVER) return;
    // Ethernet(14) + IPv4 without options(20): TCP ports, then flags at 13.
    const flow = flowName(readIpv4Source(frame), readPort(frame, 34), readPort(frame, 36));
    this.delivered.set(flow, (this.delivered.get(flow) ?? 0) + 1);
    if ((frame[34 + 13]! & (TcpFlag.SYN | TcpFlag.ACK)) === TcpFlag.SYN)
      this.synsDelivered.set(flow, (this.synsDelivered.get(flow) ?? 0) + 1);
    this.kernel.handleFrame(frame, now);
  }
  pollTransmit(now: number) {
    return this.kernel.pollTransmit(now);
  }
  pollTimeout() {
    return this.kernel.pollTimeout();
  }
  handleTimeout(now: number) {
    this.kernel.handleTimeout(now);
  }
  setWaker(wake: () => void) {
    this.kernel.setWaker(wake);
  }
}

const readPort = (f: Uint8Array, at: number) => (f[at]! << 8) | f[at + 1]!;
const readIpv4Source = (f: Uint8Array) => ((f[26]! << 24) | (f[27]! << 16) | (f[28]! << 8) | f[29]!) >>> 0;
const flowName = (client: number, sourcePort: number, destinationPort: number) =>
  `${Ipv4Address.format(client)}:${sourcePort}>${destinationPort}`;

function cluster(policy: OwnershipPolicy, options: { seed: number; clients?: number; active?: number }) {
  const sim = new Simulator({ seed: options.seed });
  const clientCount = options.clients ?? 1;
  const sw = sim.createSwitch({ ports: 3 + clientCount });
  const conditions = { delayNs: Duration.us(50), jitterNs: Duration.us(20) };
  const vips: VipConfig[] = [{ address: VIP, policy, ports: PORTS, vmac: VMAC }];
  const nodes = NODE_IDS.map((id, i) => {
    const link = sim.attach(sw.port(i), { mac: 0x02_00_00_00_00_00 + id, conditions });
    const dp = new Dataplane({
      mac: link.mac,
      vips,
      flows: { capacity: 1024, idleTimeoutMs: 60_000, closingTimeoutMs: 2_000 },
      hashKey: HASH_KEY,
    });
    const kernel = new TcpStack({ mac: link.mac, ip: VIP, random: sim.random.fork() });
    const node = new Node(id, dp, kernel);
    sim.host(link, node);
    return node;
  });
  const clients = Array.from({ length: clientCount }, (_, c) => {
    const link = sim.attach(sw.port(3 + c), { mac: 0x02_00_00_00_01_00 + c, conditions });
    // The client's neighbor table holds the vMAC for the VIP (the ARP responder's answer).
    const stack = new TcpStack({
      mac: link.mac,
      ip: Ipv4Address.parse(`10.77.0.${100 + c * 37}`),
      random: sim.random.fork(),
      resolve: (ip) => (ip === VIP ? VMAC : undefined),
    });
    sim.host(link, stack);
    return stack;
  });
  /** The control plane: every node gets the same snapshot (its own selfId). */
  let version = 0;
  const publish = (active: number | undefined) => {
    version++;
    for (const node of nodes) {
      node.dp.publish(
        buildSnapshot({
          vips,
          selfId: node.id,
          members: NODE_IDS,
          activeByVip: new Map(active === undefined ? [] : [[VIP, active]]),
          version,
        }),
      );
    }
  };
  publish(options.active);
  return { sim, nodes, clients, publish };
}

interface Session {
  readonly conn: TcpConnection;
  readonly name: string;
  sent: number;
  received: number;
}

function open(stack: TcpStack, count: number, port = 80, firstLocalPort = 40000): Session[] {
  return Array.from({ length: count }, (_, i) => {
    const localPort = firstLocalPort + i;
    const session: Session = {
      conn: undefined as unknown as TcpConnection,
      name: flowName(stack.ip, localPort, port),
      sent: 0,
      received: 0,
    };
    (session as { conn: TcpConnection }).conn = stack.connect(
      VIP,
      port,
      {
        onData: (_c, data) => {
          session.received += data.length;
        },
      },
      localPort,
    );
    return session;
  });
}

function send(sessions: readonly Session[], bytes = 300) {
  for (const s of sessions) {
    s.conn.write(new Uint8Array(bytes).fill(s.sent & 0xff));
    s.sent += bytes;
  }
}

/** The nodes that delivered any frame of `flow`, and those that delivered its SYN. */
function servers(nodes: readonly Node[], flow: string) {
  return {
    any: nodes.filter((n) => n.delivered.has(flow)).map((n) => n.id),
    syn: nodes.filter((n) => n.synsDelivered.has(flow)).map((n) => n.id),
  };
}

describe('three nodes on netsim', () => {
  it('active-passive, sticky: every SYN lands on the active node only; after the active moves, established connections stay where they are and new ones go to the new active', () => {
    const { sim, nodes, clients, publish } = cluster('active-passive', { seed: 11, active: 1 });
    const client = clients[0]!;
    const first = open(client, 20, 80, 40000);
    sim.runFor(Duration.ms(50));
    send(first);
    sim.runFor(Duration.ms(50));
    for (const s of first) {
      expect(s.conn.state).toBe(TcpState.ESTABLISHED);
      expect(servers(nodes, s.name)).toEqual({ any: [1], syn: [1] });
    }
    // Passive nodes dropped the SYNs and never delivered anything of these flows.
    expect(nodes[1]!.dp.counts[Outcome.NOT_OWNER]).toBeGreaterThanOrEqual(20);
    expect(nodes[2]!.dp.counts[Outcome.NOT_OWNER]).toBeGreaterThanOrEqual(20);

    publish(2); // the election moved the VIP to node 2
    send(first); // established connections keep talking
    const second = open(client, 20, 80, 41000);
    sim.runFor(Duration.ms(50));
    send(second);
    sim.runFor(Duration.ms(100));
    for (const s of first) expect(servers(nodes, s.name)).toEqual({ any: [1], syn: [1] });
    for (const s of second) expect(servers(nodes, s.name)).toEqual({ any: [2], syn: [2] });
    // Node 1, now passive, kept delivering its own flows (sticky) and nobody delivered a stranger's.
    expect(nodes[1]!.dp.counts[Outcome.NO_FLOW]).toBeGreaterThan(0); // node 2 saw node 1's flows, dropped them
    for (const s of [...first, ...second]) {
      expect(s.received).toBe(s.sent); // every byte echoed: no connection broken
      s.conn.close();
    }
    sim.runFor(Duration.s(3));
    for (const s of [...first, ...second]) expect(s.conn.closeReason).toBe('closed');
    expect(client.counters.resetsSent).toBe(0);
    for (const n of nodes) expect(n.kernel.counters.resetsSent).toBe(0);
    // FIN handling: the flows linger closing, then expire.
    expect(nodes[0]!.dp.flows.size).toBe(20);
    for (const n of nodes) n.dp.expire(sim.now / 1e6 + 2_000);
    expect(nodes.map((n) => n.dp.flows.size)).toEqual([0, 0, 0]);
  });

  it('additive3: the serving node is ((SRC_IP + DST_IP + DST_PORT) % N) over the live members, per client and VIP port', () => {
    const { sim, nodes, clients } = cluster('additive3', { seed: 12, clients: 3 });
    const sessions: { s: Session; client: number; port: number }[] = [];
    clients.forEach((client, c) => {
      for (const port of PORTS) {
        for (const s of open(client, 4, port, 42000 + port * 10)) sessions.push({ s, client: c, port });
      }
    });
    sim.runFor(Duration.ms(50));
    send(sessions.map((x) => x.s));
    sim.runFor(Duration.ms(100));
    const used = new Set<number>();
    for (const { s, client, port } of sessions) {
      const owner = NODE_IDS[Number((BigInt(clients[client]!.ip) + BigInt(VIP) + BigInt(port)) % 3n)]!;
      expect(servers(nodes, s.name)).toEqual({ any: [owner], syn: [owner] });
      expect(s.received).toBe(s.sent);
      used.add(owner);
    }
    expect(used.size).toBeGreaterThan(1);
  });

  it('additive5: the source port counts too, so one client spreads over the nodes', () => {
    const { sim, nodes, clients } = cluster('additive5', { seed: 13 });
    const client = clients[0]!;
    const sessions = open(client, 30, 80, 43000);
    sim.runFor(Duration.ms(50));
    send(sessions);
    sim.runFor(Duration.ms(100));
    const perNode = new Map<number, number>();
    sessions.forEach((s, i) => {
      const sum = BigInt(client.ip) + BigInt(43000 + i) + BigInt(VIP) + 80n + 6n;
      const owner = NODE_IDS[Number(sum % 3n)]!;
      expect(servers(nodes, s.name)).toEqual({ any: [owner], syn: [owner] });
      expect(s.received).toBe(s.sent);
      perNode.set(owner, (perNode.get(owner) ?? 0) + 1);
    });
    expect([...perNode.values()]).toEqual([10, 10, 10]); // consecutive ports walk the residues
  });

  it('rendezvous: connections spread over all nodes, each served by the hrw primary of its keyed hash', () => {
    const { sim, nodes, clients } = cluster('rendezvous', { seed: 14 });
    const client = clients[0]!;
    const sessions = open(client, 60, 80, 44000);
    sim.runFor(Duration.ms(50));
    send(sessions);
    sim.runFor(Duration.ms(100));
    const hasher = new FlowHasher({ key: HASH_KEY });
    const perNode = new Map<number, number>();
    sessions.forEach((s, i) => {
      const key = FlowKey.ipv4(client.ip, VIP, 44000 + i, 80, Protocol.TCP);
      const owner = primaryBackup(
        hasher.hash(key) & 0xffff,
        NODE_IDS.map((id) => ({ id })),
      ).primary;
      expect(servers(nodes, s.name)).toEqual({ any: [owner], syn: [owner] });
      expect(s.received).toBe(s.sent);
      perNode.set(owner, (perNode.get(owner) ?? 0) + 1);
    });
    expect([...perNode.keys()].sort()).toEqual(NODE_IDS);
    for (const n of perNode.values()) expect(n).toBeGreaterThanOrEqual(8);
  });

  it('is deterministic: the same seed gives the same per-node counters', () => {
    const run = () => {
      const { sim, nodes, clients, publish } = cluster('active-passive', { seed: 99, active: 3 });
      const sessions = open(clients[0]!, 10);
      sim.runFor(Duration.ms(30));
      publish(1);
      send(sessions);
      sim.runFor(Duration.ms(60));
      return nodes.map((n) => n.dp.counters());
    };
    expect(run()).toEqual(run());
  });
});
