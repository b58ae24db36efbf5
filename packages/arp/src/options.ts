/** Configuration of an `ArpResponder`: what it may answer for, and how it announces and resolves. */
import type { Ipv4Address, Ipv6Address, MacAddress, VlanTag } from '@switchyard/wire';
import type { IpAddress } from './addresses.js';
import type { NeighborTableOptions } from './neighbor-table.js';

/** When a node answers for a VIP. */
export const AnswerPolicy = {
  /**
   * Only while this node is the VIP's active owner (the default). In a flood cluster every
   * node would give the same answer (the shared vMAC), so one answer is enough: N nodes
   * answering would put N identical replies on the wire for every request.
   */
  ACTIVE: 'active',
  /** Whenever asked, active or passive (every node of the cluster replies with the vMAC). */
  ALWAYS: 'always',
} as const;
export type AnswerPolicy = (typeof AnswerPolicy)[keyof typeof AnswerPolicy];

/** Which ARP operation carries a gratuitous announcement. */
export const AnnounceOperation = {
  /** RFC 5227 §3: an ARP request with sender IP = target IP and target MAC zero (the default). */
  REQUEST: 'request',
  /** RFC 5944 §4.6: an ARP reply with sender IP = target IP and target MAC = sender MAC. */
  REPLY: 'reply',
} as const;
export type AnnounceOperation = (typeof AnnounceOperation)[keyof typeof AnnounceOperation];

/** One virtual IP: the address and the virtual MAC that answers for it. */
export interface VipOptions {
  /** IPv4 (number) or IPv6 (bigint) address. */
  address: IpAddress;
  /** Virtual MAC put in ARP sender hardware addresses and NDP target link-layer options; never an Ethernet source. */
  vmac: MacAddress;
  /** Initial role (default passive). Setting it here announces nothing; `setActive(address, true, now)` does. */
  active?: boolean;
  /** Overrides the responder's `answer` policy for this VIP. */
  answer?: AnswerPolicy;
}

/** Gratuitous ARP / unsolicited NA bursts when a node becomes a VIP's active owner. */
export interface AnnounceOptions {
  /** Messages per burst (default 2, RFC 5227 §1.1 ANNOUNCE_NUM; 0 disables announcing). */
  count?: number;
  /** Spacing between them in ns (default 2 s, RFC 5227 §1.1 ANNOUNCE_INTERVAL). */
  intervalNs?: number;
  /** ARP operation of IPv4 announcements (default `request`). */
  operation?: AnnounceOperation;
}

/** Next-hop resolution (ARP requests and neighbor solicitations the node originates). */
export interface ResolveOptions {
  /** Resolutions in progress at once (default 64); more are refused and counted. */
  maxPending?: number;
  /** Requests sent before giving up (default 3, RFC 4861 §10 MAX_MULTICAST_SOLICIT). */
  maxAttempts?: number;
  /** Wait after the first request in ns (default 1 s, RFC 4861 §10 RETRANS_TIMER). */
  retransmitNs?: number;
  /** Factor applied to the wait after each request (default 1: constant, as RFC 4861 §7.2.2; RFC 7048 suggests 2). */
  backoff?: number;
  /** Upper bound of the wait in ns (default 60 s, RFC 7048 MAX_RETRANS_TIMER). */
  maxRetransmitNs?: number;
}

export interface ArpResponderOptions {
  /** The node's real MAC: the Ethernet source of everything the responder sends. */
  mac: MacAddress;
  /** The node's real IPv4 address (needed to resolve IPv4 next hops and to detect conflicts on it). */
  ipv4?: Ipv4Address;
  /** The node's real IPv6 address (needed to resolve IPv6 next hops and to detect conflicts on it). */
  ipv6?: Ipv6Address;
  vips?: readonly VipOptions[];
  /** Also answer ARP/NS for the real addresses with the real MAC (default false: the kernel does). */
  answerRealIp?: boolean;
  /** Default answer policy of the VIPs (default `active`). */
  answer?: AnswerPolicy;
  /** Override flag of the neighbor advertisements sent for VIPs and real addresses (default true; RFC 4861 §7.2.4). */
  override?: boolean;
  announce?: AnnounceOptions;
  /** Answer a foreign claim on an owned VIP with one announcement (default true; RFC 5227 §2.4 (b)). */
  defend?: boolean;
  /** No second defence within this many ns of the last conflict (default 10 s, RFC 5227 §1.1 DEFEND_INTERVAL). */
  defendIntervalNs?: number;
  neighbors?: NeighborTableOptions;
  resolve?: ResolveOptions;
  /** 802.1Q/802.1ad tags of the segment (default none); frames with other VLAN ids are not this responder's. */
  tags?: readonly VlanTag[];
  /** Verify ICMPv6 checksums of neighbor discovery messages (default true; RFC 4861 §7.1.1). */
  verifyChecksums?: boolean;
  /** Most VIPs configured at once (default 1024). */
  maxVips?: number;
  /** Most frames waiting for `pollTransmit` (default 1024); more are dropped and counted. */
  maxQueuedFrames?: number;
  /** Most events waiting for `pollEvent` (default 1024); more are dropped and counted. */
  maxQueuedEvents?: number;
}
