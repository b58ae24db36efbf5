/**
 * What the pipeline decided about one frame: an action for the node runtime (`VerdictCode`)
 * and the outcome that was counted (`Outcome`, one counter per value). One `Verdict` object
 * per `Dataplane`, overwritten by every call: nothing is allocated per packet.
 */

/** What the node runtime does with the frame. */
export const VerdictCode = {
  /** Write the frame into the local kernel (the TAP that holds the VIPs). */
  DELIVER: 0,
  /** ARP, or an IPv6 neighbor solicitation/advertisement: hand it to the ARP/NDP responder. */
  CONTROL_ARP: 1,
  /** A heartbeat (EtherType 0x88B5): hand it to the election. */
  CONTROL_HEARTBEAT: 2,
  /** Drop it; `Verdict.outcome` says why. */
  DROP: 3,
} as const;
export type VerdictCode = (typeof VerdictCode)[keyof typeof VerdictCode];

/**
 * Why a frame got its verdict. Every frame counts in exactly one outcome, so the counters
 * sum to the frames handled. Values index `Dataplane.counts`.
 */
export const Outcome = {
  /** DELIVER: a SYN (or a UDP flow's first datagram) this node owns; the flow was recorded. */
  DELIVERED_NEW: 0,
  /** DELIVER: a packet of a flow this node holds (sticky) or owns (stateless). */
  DELIVERED_FLOW: 1,
  /** DELIVER: an ICMP error quoting a flow this node holds (sticky) or owns (stateless). */
  DELIVERED_ICMP_ERROR: 2,
  /** DELIVER: an ICMP echo request to a VIP that this node owns by the policy (ports taken as 0). */
  DELIVERED_ECHO: 3,
  /** CONTROL_ARP. */
  CONTROL_ARP: 4,
  /** CONTROL_HEARTBEAT. */
  CONTROL_HEARTBEAT: 5,
  /** DROP: the frame did not decode, or an ICMP error's quote is unreadable. */
  MALFORMED: 6,
  /** DROP: Ethernet source is this node's real MAC (a packet socket also sees what the node sends). */
  OWN_ECHO: 7,
  /** DROP: Ethernet source is a virtual MAC: nobody may send from it (DESIGN.md A), so something is wrong. */
  VMAC_SOURCE: 8,
  /** DROP: not IP, ARP or a heartbeat, or an IP protocol the pipeline does not place (no ports). */
  UNSUPPORTED: 9,
  /** DROP: the IP destination is not a VIP (the kernel gets those through its own stack). */
  NOT_FOR_VIP: 10,
  /** DROP: to a VIP, but not to its virtual MAC (the node that MAC belongs to gets it directly). */
  NOT_TO_VMAC: 11,
  /** DROP: the VIP does not serve this destination port. */
  PORT_NOT_SERVED: 12,
  /** DROP: a new flow (SYN, first UDP datagram) or a stateless packet that another node owns. */
  NOT_OWNER: 13,
  /** DROP: sticky, and a non-SYN TCP segment (or quoted ICMP error) of a flow this node does not hold. */
  NO_FLOW: 14,
  /** DROP: this node owns the new flow but its flow table is full. */
  TABLE_FULL: 15,
  /** DROP: an IP fragment (see the README for why and what placing them would take). */
  FRAGMENT: 16,
} as const;
export type Outcome = (typeof Outcome)[keyof typeof Outcome];

/** Number of outcomes (the length of `Dataplane.counts`). */
export const OUTCOME_COUNT = 17;

/** Counter names, indexed by `Outcome`: the keys of `Dataplane.counters()`. */
export const OUTCOME_NAMES = [
  'deliveredNew',
  'deliveredFlow',
  'deliveredIcmpError',
  'deliveredEcho',
  'controlArp',
  'controlHeartbeat',
  'malformed',
  'ownEcho',
  'vmacSource',
  'unsupported',
  'notForVip',
  'notToVmac',
  'portNotServed',
  'notOwner',
  'noFlow',
  'tableFull',
  'fragment',
] as const;
export type OutcomeName = (typeof OUTCOME_NAMES)[number];

/** One number per outcome, plus `frames` (their sum). */
export type DataplaneCounters = Record<OutcomeName | 'frames', number>;

/** The verdict of the last `handleFrame` call. Reused: read it before the next call. */
export class Verdict {
  code: VerdictCode = VerdictCode.DROP;
  outcome: Outcome = Outcome.MALFORMED;
  /** Index of the VIP (in configuration order) the frame was for, or -1. */
  vip = -1;
  /** Flow table slot of the flow (sticky, while it is held), or -1. */
  flow = -1;
}
