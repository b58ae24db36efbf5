/**
 * A sans-I/O ARP (RFC 826) and IPv6 Neighbor Discovery (RFC 4861) responder for virtual IPs:
 * answers for each VIP with its virtual MAC while every frame leaves from the node's real MAC,
 * announces a VIP when the node becomes its owner (RFC 5227 §2.3), detects address conflicts
 * (RFC 5227 §2.4), keeps a bounded, aged neighbor table and resolves next hops.
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict';
 * import { ArpOperation, arp, EtherType, ethernet, Ipv4Address, MacAddress } from '@switchyard/wire';
 * import { ArpResponder, Verdict } from '@switchyard/arp';
 *
 * const mac = MacAddress.parse('02:00:00:00:00:0a');
 * const vmac = MacAddress.parse('02:53:59:00:00:01');
 * const vip = Ipv4Address.parse('10.77.0.50');
 * const responder = new ArpResponder({ mac, ipv4: Ipv4Address.parse('10.77.0.10'), vips: [{ address: vip, vmac }] });
 * responder.setActive(vip, true, 0); // the owner announces the VIP: gratuitous ARP from the real MAC
 * while (responder.pollTransmit() !== undefined);
 *
 * const client = MacAddress.parse('02:00:00:00:00:99');
 * const request = ethernet.encode({ destination: MacAddress.BROADCAST, source: client, tags: [], etherType: EtherType.ARP,
 *   payload: arp.encode({ kind: 'ethernet-ipv4', operation: ArpOperation.REQUEST, senderHardwareAddress: client,
 *     senderProtocolAddress: Ipv4Address.parse('10.77.0.1'), targetHardwareAddress: 0, targetProtocolAddress: vip }) });
 * assert.equal(responder.handleFrame(request, 1_000), Verdict.ANSWERED);
 * const reply = ethernet.decode(responder.pollTransmit()!).value;
 * assert.equal(reply.source, mac); // Ethernet source: the real MAC
 * const answer = arp.decode(reply.payload).value;
 * assert.ok(answer.kind === 'ethernet-ipv4' && answer.senderHardwareAddress === vmac); // ARP: the VIP is at the vMAC
 * ```
 *
 * @packageDocumentation
 */
export {
  ALL_NODES,
  formatIp,
  type IpAddress,
  ipv6MulticastMac,
  isIpv6,
  isSolicitedNode,
  parseIp,
} from './addresses.js';
export type {
  ConflictEvent,
  ResolutionFailedEvent,
  ResolvedEvent,
  ResponderEvent,
  VmacSourceEvent,
} from './events.js';
export {
  type ArpFields,
  FrameBuilder,
  NDP_HOP_LIMIT,
  type NeighborAdvertisementFields,
  type NeighborSolicitationFields,
  TransmitGuard,
} from './frames.js';
export {
  type NeighborEntry,
  NeighborTable,
  type NeighborTableCounters,
  type NeighborTableOptions,
  type NeighborUpdate,
} from './neighbor-table.js';
export {
  AnnounceOperation,
  type AnnounceOptions,
  AnswerPolicy,
  type ArpResponderOptions,
  type ResolveOptions,
  type VipOptions,
} from './options.js';
export {
  ArpResponder,
  type ArpResponderCounters,
  type ResolveResult,
  Verdict,
  type VipStatus,
} from './responder.js';
