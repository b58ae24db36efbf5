import { additive3, additive5, FlowHasher, FlowKey, Protocol } from '@switchyard/flowhash';
import { primaryBackup } from '@switchyard/hrw';
import { EtherType, InvalidArgumentError, type Ipv4Address, type Ipv6Address } from '@switchyard/wire';
import { describe, expect, it } from 'vitest';
import {
  buildSnapshot,
  Dataplane,
  type DataplaneConfig,
  FlowState,
  NO_ACTIVE,
  OUTCOME_COUNT,
  OUTCOME_NAMES,
  Outcome,
  type OwnershipPolicy,
  VerdictCode,
  type VipConfig,
} from '../src/index.js';
import {
  arpRequest,
  CLIENT,
  CLIENT6,
  echo4,
  echo6,
  firstFragment4,
  fragment4,
  frame,
  gre4,
  HASH_KEY,
  heartbeatFrame,
  icmp4Error,
  icmp4ErrorShortQuote,
  icmp6Error,
  NODE_MAC,
  NOT_A_VIP,
  neighborSolicitation,
  OTHER_NODE_MAC,
  otherEtherType,
  TcpFlag,
  tcp4,
  tcp6,
  udp4,
  VIP,
  VIP2,
  VIP6,
  VMAC,
} from './helpers.js';

const SELF = 1;
const MEMBERS = [1, 2, 3];
const FLOWS = { capacity: 64, idleTimeoutMs: 10_000, closingTimeoutMs: 1_000 };

function vipsFor(overrides: Partial<VipConfig> = {}): VipConfig[] {
  return [
    { address: VIP, ports: [80, 53], vmac: VMAC, ...overrides },
    { address: VIP6, ports: [80], ...overrides },
  ];
}

function makeDataplane(vip: Partial<VipConfig> = {}, config: Partial<DataplaneConfig> = {}) {
  const vips = vipsFor(vip);
  const dp = new Dataplane({ mac: NODE_MAC, vips, flows: FLOWS, hashKey: HASH_KEY, ...config });
  /** Publishes a snapshot where `active` (or nobody) is active for every VIP. */
  const activate = (active: number | undefined, version = 1) =>
    dp.publish(
      buildSnapshot({
        vips,
        selfId: SELF,
        members: MEMBERS,
        activeByVip: new Map<Ipv4Address | Ipv6Address, number>(
          active === undefined ? [] : vips.map((v) => [v.address, active]),
        ),
        version,
      }),
    );
  return { dp, vips, activate };
}

const SYN = { flags: TcpFlag.SYN };
const ACK = { flags: TcpFlag.ACK };

/** glb-director/Katran style: one row per rule. `active` is the VIPs' active node when `frame` arrives. */
interface Row {
  readonly description: string;
  readonly vip?: Partial<VipConfig>;
  readonly config?: Partial<DataplaneConfig>;
  /** Frames handled first, while `beforeActive` is the active node (default: this node). */
  readonly before?: readonly Uint8Array[];
  readonly beforeActive?: number;
  readonly active: number | undefined;
  readonly frame: Uint8Array;
  readonly code: VerdictCode;
  readonly outcome: Outcome;
  /** Flows held after the frame. */
  readonly flows?: number;
  /** State of the verdict's flow after the frame. */
  readonly state?: FlowState;
}

const rows: Row[] = [
  // --- active-passive, sticky (the defaults)
  {
    description: 'SYN to the VIP on its active node: delivered, flow recorded',
    active: SELF,
    frame: tcp4(SYN),
    code: VerdictCode.DELIVER,
    outcome: Outcome.DELIVERED_NEW,
    flows: 1,
    state: FlowState.OPEN,
  },
  {
    description: 'SYN to the VIP on a passive node: dropped (not-owner), nothing recorded',
    active: 2,
    frame: tcp4(SYN),
    code: VerdictCode.DROP,
    outcome: Outcome.NOT_OWNER,
    flows: 0,
  },
  {
    description: 'SYN while no node is active: dropped',
    active: undefined,
    frame: tcp4(SYN),
    code: VerdictCode.DROP,
    outcome: Outcome.NOT_OWNER,
    flows: 0,
  },
  {
    description: 'retransmitted SYN of a held flow on the active node: delivered, not recorded twice',
    before: [tcp4(SYN)],
    active: SELF,
    frame: tcp4(SYN),
    code: VerdictCode.DELIVER,
    outcome: Outcome.DELIVERED_FLOW,
    flows: 1,
  },
  {
    description:
      'SYN of a held flow after this node turned passive: dropped and forgotten (the owner takes it)',
    before: [tcp4(SYN)],
    active: 2,
    frame: tcp4(SYN),
    code: VerdictCode.DROP,
    outcome: Outcome.NOT_OWNER,
    flows: 0,
  },
  {
    description: 'SYN reusing the 4-tuple of a closing flow on the active node: delivered, flow open again',
    before: [tcp4(SYN), tcp4({ flags: TcpFlag.FIN | TcpFlag.ACK })],
    active: SELF,
    frame: tcp4(SYN),
    code: VerdictCode.DELIVER,
    outcome: Outcome.DELIVERED_FLOW,
    flows: 1,
    state: FlowState.OPEN,
  },
  {
    description: 'sticky: ACK of a flow established here, after turning passive: still delivered',
    before: [tcp4(SYN)],
    active: 2,
    frame: tcp4(ACK),
    code: VerdictCode.DELIVER,
    outcome: Outcome.DELIVERED_FLOW,
    flows: 1,
    state: FlowState.OPEN,
  },
  {
    description: 'sticky: ACK of a flow this node does not hold, even as active: dropped (no-flow)',
    active: SELF,
    frame: tcp4(ACK),
    code: VerdictCode.DROP,
    outcome: Outcome.NO_FLOW,
    flows: 0,
  },
  {
    description: 'sticky: SYN-ACK is no connection request: no-flow',
    active: SELF,
    frame: tcp4({ flags: TcpFlag.SYN | TcpFlag.ACK }),
    code: VerdictCode.DROP,
    outcome: Outcome.NO_FLOW,
    flows: 0,
  },
  {
    description: 'FIN from the client: delivered, flow closing (lingers)',
    before: [tcp4(SYN)],
    active: 2,
    frame: tcp4({ flags: TcpFlag.FIN | TcpFlag.ACK }),
    code: VerdictCode.DELIVER,
    outcome: Outcome.DELIVERED_FLOW,
    flows: 1,
    state: FlowState.CLOSING,
  },
  {
    description: 'ACK after FIN: delivered, still closing',
    before: [tcp4(SYN), tcp4({ flags: TcpFlag.FIN | TcpFlag.ACK })],
    active: SELF,
    frame: tcp4(ACK),
    code: VerdictCode.DELIVER,
    outcome: Outcome.DELIVERED_FLOW,
    flows: 1,
    state: FlowState.CLOSING,
  },
  {
    description: 'RST (rst: linger, default): delivered, flow closing',
    before: [tcp4(SYN)],
    active: SELF,
    frame: tcp4({ flags: TcpFlag.RST }),
    code: VerdictCode.DELIVER,
    outcome: Outcome.DELIVERED_FLOW,
    flows: 1,
    state: FlowState.CLOSING,
  },
  {
    description: 'RST (rst: remove): delivered, then the flow is removed',
    config: { rst: 'remove' },
    before: [tcp4(SYN)],
    active: SELF,
    frame: tcp4({ flags: TcpFlag.RST | TcpFlag.ACK }),
    code: VerdictCode.DELIVER,
    outcome: Outcome.DELIVERED_FLOW,
    flows: 0,
  },
  {
    description: 'SYN with RST set is no connection request: no-flow',
    active: SELF,
    frame: tcp4({ flags: TcpFlag.SYN | TcpFlag.RST }),
    code: VerdictCode.DROP,
    outcome: Outcome.NO_FLOW,
    flows: 0,
  },
  {
    description: 'SYN the owner cannot record (table full): dropped (table-full)',
    config: { flows: { ...FLOWS, capacity: 1 } },
    before: [tcp4({ flags: TcpFlag.SYN, sourcePort: 1 })],
    active: SELF,
    frame: tcp4(SYN),
    code: VerdictCode.DROP,
    outcome: Outcome.TABLE_FULL,
    flows: 1,
  },
  {
    description: 'UDP, first datagram on the active node: delivered, flow recorded',
    active: SELF,
    frame: udp4(),
    code: VerdictCode.DELIVER,
    outcome: Outcome.DELIVERED_NEW,
    flows: 1,
    state: FlowState.OPEN,
  },
  {
    description: 'UDP, first datagram on a passive node: not-owner',
    active: 2,
    frame: udp4(),
    code: VerdictCode.DROP,
    outcome: Outcome.NOT_OWNER,
    flows: 0,
  },
  {
    description: 'UDP, a held flow after turning passive: delivered (sticky)',
    before: [udp4()],
    active: 2,
    frame: udp4(),
    code: VerdictCode.DELIVER,
    outcome: Outcome.DELIVERED_FLOW,
    flows: 1,
  },
  {
    description: 'UDP the owner cannot record: table-full',
    config: { flows: { ...FLOWS, capacity: 1 } },
    before: [udp4({ sourcePort: 1 })],
    active: SELF,
    frame: udp4(),
    code: VerdictCode.DROP,
    outcome: Outcome.TABLE_FULL,
    flows: 1,
  },
  {
    description: 'ICMP error quoting a held flow: delivered, even when passive',
    before: [tcp4(SYN)],
    active: 2,
    frame: icmp4Error(),
    code: VerdictCode.DELIVER,
    outcome: Outcome.DELIVERED_ICMP_ERROR,
    flows: 1,
  },
  {
    description: 'ICMP error quoting a flow not held: no-flow',
    active: SELF,
    frame: icmp4Error(),
    code: VerdictCode.DROP,
    outcome: Outcome.NO_FLOW,
  },
  {
    description: 'ICMP error quoting a packet the VIP did not send: not-for-vip',
    before: [tcp4(SYN)],
    active: SELF,
    frame: icmp4Error({}, VIP2),
    code: VerdictCode.DROP,
    outcome: Outcome.NOT_FOR_VIP,
  },
  {
    description: 'ICMP error quoting a port the VIP does not serve: port-not-served',
    active: SELF,
    frame: icmp4Error({ destinationPort: 443 }),
    code: VerdictCode.DROP,
    outcome: Outcome.PORT_NOT_SERVED,
  },
  {
    description: 'ICMP error whose quote is unreadable: malformed',
    active: SELF,
    frame: icmp4ErrorShortQuote(),
    code: VerdictCode.DROP,
    outcome: Outcome.MALFORMED,
  },
  {
    description: 'ICMPv6 packet-too-big quoting a held IPv6 flow: delivered',
    before: [tcp6(SYN)],
    active: 2,
    frame: icmp6Error(),
    code: VerdictCode.DELIVER,
    outcome: Outcome.DELIVERED_ICMP_ERROR,
  },
  {
    description: 'IPv6 SYN on the active node: delivered',
    active: SELF,
    frame: tcp6(SYN),
    code: VerdictCode.DELIVER,
    outcome: Outcome.DELIVERED_NEW,
    flows: 1,
  },
  {
    description: 'IPv6 ACK of a held flow after turning passive: delivered',
    before: [tcp6(SYN)],
    active: 3,
    frame: tcp6(ACK),
    code: VerdictCode.DELIVER,
    outcome: Outcome.DELIVERED_FLOW,
  },
  {
    description: 'ICMP echo to the VIP on its owner: delivered (one node answers a ping)',
    active: SELF,
    frame: echo4(),
    code: VerdictCode.DELIVER,
    outcome: Outcome.DELIVERED_ECHO,
    flows: 0,
  },
  {
    description: 'ICMP echo to the VIP on another node: not-owner',
    active: 2,
    frame: echo4(),
    code: VerdictCode.DROP,
    outcome: Outcome.NOT_OWNER,
  },
  {
    description: 'ICMPv6 echo to the IPv6 VIP on its owner: delivered',
    active: SELF,
    frame: echo6(),
    code: VerdictCode.DELIVER,
    outcome: Outcome.DELIVERED_ECHO,
  },
  {
    description: 'a protocol without ports (GRE) to the VIP: unsupported',
    active: SELF,
    frame: gre4(),
    code: VerdictCode.DROP,
    outcome: Outcome.UNSUPPORTED,
  },
  {
    description: 'non-first IPv4 fragment: fragment',
    active: SELF,
    frame: fragment4(),
    code: VerdictCode.DROP,
    outcome: Outcome.FRAGMENT,
  },
  {
    description: 'first IPv4 fragment (it has ports, the rest will not): fragment',
    active: SELF,
    frame: firstFragment4(),
    code: VerdictCode.DROP,
    outcome: Outcome.FRAGMENT,
    flows: 0,
  },
  {
    description: 'non-first IPv6 fragment: fragment',
    active: SELF,
    frame: tcp6(SYN, {}, {}, { offset: 8 }),
    code: VerdictCode.DROP,
    outcome: Outcome.FRAGMENT,
  },
  {
    description: 'our own frame seen again (Ethernet source = real MAC): own-echo',
    active: SELF,
    frame: tcp4(SYN, {}, { source: NODE_MAC }),
    code: VerdictCode.DROP,
    outcome: Outcome.OWN_ECHO,
    flows: 0,
  },
  {
    description: 'our own ARP reply seen again: own-echo, not control',
    active: SELF,
    frame: arpRequest(VIP, { source: NODE_MAC }),
    code: VerdictCode.DROP,
    outcome: Outcome.OWN_ECHO,
  },
  {
    description: 'a frame from the vMAC: vmac-source',
    active: SELF,
    frame: tcp4(SYN, {}, { source: VMAC }),
    code: VerdictCode.DROP,
    outcome: Outcome.VMAC_SOURCE,
    flows: 0,
  },
  {
    description: 'to an address that is no VIP: not-for-vip',
    active: SELF,
    frame: tcp4(SYN, { destination: NOT_A_VIP }),
    code: VerdictCode.DROP,
    outcome: Outcome.NOT_FOR_VIP,
    flows: 0,
  },
  {
    description: 'to the VIP but to another node’s real MAC: not-to-vmac (that kernel gets it directly)',
    active: SELF,
    frame: tcp4(SYN, {}, { destination: OTHER_NODE_MAC }),
    code: VerdictCode.DROP,
    outcome: Outcome.NOT_TO_VMAC,
    flows: 0,
  },
  {
    description: 'to the VIP on a port it does not serve: port-not-served',
    active: SELF,
    frame: tcp4({ flags: TcpFlag.SYN, destinationPort: 443 }),
    code: VerdictCode.DROP,
    outcome: Outcome.PORT_NOT_SERVED,
    flows: 0,
  },
  {
    description: 'a VIP without a ports list serves every port',
    vip: { ports: [] },
    active: SELF,
    frame: tcp4({ flags: TcpFlag.SYN, destinationPort: 443 }),
    code: VerdictCode.DELIVER,
    outcome: Outcome.DELIVERED_NEW,
  },
  {
    description: 'ARP request for the VIP: control-arp',
    active: 2,
    frame: arpRequest(),
    code: VerdictCode.CONTROL_ARP,
    outcome: Outcome.CONTROL_ARP,
  },
  {
    description: 'ARP sent from the vMAC still goes to the responder (it raises the alarm)',
    active: 2,
    frame: arpRequest(VIP, { source: VMAC }),
    code: VerdictCode.CONTROL_ARP,
    outcome: Outcome.CONTROL_ARP,
  },
  {
    description: 'IPv6 neighbor solicitation: control-arp',
    active: SELF,
    frame: neighborSolicitation(),
    code: VerdictCode.CONTROL_ARP,
    outcome: Outcome.CONTROL_ARP,
  },
  {
    description: 'heartbeat (EtherType 0x88B5): control-heartbeat',
    active: SELF,
    frame: heartbeatFrame(),
    code: VerdictCode.CONTROL_HEARTBEAT,
    outcome: Outcome.CONTROL_HEARTBEAT,
  },
  {
    description: 'another EtherType (LLDP): unsupported',
    active: SELF,
    frame: otherEtherType(),
    code: VerdictCode.DROP,
    outcome: Outcome.UNSUPPORTED,
  },
  {
    description: 'a runt frame: malformed',
    active: SELF,
    frame: new Uint8Array(10),
    code: VerdictCode.DROP,
    outcome: Outcome.MALFORMED,
  },
  {
    description: 'IPv4 with version 5: malformed',
    active: SELF,
    frame: frame(EtherType.IPv4, new Uint8Array(40).fill(0x55)),
    code: VerdictCode.DROP,
    outcome: Outcome.MALFORMED,
  },
  {
    description: 'a TCP header cut short: malformed',
    active: SELF,
    frame: tcp4(SYN).subarray(0, 14 + 20 + 10),
    code: VerdictCode.DROP,
    outcome: Outcome.MALFORMED,
  },
  {
    description: 'ARP cut short: malformed',
    active: SELF,
    frame: arpRequest().subarray(0, 14 + 10),
    code: VerdictCode.DROP,
    outcome: Outcome.MALFORMED,
  },
  // --- stateless: the policy alone, no table
  {
    description: 'stateless: SYN on the owner: delivered, nothing recorded',
    vip: { nonSyn: 'stateless' },
    active: SELF,
    frame: tcp4(SYN),
    code: VerdictCode.DELIVER,
    outcome: Outcome.DELIVERED_NEW,
    flows: 0,
  },
  {
    description: 'stateless: ACK on the owner, never seen before: delivered',
    vip: { nonSyn: 'stateless' },
    active: SELF,
    frame: tcp4(ACK),
    code: VerdictCode.DELIVER,
    outcome: Outcome.DELIVERED_FLOW,
    flows: 0,
  },
  {
    description: 'stateless: ACK of a flow this node accepted, after ownership moved: dropped',
    vip: { nonSyn: 'stateless' },
    before: [tcp4(SYN)],
    active: 2,
    frame: tcp4(ACK),
    code: VerdictCode.DROP,
    outcome: Outcome.NOT_OWNER,
    flows: 0,
  },
  {
    description: 'stateless: UDP on the owner: delivered',
    vip: { nonSyn: 'stateless' },
    active: SELF,
    frame: udp4(),
    code: VerdictCode.DELIVER,
    outcome: Outcome.DELIVERED_FLOW,
    flows: 0,
  },
  {
    description: 'stateless: UDP on another node: not-owner',
    vip: { nonSyn: 'stateless' },
    active: 3,
    frame: udp4(),
    code: VerdictCode.DROP,
    outcome: Outcome.NOT_OWNER,
  },
  {
    description: 'stateless: ICMP error on the owner: delivered',
    vip: { nonSyn: 'stateless' },
    active: SELF,
    frame: icmp4Error(),
    code: VerdictCode.DELIVER,
    outcome: Outcome.DELIVERED_ICMP_ERROR,
  },
  {
    description: 'stateless: ICMP error on another node: not-owner',
    vip: { nonSyn: 'stateless' },
    active: 2,
    frame: icmp4Error(),
    code: VerdictCode.DROP,
    outcome: Outcome.NOT_OWNER,
  },
];

describe('Dataplane behaviour table', () => {
  for (const row of rows) {
    it(row.description, () => {
      const { dp, activate } = makeDataplane(row.vip, row.config);
      activate(row.beforeActive ?? SELF, 1);
      for (const f of row.before ?? []) dp.handleFrame(f, 0);
      activate(row.active, 2);
      const before = Array.from(dp.counts);
      const v = dp.handleFrame(row.frame, 100);
      expect({ code: v.code, outcome: OUTCOME_NAMES[v.outcome] }).toEqual({
        code: row.code,
        outcome: OUTCOME_NAMES[row.outcome],
      });
      // Exactly one counter moved, by one: the outcome's.
      const delta = Array.from(dp.counts, (c, i) => c - before[i]!);
      expect(delta).toEqual(Array.from({ length: OUTCOME_COUNT }, (_, i) => (i === row.outcome ? 1 : 0)));
      if (row.flows !== undefined) expect(dp.flows.size).toBe(row.flows);
      if (row.state !== undefined) {
        expect(v.flow).toBeGreaterThanOrEqual(0);
        expect(dp.flows.state(v.flow)).toBe(row.state);
      }
      if (row.code === VerdictCode.DELIVER || row.outcome === Outcome.NOT_OWNER)
        expect(v.vip).toBeGreaterThanOrEqual(0);
    });
  }
});

/** The members in ascending order; node `index` is `MEMBERS[index]`. */
function formulaOwner(policy: 'additive3' | 'additive5', key: FlowKey): number {
  return MEMBERS[policy === 'additive3' ? additive3(key, MEMBERS.length) : additive5(key, MEMBERS.length)]!;
}

/** Independent of the implementation: the sum as the claim states it, with exact integers. */
function claimOwner3(sourceIp: number, destinationIp: number, destinationPort: number): number {
  return MEMBERS[Number((BigInt(sourceIp) + BigInt(destinationIp) + BigInt(destinationPort)) % 3n)]!;
}

const nodeCache = new Map<OwnershipPolicy, Dataplane[]>();

/** One data plane per member, all with the same snapshot (built once per policy). */
function nodesFor(policy: OwnershipPolicy): Dataplane[] {
  let nodes = nodeCache.get(policy);
  if (nodes === undefined) {
    const vips = vipsFor({ policy, ports: [] });
    nodes = MEMBERS.map((self) => {
      const dp = new Dataplane({
        mac: NODE_MAC,
        vips,
        flows: { ...FLOWS, capacity: 4096 },
        hashKey: HASH_KEY,
      });
      dp.publish(buildSnapshot({ vips, selfId: self, members: [3, 1, 2] /* sorted by the builder */ }));
      return dp;
    });
    nodeCache.set(policy, nodes);
  }
  return nodes;
}

/** Which members deliver the frame? */
function deliverers(policy: OwnershipPolicy, frames: (port: number) => Uint8Array, port: number) {
  const f = frames(port);
  return nodesFor(policy).flatMap((dp, i) =>
    dp.handleFrame(f, 0).code === VerdictCode.DELIVER ? [MEMBERS[i]!] : [],
  );
}

describe('placement of new flows by policy', () => {
  it('additive3: exactly one node takes each SYN, the ((SRC_IP + DST_IP + DST_PORT) % N)-th', () => {
    const seen = new Set<number>();
    for (const dstPort of [80, 81, 82, 8080, 65535]) {
      for (const srcPort of [1024, 40000, 65535]) {
        const owners = deliverers(
          'additive3',
          (p) => tcp4({ flags: TcpFlag.SYN, sourcePort: srcPort, destinationPort: p }),
          dstPort,
        );
        expect(owners).toEqual([claimOwner3(CLIENT, VIP, dstPort)]);
        seen.add(owners[0]!);
      }
    }
    expect(seen.size).toBe(3); // the source port does not matter, the destination port does
  });

  it('additive5: the source port and protocol count too', () => {
    for (const srcPort of [40000, 40001, 40002, 40003]) {
      const key = FlowKey.ipv4(CLIENT, VIP, srcPort, 80, Protocol.TCP);
      const expected = MEMBERS[Number((BigInt(CLIENT) + BigInt(srcPort) + BigInt(VIP) + 80n + 6n) % 3n)]!;
      expect(formulaOwner('additive5', key)).toBe(expected);
      expect(deliverers('additive5', () => tcp4({ flags: TcpFlag.SYN, sourcePort: srcPort }), 80)).toEqual([
        expected,
      ]);
      const udpKey = FlowKey.ipv4(CLIENT, VIP, srcPort, 53, Protocol.UDP);
      expect(deliverers('additive5', () => udp4({ sourcePort: srcPort, destinationPort: 53 }), 53)).toEqual([
        formulaOwner('additive5', udpKey),
      ]);
    }
  });

  it('additive3 over IPv6: each address counts as the sum of its four 32-bit words', () => {
    const words = (a: bigint) => [96n, 64n, 32n, 0n].reduce((s, sh) => s + ((a >> sh) & 0xffff_ffffn), 0n);
    for (const port of [80, 81, 82]) {
      const expected = MEMBERS[Number((words(CLIENT6) + words(VIP6) + BigInt(port)) % 3n)]!;
      expect(deliverers('additive3', (p) => tcp6({ flags: TcpFlag.SYN, destinationPort: p }), port)).toEqual([
        expected,
      ]);
    }
  });

  it('rendezvous: the hrw primary of the flow’s keyed hash, and flows spread over every node', () => {
    const hasher = new FlowHasher({ key: HASH_KEY });
    const count = new Map<number, number>();
    for (let srcPort = 30000; srcPort < 30300; srcPort++) {
      const key = FlowKey.ipv4(CLIENT, VIP, srcPort, 80, Protocol.TCP);
      // hrw's BucketTable: row = low 16 bits of the key hash, ranked as the key hash `row`.
      const expected = primaryBackup(
        hasher.hash(key) & 0xffff,
        MEMBERS.map((id) => ({ id })),
      ).primary;
      const owners = deliverers('rendezvous', () => tcp4({ flags: TcpFlag.SYN, sourcePort: srcPort }), 80);
      expect(owners).toEqual([expected]);
      count.set(expected, (count.get(expected) ?? 0) + 1);
    }
    expect([...count.keys()].sort()).toEqual(MEMBERS);
    for (const n of count.values()) expect(n).toBeGreaterThan(60); // 100 expected each
  });

  it('a node that is not a live member owns nothing under the hashed policies', () => {
    for (const policy of ['additive3', 'additive5', 'rendezvous'] as const) {
      const vips = vipsFor({ policy });
      const dp = new Dataplane({ mac: NODE_MAC, vips, flows: FLOWS, hashKey: HASH_KEY });
      dp.publish(buildSnapshot({ vips, selfId: 9, members: MEMBERS }));
      for (let p = 1; p < 20; p++)
        expect(dp.handleFrame(tcp4({ flags: TcpFlag.SYN, sourcePort: p }), 0).outcome).toBe(
          Outcome.NOT_OWNER,
        );
    }
  });

  it('two VIPs: a node can be active for one and passive for the other', () => {
    const vips: VipConfig[] = [{ address: VIP }, { address: VIP2 }];
    const dp = new Dataplane({ mac: NODE_MAC, vips, flows: FLOWS, hashKey: HASH_KEY });
    dp.publish(
      buildSnapshot({
        vips,
        selfId: 1,
        members: [1, 2],
        activeByVip: new Map([
          [VIP, 1],
          [VIP2, 2],
        ]),
      }),
    );
    expect(dp.handleFrame(tcp4(SYN), 0).code).toBe(VerdictCode.DELIVER);
    expect(dp.verdict.vip).toBe(0);
    expect(dp.handleFrame(tcp4(SYN, { destination: VIP2 }), 0).outcome).toBe(Outcome.NOT_OWNER);
    expect(dp.verdict.vip).toBe(1);
  });

  it('before any snapshot is published nobody owns anything, and held flows are still served', () => {
    const dp = new Dataplane({ mac: NODE_MAC, vips: vipsFor(), flows: FLOWS, hashKey: HASH_KEY });
    expect(dp.snapshot.selfIndex).toBe(-1);
    expect(dp.handleFrame(tcp4(SYN), 0).outcome).toBe(Outcome.NOT_OWNER);
    expect(dp.adopt(FlowKey.ipv4(CLIENT, VIP, 40000, 80, Protocol.TCP), 0)).toBe(true);
    expect(dp.handleFrame(tcp4(ACK), 1).code).toBe(VerdictCode.DELIVER);
  });
});

describe('flow table effects', () => {
  it('flows expire after the idle timeout, closing ones after the closing timeout', () => {
    const { dp, activate } = makeDataplane();
    activate(SELF);
    dp.handleFrame(tcp4({ flags: TcpFlag.SYN, sourcePort: 1 }), 0);
    dp.handleFrame(tcp4({ flags: TcpFlag.SYN, sourcePort: 2 }), 0);
    dp.handleFrame(tcp4({ flags: TcpFlag.FIN | TcpFlag.ACK, sourcePort: 2 }), 500);
    expect(dp.expire(1_499)).toBe(0);
    expect(dp.expire(1_500)).toBe(1); // the closing flow, 1 s after its last packet
    expect(dp.handleFrame(tcp4({ flags: TcpFlag.ACK, sourcePort: 2 }), 1_600).outcome).toBe(Outcome.NO_FLOW);
    dp.handleFrame(tcp4({ flags: TcpFlag.ACK, sourcePort: 1 }), 5_000); // keeps flow 1 alive
    expect(dp.expire(14_999, 1024)).toBe(0);
    expect(dp.expire(15_000)).toBe(1);
    expect(dp.flows.counters.expired).toBe(2);
  });

  it('an ICMP error does not keep a flow alive', () => {
    const { dp, activate } = makeDataplane();
    activate(SELF);
    const slot = dp.handleFrame(tcp4(SYN), 0).flow;
    expect(dp.handleFrame(icmp4Error(), 9_000).outcome).toBe(Outcome.DELIVERED_ICMP_ERROR);
    expect(dp.flows.lastSeen(slot)).toBe(0);
  });

  it('adopt records kernel sockets on sticky VIPs only, and refuses when full', () => {
    const vips: VipConfig[] = [{ address: VIP }, { address: VIP2, nonSyn: 'stateless' }];
    const dp = new Dataplane({ mac: NODE_MAC, vips, flows: { ...FLOWS, capacity: 1 }, hashKey: HASH_KEY });
    expect(dp.adopt(FlowKey.ipv4(CLIENT, VIP2, 1, 80, Protocol.TCP), 0)).toBe(false);
    expect(dp.adopt(FlowKey.ipv4(CLIENT, NOT_A_VIP, 1, 80, Protocol.TCP), 0)).toBe(false);
    expect(dp.adopt(FlowKey.ipv4(CLIENT, VIP, 1, 80, Protocol.TCP), 0)).toBe(true);
    expect(dp.adopt(FlowKey.ipv4(CLIENT, VIP, 2, 80, Protocol.TCP), 0)).toBe(false);
    expect(dp.flows.counters.refused).toBe(1);
  });
});

describe('counters', () => {
  it('counters() names every outcome and frames is their sum', () => {
    const { dp, activate } = makeDataplane();
    activate(SELF);
    dp.handleFrame(tcp4(SYN), 0);
    dp.handleFrame(arpRequest(), 0);
    dp.handleFrame(new Uint8Array(3), 0);
    const c = dp.counters();
    expect(Object.keys(c).sort()).toEqual([...OUTCOME_NAMES, 'frames'].sort());
    expect(c).toMatchObject({ frames: 3, deliveredNew: 1, controlArp: 1, malformed: 1, notOwner: 0 });
    expect(dp.frames).toBe(3);
  });

  it('handleFrame reads a frame inside a larger buffer (a receive ring)', () => {
    const { dp, activate } = makeDataplane();
    activate(SELF);
    const f = tcp4(SYN);
    const ring = new Uint8Array(4096).fill(0xa5);
    ring.set(f, 1000);
    expect(dp.handleFrame(ring, 0, 1000, f.length).outcome).toBe(Outcome.DELIVERED_NEW);
    expect(dp.handleFrame(ring, 0, 1000, 10).outcome).toBe(Outcome.MALFORMED);
    expect(() => dp.handleFrame(ring, 0, 4000, 200)).toThrow(InvalidArgumentError);
  });
});

describe('configuration and snapshots are checked', () => {
  const base: DataplaneConfig = { mac: NODE_MAC, vips: [{ address: VIP }], flows: FLOWS, hashKey: HASH_KEY };
  it.each([
    ['mac', { mac: -1 }],
    ['hashKey', { hashKey: new Uint8Array(8) }],
    ['rst', { rst: 'drop' as never }],
    ['vips', { vips: 'x' as never }],
    ['address', { vips: [{ address: 2 ** 32 }] }],
    ['address', { vips: [{ address: -1n }] }],
    ['twice', { vips: [{ address: VIP }, { address: VIP }] }],
    ['policy', { vips: [{ address: VIP, policy: 'maglev' as never }] }],
    ['nonSyn', { vips: [{ address: VIP, nonSyn: 'sometimes' as never }] }],
    ['vmac', { vips: [{ address: VIP, vmac: 2 ** 48 }] }],
    ['ports', { vips: [{ address: VIP, ports: [70000] }] }],
    ['ports', { vips: [{ address: VIP, ports: 80 as never }] }],
    ['capacity', { flows: { ...FLOWS, capacity: 0 } }],
  ] as const)('refuses a bad %s', (_, patch) => {
    expect(() => new Dataplane({ ...base, ...patch } as DataplaneConfig)).toThrow(InvalidArgumentError);
  });

  it('refuses a non-object config', () => {
    expect(() => new Dataplane(null as never)).toThrow(InvalidArgumentError);
  });

  it('buildSnapshot sorts members, finds self, maps the active nodes, and refuses bad input', () => {
    const vips = [{ address: VIP }, { address: VIP6, policy: 'rendezvous' as const }];
    const s = buildSnapshot({
      vips,
      selfId: 2,
      members: [5, 2, 9],
      activeByVip: new Map([[VIP6, 9]]),
      rendezvous: { rows: 16, seed: 3 },
    });
    expect(Array.from(s.members)).toEqual([2, 5, 9]);
    expect(s.selfIndex).toBe(0);
    expect(Array.from(s.active)).toEqual([NO_ACTIVE, 9]);
    expect(s.primaries.length).toBe(16);
    expect(Object.isFrozen(s)).toBe(true);
    expect(buildSnapshot({ vips, selfId: 1, members: [] }).primaries.length).toBe(0);
    expect(buildSnapshot({ vips: [{ address: VIP }], selfId: 1, members: [1] }).primaries.length).toBe(0);
    const bad = [
      { vips, selfId: -1, members: [] },
      { vips, selfId: 1, members: [1, 1] },
      { vips, selfId: 1, members: [1.5] },
      { vips, selfId: 1, members: 'x' as never },
      { vips, selfId: 1, members: [], version: -1 },
      { vips: 'x' as never, selfId: 1, members: [] },
      { vips: [{ address: 'x' as never }], selfId: 1, members: [] },
      { vips, selfId: 1, members: [], activeByVip: new Map([[VIP2, 1]]) },
      { vips, selfId: 1, members: [], activeByVip: new Map([[VIP, -3]]) },
    ];
    for (const input of bad) expect(() => buildSnapshot(input)).toThrow(InvalidArgumentError);
  });

  it('publish refuses a snapshot built for other VIPs or broken by hand', () => {
    const vips: VipConfig[] = [{ address: VIP, policy: 'rendezvous' }];
    const dp = new Dataplane({ ...base, vips });
    const good = buildSnapshot({ vips, selfId: 1, members: [1, 2], rendezvous: { rows: 64 } });
    dp.publish(good);
    expect(dp.snapshot).toBe(good);
    const bad = [
      null,
      buildSnapshot({ vips: [...vips, { address: VIP2 }], selfId: 1, members: [1] }),
      { ...good, active: new Float64Array(2) },
      { ...good, active: [0] },
      { ...good, members: [1, 2] },
      { ...good, primaries: new Uint32Array(3) },
      { ...good, primaries: new Uint32Array(0) },
      { ...good, selfIndex: 1 },
      { ...good, selfIndex: 7 },
    ];
    for (const s of bad) expect(() => dp.publish(s as never)).toThrow(InvalidArgumentError);
    expect(dp.snapshot).toBe(good);
  });

  it('vipIndex finds a VIP by address, IPv4 or IPv6', () => {
    const dp = new Dataplane({ ...base, vips: vipsFor() });
    expect(dp.vipIndex(VIP)).toBe(0);
    expect(dp.vipIndex(VIP6)).toBe(1);
    expect(dp.vipIndex(BigInt(VIP))).toBe(-1); // ::10.77.0.50 is not the IPv4 VIP
    expect(dp.vipIndex(NOT_A_VIP)).toBe(-1);
    expect(() => dp.vipIndex(-1)).toThrow(InvalidArgumentError);
  });

  it('many VIPs: each is found, other addresses are not', () => {
    const vips: VipConfig[] = Array.from({ length: 500 }, (_, i) => ({ address: 0x0a00_0000 + i * 7 }));
    const dp = new Dataplane({ ...base, vips });
    for (let i = 0; i < 500; i++) {
      expect(dp.vipIndex(0x0a00_0000 + i * 7)).toBe(i);
      expect(dp.vipIndex(0x0a00_0001 + i * 7)).toBe(-1);
    }
  });
});
