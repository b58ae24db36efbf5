/** What the responder reports besides frames: conflicts, a vMAC seen as a source, resolutions. */
import type { MacAddress } from '@switchyard/wire';
import type { IpAddress } from './addresses.js';

/**
 * Another station claims one of our addresses (RFC 5227 §2.4; RFC 4861 §7.2.5 for IPv6): an
 * ARP packet whose sender IP is ours with a sender MAC that is not ours, or a neighbor
 * discovery message that binds our address to a foreign link-layer address.
 */
export interface ConflictEvent {
  type: 'conflict';
  /** Virtual time (ns) the claim arrived. */
  at: number;
  address: IpAddress;
  /** `vip`: a configured VIP; `real`: the node's real IPv4 or IPv6 address. */
  role: 'vip' | 'real';
  /** The link-layer address the claim binds our address to. */
  claimedBy: MacAddress;
  /** Ethernet source of the claiming frame. */
  ethernetSource: MacAddress;
  /** The message that made the claim. */
  via: 'arp-request' | 'arp-reply' | 'neighbor-solicitation' | 'neighbor-advertisement';
  /** An announcement for the VIP was queued in answer (RFC 5227 §2.4 (b)). */
  defended: boolean;
}

/**
 * A frame arrived whose Ethernet source is one of our virtual MACs. The switch has learned
 * the vMAC from it and stops flooding the cluster's traffic (FIELD-NOTES: "any frame ever
 * sent from the vMAC makes the switch learn it").
 */
export interface VmacSourceEvent {
  type: 'vmac-source';
  at: number;
  vmac: MacAddress;
}

/** A next hop asked for with `resolve` answered. */
export interface ResolvedEvent {
  type: 'resolved';
  at: number;
  address: IpAddress;
  mac: MacAddress;
}

/** A next hop asked for with `resolve` did not answer `attempts` requests. */
export interface ResolutionFailedEvent {
  type: 'resolution-failed';
  at: number;
  address: IpAddress;
  attempts: number;
}

export type ResponderEvent = ConflictEvent | VmacSourceEvent | ResolvedEvent | ResolutionFailedEvent;
