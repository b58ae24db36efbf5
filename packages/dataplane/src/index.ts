/**
 * The sans-I/O data plane of a Switchyard node: frame in, verdict out. It classifies every
 * frame a node's packet socket sees (ARP/NDP and heartbeats to the control plane; traffic to a
 * VIP delivered to the local kernel or dropped with a counted reason), places new flows with
 * the VIP's ownership policy (active-passive, additive3/additive5, rendezvous) over an
 * immutable snapshot the control plane publishes, and serves established flows from a
 * bounded, allocation-free local flow table (`sticky`) or by the policy alone (`stateless`).
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict';
 * import { EtherType, ethernet, IpProtocol, Ipv4Address, ipv4, MacAddress, TcpFlag, tcp } from '@switchyard/wire';
 * import { buildSnapshot, Dataplane, Outcome, VerdictCode } from '@switchyard/dataplane';
 *
 * const vip = Ipv4Address.parse('10.77.0.50');
 * const vips = [{ address: vip, policy: 'active-passive', ports: [80] }] as const;
 * const dp = new Dataplane({
 *   mac: MacAddress.parse('02:00:00:00:00:01'),
 *   vips,
 *   flows: { capacity: 1024, idleTimeoutMs: 300_000, closingTimeoutMs: 30_000 },
 *   hashKey: new Uint8Array(16).fill(7), // the cluster key, from configuration
 * });
 * // The control plane: node 1 is the VIP's active node.
 * dp.publish(buildSnapshot({ vips, selfId: 1, members: [1, 2], activeByVip: new Map([[vip, 1]]) }));
 *
 * const client = Ipv4Address.parse('10.77.0.1');
 * const segment = (flags: number) =>
 *   ethernet.encode({ destination: MacAddress.parse('02:53:59:00:00:01'), source: MacAddress.parse('02:00:00:00:00:99'),
 *     tags: [], etherType: EtherType.IPv4,
 *     payload: ipv4.encode({ dscp: 0, ecn: 0, identification: 0, dontFragment: true, moreFragments: false, fragmentOffset: 0,
 *       ttl: 64, protocol: IpProtocol.TCP, source: client, destination: vip, options: new Uint8Array(0),
 *       payload: tcp.encode({ sourcePort: 40000, destinationPort: 80, seq: 1, ack: 1, flags, window: 1024, urgentPointer: 0,
 *         options: [], payload: new Uint8Array(0) }, undefined, 0, { pseudo: { version: 4, source: client, destination: vip } }) }) });
 *
 * assert.equal(dp.handleFrame(segment(TcpFlag.SYN), 0).code, VerdictCode.DELIVER); // active: the SYN is ours
 * assert.equal(dp.flows.size, 1);
 * // Node 2 becomes active: new SYNs are its, but the established flow stays here (sticky).
 * dp.publish(buildSnapshot({ vips, selfId: 1, members: [1, 2], activeByVip: new Map([[vip, 2]]), version: 1 }));
 * assert.equal(dp.handleFrame(segment(TcpFlag.ACK), 5).code, VerdictCode.DELIVER);
 * const verdict = dp.handleFrame(segment(TcpFlag.SYN), 6); // another SYN on the same 4-tuple: not ours any more
 * assert.equal(verdict.outcome, Outcome.NOT_OWNER);
 * assert.equal(dp.counters().frames, 3);
 * ```
 *
 * @packageDocumentation
 */
export type { DataplaneConfig, VipConfig } from './config.js';
export { DATAPLANE_MAX_VIPS, NonSynMode, OwnershipPolicy, RstMode } from './config.js';
export { Dataplane } from './dataplane.js';
export type { FlowTableCounters, FlowTableOptions } from './flow-table.js';
export { FLOW_TABLE_MAX_CAPACITY, FlowState, FlowTable } from './flow-table.js';
export type { OwnershipSnapshot, SnapshotInput } from './snapshot.js';
export { buildSnapshot, NO_ACTIVE } from './snapshot.js';
export type { DataplaneCounters, OutcomeName } from './verdict.js';
export { OUTCOME_COUNT, OUTCOME_NAMES, Outcome, Verdict, VerdictCode } from './verdict.js';
