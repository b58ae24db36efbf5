/** ClusterNodes on a netsim segment (the rootless demo and the tests): a client port, N nodes, each node's "kernel" a SimLink that records what it gets. */
import { Duration, type SimLink, Simulator, type Switch } from '@switchyard/netsim';
import {
  ArpOperation,
  arp,
  EtherType,
  ethernet,
  IpProtocol,
  Ipv4Address,
  ipv4,
  type MacAddress,
  tcp,
} from '@switchyard/wire';
import { ClusterNode, type NodeClock, type NodeLogger, type NodeVip } from '../node.js';

export const SECRET = new Uint8Array(32).fill(0x5a);
export const CLIENT_MAC = 0x02_00_00_00_00_99;
export const CLIENT_IP = Ipv4Address.parse('10.77.0.1');
export const VMAC = 0x02_53_59_00_00_07;
export const nodeMac = (n: number): MacAddress => 0x02_00_00_00_00_00 + n;
export const kernelMac = (n: number): MacAddress => 0x02_00_00_00_10_00 + n;
export const nodeIp = (n: number) => Ipv4Address.parse(`10.77.0.${10 + n}`);

export function vip(text: string, extra: Partial<NodeVip> = {}): NodeVip {
  return {
    address: Ipv4Address.parse(text),
    family: 4,
    text,
    mac: VMAC,
    policy: 'active-passive',
    nonSyn: 'sticky',
    ports: [],
    ...extra,
  };
}

export interface LogLine {
  level: string;
  fields: Record<string, unknown>;
  message: string;
}

export function recordingLogger(lines: LogLine[]): NodeLogger {
  const at = (level: string) => (fields: object, message: string) =>
    lines.push({ level, fields: fields as Record<string, unknown>, message });
  return { info: at('info'), warn: at('warn'), error: at('error'), debug: at('debug') };
}

export interface SimNode {
  readonly id: number;
  readonly node: ClusterNode;
  readonly segment: SimLink;
  /** Frames the node wrote into its kernel. */
  readonly kernel: Uint8Array[];
  readonly log: LogLine[];
}

export class SimCluster {
  readonly sim: Simulator;
  readonly switch: Switch;
  readonly client: SimLink;
  readonly nodes: SimNode[] = [];
  /** Frames the client received. */
  readonly received: Uint8Array[] = [];
  readonly clock: NodeClock;

  constructor(options: {
    seed: number;
    nodes: number;
    vips: (n: number) => NodeVip[];
    priority?: (n: number) => number;
  }) {
    this.sim = new Simulator({ seed: options.seed });
    this.switch = this.sim.createSwitch({ ports: 16 });
    const conditions = { delayNs: Duration.us(50), jitterNs: Duration.us(10) };
    this.client = this.sim.attach(this.switch.port(15), { mac: CLIENT_MAC, conditions });
    this.client.onReceive((f) => this.received.push(f.slice()));
    const sim = this.sim;
    this.clock = {
      now: () => sim.now,
      at: (atNs, fn) => {
        const timer = sim.scheduler.at(Math.max(atNs, sim.now), fn);
        return () => timer.cancel();
      },
    };
    for (let n = 1; n <= options.nodes; n++) {
      const segment = this.sim.attach(this.switch.port(n - 1), { mac: nodeMac(n), conditions });
      const [kernelPort, kernelSide] = this.sim.pair({ mac: nodeMac(n) + 0x100 }, { mac: kernelMac(n) });
      const kernel: Uint8Array[] = [];
      kernelSide.onReceive((f) => kernel.push(f.slice()));
      const log: LogLine[] = [];
      const node = new ClusterNode({
        nodeId: n,
        clusterId: 7,
        address: nodeIp(n),
        keys: [{ id: 1, secret: SECRET }],
        sendKeyId: 1,
        flowHashKey: new Uint8Array(16).fill(3),
        vips: options.vips(n),
        heartbeat: { intervalMs: 10, deadAfter: 3, holdMs: 0, reevaluateMs: 1000, preempt: true },
        metric: { kind: 'priority', priority: options.priority?.(n) ?? 100 },
        flows: { max: 1024, idleTimeoutS: 300 },
        segment,
        kernel: kernelPort,
        kernelMac: kernelMac(n),
        clock: this.clock,
        log: recordingLogger(log),
        bootId: 1000 + n,
        initialCounter: 1_800_000_000_000_000_000n,
      });
      this.nodes.push({ id: n, node, segment, kernel, log });
    }
  }

  node(n: number): SimNode {
    return this.nodes[n - 1]!;
  }

  startAll(): void {
    for (const n of this.nodes) n.node.start();
  }

  runMs(ms: number): void {
    this.sim.runFor(ms * 1_000_000);
  }

  /** Which nodes got a frame into their kernel since `marks` (one count per node). */
  kernelCounts(): number[] {
    return this.nodes.map((n) => n.kernel.length);
  }

  sendFromClient(frame: Uint8Array): void {
    this.client.send(frame);
  }
}

export function tcpFrame(
  destination: number,
  sourcePort: number,
  flags: number,
  options: {
    destinationPort?: number;
    destinationMac?: MacAddress;
    checksum?: boolean;
    source?: number;
  } = {},
): Uint8Array {
  const source = options.source ?? CLIENT_IP;
  return ethernet.encode({
    destination: options.destinationMac ?? VMAC,
    source: CLIENT_MAC,
    tags: [],
    etherType: EtherType.IPv4,
    payload: ipv4.encode({
      dscp: 0,
      ecn: 0,
      identification: 0,
      dontFragment: true,
      moreFragments: false,
      fragmentOffset: 0,
      ttl: 64,
      protocol: IpProtocol.TCP,
      source,
      destination,
      options: new Uint8Array(0),
      payload: tcp.encode(
        {
          sourcePort,
          destinationPort: options.destinationPort ?? 80,
          seq: 1,
          ack: 0,
          flags,
          window: 1024,
          urgentPointer: 0,
          options: [],
          payload: new Uint8Array(0),
        },
        undefined,
        0,
        { pseudo: { version: 4, source, destination } },
      ),
    }),
  });
}

export function arpRequest(target: number): Uint8Array {
  return ethernet.encode({
    destination: 0xff_ff_ff_ff_ff_ff,
    source: CLIENT_MAC,
    tags: [],
    etherType: EtherType.ARP,
    payload: arp.encode({
      kind: 'ethernet-ipv4',
      operation: ArpOperation.REQUEST,
      senderHardwareAddress: CLIENT_MAC,
      senderProtocolAddress: CLIENT_IP,
      targetHardwareAddress: 0,
      targetProtocolAddress: target,
    }),
  });
}
