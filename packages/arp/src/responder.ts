/**
 * The responder: a sans-I/O state machine that answers ARP (RFC 826) and Neighbor Discovery
 * (RFC 4861) for virtual IPs with their virtual MAC, announces a VIP when the node becomes
 * its owner, detects conflicts, keeps a neighbor table and resolves next hops.
 *
 * It is driven like netsim's `SansIoEndpoint`: `handleFrame(frame, now)` for every frame the
 * node sees, `pollTransmit` until undefined, `pollTimeout`/`handleTimeout` for its timers,
 * `pollEvent` for what it reports. Time is a number of nanoseconds chosen by the caller.
 */
import {
  ArpOperation,
  ArpPacket,
  EthernetFrame,
  EtherType,
  Icmpv6Message,
  Icmpv6Type,
  InvalidArgumentError,
  IpProtocol,
  Ipv4Address,
  Ipv6Address,
  Ipv6Packet,
  MacAddress,
  NdpOptionType,
  Status,
  type VlanTag,
} from '@switchyard/wire';
import {
  ALL_NODES,
  assertUnicastIp,
  assertUnicastMac,
  formatIp,
  type IpAddress,
  ipv6MulticastMac,
  isIpv6,
  isSolicitedNode,
} from './addresses.js';
import type { ConflictEvent, ResponderEvent } from './events.js';
import { FrameBuilder, NDP_HOP_LIMIT, TransmitGuard } from './frames.js';
import { NeighborTable } from './neighbor-table.js';
import {
  AnnounceOperation,
  AnswerPolicy,
  type ArpResponderOptions,
  type ResolveOptions,
  type VipOptions,
} from './options.js';

/** How the responder classified an input frame (every frame gets exactly one). */
export const Verdict = {
  /** Neither ARP nor an IPv6 neighbor solicitation/advertisement (or another VLAN): not the responder's. */
  OTHER: 'other',
  /** ARP or IPv6 that does not decode; counted and dropped. */
  MALFORMED: 'malformed',
  /** Decodes, but breaks a validity rule of RFC 826/5227/4861/6980; counted and dropped. */
  INVALID: 'invalid',
  /** A reply was queued. */
  ANSWERED: 'answered',
  /** Valid ARP or neighbor discovery that needed no reply (it may have taught the neighbor table or raised an event). */
  IGNORED: 'ignored',
} as const;
export type Verdict = (typeof Verdict)[keyof typeof Verdict];

export interface ArpResponderCounters {
  /** Frames passed to `handleFrame`. */
  rxFrames: number;
  /** One counter per verdict. */
  other: number;
  malformed: number;
  invalid: number;
  answered: number;
  ignored: number;
  /** ARP packets and neighbor solicitations/advertisements seen. */
  arpReceived: number;
  ndpReceived: number;
  /** Our own frames seen again (a packet socket also sees what the node sends). */
  ownFrames: number;
  /** Frames on another VLAN than `tags`. */
  otherVlan: number;
  /** ARP for another hardware/protocol pair or with another operation. */
  unsupported: number;
  /** Requests for an address this node does not answer for. */
  notOurs: number;
  /** Requests for a VIP that this node, being passive, left to the active owner. */
  passive: number;
  /** Solicitations sent to neither the target nor its solicited-node group. */
  misaddressed: number;
  /** ARP whose sender MAC is a group address, or whose addresses are multicast or broadcast. */
  invalidAddress: number;
  /** Neighbor discovery with an IPv6 hop limit other than 255. */
  hopLimit: number;
  /** Neighbor discovery with a bad ICMPv6 checksum. */
  checksumErrors: number;
  /** Fragmented neighbor discovery. */
  fragments: number;
  /** Address probes (ARP sender IP 0.0.0.0, NS from ::) answered. */
  probesAnswered: number;
  conflicts: number;
  /** Announcements sent to defend a VIP. */
  defences: number;
  /** Frames seen with one of our vMACs as Ethernet source. */
  vmacSources: number;
  /** Gratuitous ARPs and unsolicited neighbor advertisements queued (bursts and defences). */
  announcements: number;
  /** ARP requests and neighbor solicitations queued to resolve next hops. */
  resolutionRequests: number;
  resolved: number;
  resolutionFailures: number;
  /** `resolve` calls refused because `maxPending` resolutions were in progress. */
  pendingRefused: number;
  /** Frames queued for `pollTransmit`. */
  txFrames: number;
  /** Frames dropped because the transmit queue was full. */
  txQueueDrops: number;
  /** Events dropped because the event queue was full. */
  eventsDropped: number;
}

/** A VIP as reported by `ArpResponder.vips`. */
export interface VipStatus {
  address: IpAddress;
  vmac: MacAddress;
  active: boolean;
  answer: AnswerPolicy;
}

/** What `resolve` found. */
export type ResolveResult =
  | { status: 'resolved'; mac: MacAddress }
  /** A request is out; a `resolved` or `resolution-failed` event follows. */
  | { status: 'pending' }
  /** `maxPending` resolutions are in progress (counted in `pendingRefused`). */
  | { status: 'refused' };

interface VipState {
  readonly address: IpAddress;
  readonly vmac: MacAddress;
  readonly answer: AnswerPolicy;
  active: boolean;
  /** Announcements still to send in the current burst, and when the next one is due. */
  announceLeft: number;
  announceAt: number;
  /** When the last conflicting packet arrived (RFC 5227 §2.4). */
  lastConflictAt: number;
}

interface Pending {
  attempts: number;
  waitNs: number;
  deadline: number;
}

const ICMPV6_NS = Icmpv6Type.NEIGHBOR_SOLICITATION;
const ICMPV6_NA = Icmpv6Type.NEIGHBOR_ADVERTISEMENT;

function positive(field: string, value: number): number {
  if (!(value > 0) || !Number.isFinite(value)) throw new InvalidArgumentError('arp', field, 'must be > 0');
  return value;
}

function count(field: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new InvalidArgumentError('arp', field, `expected an integer in [${min}, ${max}], got ${value}`);
  }
  return value;
}

/** An IPv4 address no station may use as its own: multicast or limited broadcast (RFC 1122 §3.2.1.3). */
function isGroupIpv4(addr: Ipv4Address): boolean {
  return Ipv4Address.isMulticast(addr) || addr === Ipv4Address.BROADCAST;
}

export class ArpResponder {
  readonly mac: MacAddress;
  readonly ipv4: Ipv4Address | undefined;
  readonly ipv6: Ipv6Address | undefined;
  readonly answerRealIp: boolean;
  readonly answer: AnswerPolicy;
  readonly override: boolean;
  readonly announceCount: number;
  readonly announceIntervalNs: number;
  readonly announceOperation: AnnounceOperation;
  readonly defend: boolean;
  readonly defendIntervalNs: number;
  readonly verifyChecksums: boolean;
  readonly maxVips: number;
  readonly maxQueuedFrames: number;
  readonly maxQueuedEvents: number;
  readonly tags: readonly VlanTag[];
  readonly resolveOptions: Readonly<Required<ResolveOptions>>;
  /** Neighbors learned from ARP and neighbor discovery (bounded, aged). */
  readonly neighbors: NeighborTable;
  /** Checks every frame the responder builds; exposed so the daemon can check its own transmit path. */
  readonly guard: TransmitGuard;
  readonly counters: ArpResponderCounters = {
    rxFrames: 0,
    other: 0,
    malformed: 0,
    invalid: 0,
    answered: 0,
    ignored: 0,
    arpReceived: 0,
    ndpReceived: 0,
    ownFrames: 0,
    otherVlan: 0,
    unsupported: 0,
    notOurs: 0,
    passive: 0,
    misaddressed: 0,
    invalidAddress: 0,
    hopLimit: 0,
    checksumErrors: 0,
    fragments: 0,
    probesAnswered: 0,
    conflicts: 0,
    defences: 0,
    vmacSources: 0,
    announcements: 0,
    resolutionRequests: 0,
    resolved: 0,
    resolutionFailures: 0,
    pendingRefused: 0,
    txFrames: 0,
    txQueueDrops: 0,
    eventsDropped: 0,
  };

  readonly #builder: FrameBuilder;
  readonly #vips = new Map<IpAddress, VipState>();
  readonly #pending = new Map<IpAddress, Pending>();
  #tx: Uint8Array[] = [];
  #txHead = 0;
  #events: ResponderEvent[] = [];
  #eventHead = 0;
  #wake: (() => void) | undefined;
  // Views allocated once and re-pointed at every frame.
  readonly #eth = new EthernetFrame();
  readonly #arp = new ArpPacket();
  readonly #ip6 = new Ipv6Packet();
  readonly #icmp = new Icmpv6Message();

  constructor(options: ArpResponderOptions) {
    assertUnicastMac('mac', options.mac);
    this.mac = options.mac;
    if (options.ipv4 !== undefined) assertUnicastIp('ipv4', options.ipv4);
    if (options.ipv6 !== undefined) assertUnicastIp('ipv6', options.ipv6);
    this.ipv4 = options.ipv4;
    this.ipv6 = options.ipv6;
    this.answerRealIp = options.answerRealIp ?? false;
    this.answer = options.answer ?? AnswerPolicy.ACTIVE;
    this.override = options.override ?? true;
    const announce = options.announce ?? {};
    this.announceCount = count('announce.count', announce.count ?? 2, 0, 1000);
    this.announceIntervalNs = announce.intervalNs ?? 2e9;
    if (!(this.announceIntervalNs >= 0) || !Number.isFinite(this.announceIntervalNs)) {
      throw new InvalidArgumentError('arp', 'announce.intervalNs', 'must be >= 0');
    }
    this.announceOperation = announce.operation ?? AnnounceOperation.REQUEST;
    this.defend = options.defend ?? true;
    this.defendIntervalNs = options.defendIntervalNs ?? 10e9;
    if (!(this.defendIntervalNs >= 0))
      throw new InvalidArgumentError('arp', 'defendIntervalNs', 'must be >= 0');
    this.verifyChecksums = options.verifyChecksums ?? true;
    this.maxVips = count('maxVips', options.maxVips ?? 1024, 1, 1 << 20);
    this.maxQueuedFrames = count('maxQueuedFrames', options.maxQueuedFrames ?? 1024, 1, 1 << 20);
    this.maxQueuedEvents = count('maxQueuedEvents', options.maxQueuedEvents ?? 1024, 1, 1 << 20);
    const r = options.resolve ?? {};
    this.resolveOptions = {
      maxPending: count('resolve.maxPending', r.maxPending ?? 64, 1, 1 << 20),
      maxAttempts: count('resolve.maxAttempts', r.maxAttempts ?? 3, 1, 100),
      retransmitNs: positive('resolve.retransmitNs', r.retransmitNs ?? 1e9),
      backoff: r.backoff ?? 1,
      maxRetransmitNs: positive('resolve.maxRetransmitNs', r.maxRetransmitNs ?? 60e9),
    };
    if (!(this.resolveOptions.backoff >= 1) || !Number.isFinite(this.resolveOptions.backoff)) {
      throw new InvalidArgumentError('arp', 'resolve.backoff', 'must be >= 1');
    }
    this.neighbors = new NeighborTable(options.neighbors);
    this.tags = [...(options.tags ?? [])];
    this.guard = new TransmitGuard(this.mac);
    this.#builder = new FrameBuilder(this.guard, this.tags);
    for (const vip of options.vips ?? []) this.addVip(vip);
  }

  // ------------------------------------------------------------------ configuration

  /** Adds a VIP. Throws `InvalidArgumentError` for a bad address or vMAC, a duplicate, or more than `maxVips`. */
  addVip(vip: VipOptions): void {
    assertUnicastIp('vips.address', vip.address);
    if (!MacAddress.isValid(vip.vmac) || vip.vmac === 0 || MacAddress.isBroadcast(vip.vmac)) {
      throw new InvalidArgumentError('arp', 'vips.vmac', `not a usable virtual MAC: ${String(vip.vmac)}`);
    }
    if (vip.address === this.ipv4 || vip.address === this.ipv6) {
      throw new InvalidArgumentError('arp', 'vips.address', 'a VIP cannot be the real address');
    }
    if (this.#vips.has(vip.address)) {
      throw new InvalidArgumentError('arp', 'vips.address', `${formatIp(vip.address)} is configured twice`);
    }
    if (this.#vips.size >= this.maxVips) {
      throw new InvalidArgumentError('arp', 'vips', `more than maxVips (${this.maxVips})`);
    }
    this.guard.addVmac(vip.vmac); // throws when the vMAC is the real MAC
    this.#vips.set(vip.address, {
      address: vip.address,
      vmac: vip.vmac,
      answer: vip.answer ?? this.answer,
      active: vip.active ?? false,
      announceLeft: 0,
      announceAt: 0,
      lastConflictAt: Number.NEGATIVE_INFINITY,
    });
  }

  /** Removes a VIP (pending announcements for it are dropped); false when it was not configured. */
  removeVip(address: IpAddress): boolean {
    const vip = this.#vips.get(address);
    if (vip === undefined) return false;
    this.#vips.delete(address);
    let shared = false;
    for (const v of this.#vips.values()) if (v.vmac === vip.vmac) shared = true;
    if (!shared) this.guard.removeVmac(vip.vmac);
    return true;
  }

  /** The configured VIPs. */
  vips(): VipStatus[] {
    return [...this.#vips.values()].map((v) => ({
      address: v.address,
      vmac: v.vmac,
      active: v.active,
      answer: v.answer,
    }));
  }

  isActive(address: IpAddress): boolean {
    return this.#vip(address).active;
  }

  /**
   * Makes this node the VIP's active owner or a passive node. Becoming active starts a burst
   * of announcements (gratuitous ARP, or unsolicited NAs for IPv6); becoming passive stops it.
   */
  setActive(address: IpAddress, active: boolean, now: number): void {
    const vip = this.#vip(address);
    if (vip.active === active) return;
    vip.active = active;
    if (active) this.#startBurst(vip, now);
    else vip.announceLeft = 0;
    this.#wake?.();
  }

  /** Starts a new burst of announcements for a VIP now (e.g. after the link came back). */
  announce(address: IpAddress, now: number): void {
    this.#startBurst(this.#vip(address), now);
    this.#wake?.();
  }

  // ------------------------------------------------------------------ resolution

  /**
   * The MAC of next hop `address`: from the neighbor table, or a request goes out (an ARP
   * request, or a neighbor solicitation to the solicited-node group) and a `resolved` or
   * `resolution-failed` event follows. Throws `InvalidArgumentError` for an address that is
   * not a unicast neighbor, one of our own, or of a family without a configured real address.
   */
  resolve(address: IpAddress, now: number): ResolveResult {
    assertUnicastIp('address', address);
    if (this.#vips.has(address) || address === this.ipv4 || address === this.ipv6) {
      throw new InvalidArgumentError('arp', 'address', `${formatIp(address)} is one of our own addresses`);
    }
    if ((isIpv6(address) ? this.ipv6 : this.ipv4) === undefined) {
      throw new InvalidArgumentError(
        'arp',
        'address',
        `resolving ${formatIp(address)} needs a real ${isIpv6(address) ? 'ipv6' : 'ipv4'} address as source`,
      );
    }
    const mac = this.neighbors.lookup(address, now);
    if (mac !== undefined) return { status: 'resolved', mac };
    if (this.#pending.has(address)) return { status: 'pending' };
    if (this.#pending.size >= this.resolveOptions.maxPending) {
      this.counters.pendingRefused++;
      return { status: 'refused' };
    }
    const waitNs = Math.min(this.resolveOptions.retransmitNs, this.resolveOptions.maxRetransmitNs);
    this.#pending.set(address, { attempts: 1, waitNs, deadline: now + waitNs });
    this.#solicit(address);
    this.#wake?.();
    return { status: 'pending' };
  }

  /** Resolutions in progress. */
  get pendingResolutions(): number {
    return this.#pending.size;
  }

  // ------------------------------------------------------------------ sans-I/O driving

  /** Lets a driver (netsim's Host) flush output produced outside `handleFrame`/`handleTimeout`. */
  setWaker(wake: () => void): void {
    this.#wake = wake;
  }

  /** The next frame to send, or undefined. Every frame's Ethernet source is the real MAC. */
  pollTransmit(_now?: number): Uint8Array | undefined {
    if (this.#txHead === this.#tx.length) return undefined;
    const frame = this.#tx[this.#txHead++]!;
    if (this.#txHead === this.#tx.length) {
      this.#tx = [];
      this.#txHead = 0;
    }
    return frame;
  }

  /** The next event, or undefined. */
  pollEvent(): ResponderEvent | undefined {
    if (this.#eventHead === this.#events.length) return undefined;
    const event = this.#events[this.#eventHead++]!;
    if (this.#eventHead === this.#events.length) {
      this.#events = [];
      this.#eventHead = 0;
    }
    return event;
  }

  /** When `handleTimeout` is next due (a pending announcement or retransmission), or undefined. */
  pollTimeout(): number | undefined {
    let next = Number.POSITIVE_INFINITY;
    for (const v of this.#vips.values()) if (v.announceLeft > 0 && v.announceAt < next) next = v.announceAt;
    for (const p of this.#pending.values()) if (p.deadline < next) next = p.deadline;
    return next === Number.POSITIVE_INFINITY ? undefined : next;
  }

  /** Sends the announcements and retransmissions due at `now`, and gives up on resolutions out of attempts. */
  handleTimeout(now: number): void {
    for (const v of this.#vips.values()) {
      while (v.announceLeft > 0 && v.announceAt <= now) {
        v.announceLeft--;
        v.announceAt += this.announceIntervalNs;
        this.#announceOnce(v);
      }
    }
    const r = this.resolveOptions;
    for (const [address, p] of this.#pending) {
      if (p.deadline > now) continue;
      if (p.attempts >= r.maxAttempts) {
        this.#pending.delete(address);
        this.counters.resolutionFailures++;
        this.#event({ type: 'resolution-failed', at: now, address, attempts: p.attempts });
        continue;
      }
      p.attempts++;
      p.waitNs = Math.min(p.waitNs * r.backoff, r.maxRetransmitNs);
      p.deadline = now + p.waitNs;
      this.#solicit(address);
    }
  }

  /**
   * Classifies one received frame and acts on it. Never throws on frame contents: malformed
   * and invalid frames are counted and dropped. `frame` is only read during the call.
   */
  handleFrame(frame: Uint8Array, now: number): Verdict {
    const c = this.counters;
    c.rxFrames++;
    const v = this.#classify(frame, now);
    // One monomorphic store per verdict: a computed key would cost more than the rest of an `other` frame.
    switch (v) {
      case Verdict.OTHER:
        c.other++;
        break;
      case Verdict.MALFORMED:
        c.malformed++;
        break;
      case Verdict.INVALID:
        c.invalid++;
        break;
      case Verdict.ANSWERED:
        c.answered++;
        break;
      default:
        c.ignored++;
    }
    return v;
  }

  // ------------------------------------------------------------------ classification

  #classify(frame: Uint8Array, now: number): Verdict {
    const eth = this.#eth;
    if (eth.check(frame) !== Status.OK) return Verdict.MALFORMED;
    if (this.guard.isVmacAt(frame, 6)) {
      this.counters.vmacSources++;
      this.#event({ type: 'vmac-source', at: now, vmac: eth.source });
    }
    const type = eth.etherType;
    if (type !== EtherType.ARP && type !== EtherType.IPv6) return Verdict.OTHER;
    if (!this.#onOurVlan(eth)) {
      this.counters.otherVlan++;
      return Verdict.OTHER;
    }
    return type === EtherType.ARP ? this.#arpFrame(frame, eth, now) : this.#ipv6Frame(frame, eth, now);
  }

  #onOurVlan(eth: EthernetFrame): boolean {
    const tags = this.tags;
    if (eth.tagCount !== tags.length) return false;
    for (let i = 0; i < tags.length; i++) if (eth.vid(i) !== tags[i]!.vid) return false;
    return true;
  }

  // ------------------------------------------------------------------ ARP

  #arpFrame(frame: Uint8Array, eth: EthernetFrame, now: number): Verdict {
    const c = this.counters;
    const p = this.#arp;
    if (p.check(frame, eth.payloadOffset, eth.payloadLength) !== Status.OK) return Verdict.MALFORMED;
    c.arpReceived++;
    // A packet socket sees the node's own transmissions too (FIELD-NOTES: ignore PACKET_OUTGOING).
    if (eth.source === this.mac) {
      c.ownFrames++;
      return Verdict.IGNORED;
    }
    // RFC 826: only the Ethernet/IPv4 pair and the two operations it defines are ours.
    const op = p.operation;
    if (!p.isEthernetIpv4 || (op !== ArpOperation.REQUEST && op !== ArpOperation.REPLY)) {
      c.unsupported++;
      return Verdict.IGNORED;
    }
    const sha = p.senderHardwareAddress;
    const spa = p.senderProtocolAddress;
    const tpa = p.targetProtocolAddress;
    const isRequest = op === ArpOperation.REQUEST;
    // RFC 1812 §3.3.2: a group MAC is nobody's hardware address (a multicast vMAC of ours excepted).
    if ((sha === 0 || MacAddress.isMulticast(sha)) && !this.guard.isVmac(sha)) {
      c.invalidAddress++;
      return Verdict.INVALID;
    }
    // RFC 1122 §3.2.1.3: multicast and broadcast are never a station's address; only a probe's sender is 0.0.0.0 (RFC 5227 §2.1.1),
    // and only a reply to a probe has target 0.0.0.0.
    if (isGroupIpv4(spa) || isGroupIpv4(tpa) || (spa === 0 && !isRequest) || (tpa === 0 && isRequest)) {
      c.invalidAddress++;
      return Verdict.INVALID;
    }

    // RFC 5227 §2.4: our address as sender IP with a sender MAC that is not ours is a conflict.
    const claimed = spa === 0 ? undefined : this.#vips.get(spa);
    const via = isRequest ? 'arp-request' : 'arp-reply';
    if (claimed !== undefined) {
      if (sha !== claimed.vmac && sha !== this.mac)
        this.#conflict(claimed, 'vip', spa, sha, eth.source, via, now);
    } else if (spa !== 0 && spa === this.ipv4) {
      if (sha !== this.mac) this.#conflict(undefined, 'real', spa, sha, eth.source, via, now);
    } else if (spa !== 0) {
      this.#learnFromArp(spa, sha, tpa, now);
    }

    if (!isRequest) return Verdict.IGNORED;
    // RFC 5227 §2.3: sender IP = target IP is an announcement, a claim rather than a question.
    if (spa === tpa) return Verdict.IGNORED;
    const vip = this.#vips.get(tpa);
    const answerMac = this.#answerMac(vip, tpa === this.ipv4);
    if (answerMac < 0) return Verdict.IGNORED;
    // RFC 826: swap sender and target, put our address in the sender fields, send to the
    // requester's hardware address; whatever the Ethernet destination was (FIELD-NOTES: unicast
    // probes to the vMAC). A probe (sender 0.0.0.0, RFC 5227 §2.1.1) gets target IP 0.0.0.0, as from Linux.
    const queued = this.#send(
      this.#builder.arp(sha, {
        operation: ArpOperation.REPLY,
        senderHardwareAddress: answerMac,
        senderProtocolAddress: tpa,
        targetHardwareAddress: sha,
        targetProtocolAddress: spa,
      }),
    );
    if (!queued) return Verdict.IGNORED;
    if (spa === 0) c.probesAnswered++;
    return Verdict.ANSWERED;
  }

  /**
   * RFC 826 "merge": refresh an address already in the table; add it only when we are the
   * target (or resolving it), so requests between other stations cannot fill the table.
   */
  #learnFromArp(spa: Ipv4Address, sha: MacAddress, tpa: Ipv4Address, now: number): void {
    if (MacAddress.isMulticast(sha)) return;
    const pending = this.#pending.has(spa);
    const forUs = tpa === this.ipv4 || this.#vips.has(tpa);
    if (pending || forUs || this.neighbors.has(spa, now)) this.neighbors.set(spa, sha, now);
    if (pending) this.#resolvedNow(spa, sha, now);
  }

  // ------------------------------------------------------------------ NDP

  #ipv6Frame(frame: Uint8Array, eth: EthernetFrame, now: number): Verdict {
    const c = this.counters;
    const ip = this.#ip6;
    if (ip.check(frame, eth.payloadOffset, eth.payloadLength) !== Status.OK) return Verdict.MALFORMED;
    if (ip.upperLayerProtocol !== IpProtocol.ICMPV6 || ip.upperLayerLength < 1) return Verdict.OTHER;
    // A later fragment carries data, not an ICMPv6 header.
    if (ip.isFragment && ip.fragmentOffset !== 0) return Verdict.OTHER;
    const at = ip.upperLayerOffset;
    const type = frame[at]!;
    if (type !== ICMPV6_NS && type !== ICMPV6_NA) return Verdict.OTHER;
    c.ndpReceived++;
    // RFC 6980 §5: neighbor discovery messages must not be fragmented.
    if (ip.isFragment) {
      c.fragments++;
      return Verdict.INVALID;
    }
    const m = this.#icmp;
    if (m.check(frame, at, ip.upperLayerLength) !== Status.OK) return Verdict.MALFORMED;
    if (eth.source === this.mac) {
      c.ownFrames++;
      return Verdict.IGNORED;
    }
    // RFC 4861 §7.1.1, §7.1.2: hop limit 255 proves the sender is on this link.
    if (ip.hopLimit !== NDP_HOP_LIMIT) {
      c.hopLimit++;
      return Verdict.INVALID;
    }
    if (this.verifyChecksums && !m.verifyChecksum(ip.pseudoHeaderSum())) {
      c.checksumErrors++;
      return Verdict.INVALID;
    }
    const target = m.targetAddress;
    // RFC 4861 §7.1.1, §7.1.2: code 0, target not multicast.
    if (m.code !== 0 || Ipv6Address.isMulticast(target)) return Verdict.INVALID;
    let sourceLinkLayer = -1;
    let targetLinkLayer = -1;
    const end = m.offset + m.length;
    for (let pos = m.ndpOptionsOffset; pos < end; pos += frame[pos + 1]! * 8) {
      if (frame[pos + 1] !== 1) continue;
      if (frame[pos] === NdpOptionType.SOURCE_LINK_LAYER_ADDRESS && sourceLinkLayer < 0) {
        sourceLinkLayer = MacAddress.read(frame, pos + 2);
      } else if (frame[pos] === NdpOptionType.TARGET_LINK_LAYER_ADDRESS && targetLinkLayer < 0) {
        targetLinkLayer = MacAddress.read(frame, pos + 2);
      }
    }
    return type === ICMPV6_NS
      ? this.#solicitation(eth, ip, target, sourceLinkLayer, now)
      : this.#advertisement(eth, ip, m, target, targetLinkLayer, now);
  }

  #solicitation(
    eth: EthernetFrame,
    ip: Ipv6Packet,
    target: Ipv6Address,
    sourceLinkLayer: number,
    now: number,
  ): Verdict {
    const c = this.counters;
    const source = ip.source;
    const destination = ip.destination;
    const dad = source === Ipv6Address.ANY;
    // RFC 4861 §7.1.1: from the unspecified address only to a solicited-node group, and without a source link-layer option.
    if (dad && (!isSolicitedNode(destination) || sourceLinkLayer >= 0)) return Verdict.INVALID;
    if (sourceLinkLayer >= 0 && (sourceLinkLayer === 0 || MacAddress.isMulticast(sourceLinkLayer))) {
      c.invalidAddress++;
      return Verdict.INVALID;
    }
    // RFC 4861 §7.2.3 with RFC 5227 §2.4's rule: our address as source with a foreign link-layer address.
    if (!dad && sourceLinkLayer >= 0) {
      const claimed = this.#vips.get(source);
      if (claimed !== undefined) {
        if (sourceLinkLayer !== claimed.vmac && sourceLinkLayer !== this.mac) {
          this.#conflict(claimed, 'vip', source, sourceLinkLayer, eth.source, 'neighbor-solicitation', now);
        }
      } else if (source === this.ipv6) {
        if (sourceLinkLayer !== this.mac) {
          this.#conflict(
            undefined,
            'real',
            source,
            sourceLinkLayer,
            eth.source,
            'neighbor-solicitation',
            now,
          );
        }
      }
    }
    const vip = this.#vips.get(target);
    const ours = vip !== undefined || target === this.ipv6;
    // RFC 4861 §7.2.3: a solicitation for one of our addresses teaches us the solicitor's link-layer address.
    if (ours && !dad && sourceLinkLayer >= 0 && !this.#owns(source))
      this.neighbors.set(source, sourceLinkLayer, now);
    // Sent to the target's solicited-node group (resolution, DAD) or to the target itself (unreachability detection).
    if (destination !== target && destination !== Ipv6Address.solicitedNode(target)) {
      c.misaddressed++;
      return Verdict.IGNORED;
    }
    const answerMac = this.#answerMac(vip, target === this.ipv6);
    if (answerMac < 0) return Verdict.IGNORED;
    // RFC 4861 §7.2.4: to a DAD probe, S=0 and multicast to all nodes; otherwise S=1 and unicast to
    // the solicitor, at its source link-layer address (or the frame's source when it sent none).
    const ethDestination = dad
      ? ipv6MulticastMac(ALL_NODES)
      : sourceLinkLayer >= 0
        ? sourceLinkLayer
        : eth.source;
    const frame = this.#builder.neighborAdvertisement(ethDestination, target, dad ? ALL_NODES : source, {
      router: false, // RFC 4861 §4.4: a VIP is not a router
      solicited: !dad,
      override: this.override,
      target,
      targetLinkLayerAddress: answerMac,
    });
    if (!this.#send(frame)) return Verdict.IGNORED;
    if (dad) c.probesAnswered++;
    return Verdict.ANSWERED;
  }

  #advertisement(
    eth: EthernetFrame,
    ip: Ipv6Packet,
    m: Icmpv6Message,
    target: Ipv6Address,
    targetLinkLayer: number,
    now: number,
  ): Verdict {
    const c = this.counters;
    // RFC 4861 §7.1.2: a multicast advertisement cannot be solicited.
    if (m.solicited && Ipv6Address.isMulticast(ip.destination)) return Verdict.INVALID;
    if (targetLinkLayer >= 0 && (targetLinkLayer === 0 || MacAddress.isMulticast(targetLinkLayer))) {
      if (!this.guard.isVmac(targetLinkLayer)) {
        c.invalidAddress++;
        return Verdict.INVALID;
      }
    }
    const claimed = this.#vips.get(target);
    if (claimed !== undefined) {
      if (targetLinkLayer >= 0 && targetLinkLayer !== claimed.vmac && targetLinkLayer !== this.mac) {
        this.#conflict(claimed, 'vip', target, targetLinkLayer, eth.source, 'neighbor-advertisement', now);
      }
      return Verdict.IGNORED;
    }
    if (target === this.ipv6) {
      if (targetLinkLayer >= 0 && targetLinkLayer !== this.mac) {
        this.#conflict(undefined, 'real', target, targetLinkLayer, eth.source, 'neighbor-advertisement', now);
      }
      return Verdict.IGNORED;
    }
    // RFC 4861 §7.2.5: update an entry we hold or complete a resolution; without one, discard.
    const pending = this.#pending.has(target);
    if (targetLinkLayer >= 0 && !MacAddress.isMulticast(targetLinkLayer)) {
      const known = this.neighbors.lookup(target, now);
      // RFC 4861 §7.2.5: without the Override flag a different link-layer address does not replace a known one.
      if (pending || (known !== undefined && (m.override || known === targetLinkLayer))) {
        this.neighbors.set(target, targetLinkLayer, now);
        if (pending) this.#resolvedNow(target, targetLinkLayer, now);
      }
    } else if (m.solicited) {
      this.neighbors.refresh(target, now); // RFC 4861 §7.3.3: a solicited NA confirms reachability
    }
    return Verdict.IGNORED;
  }

  // ------------------------------------------------------------------ helpers

  #vip(address: IpAddress): VipState {
    const vip = this.#vips.get(address);
    if (vip === undefined) {
      throw new InvalidArgumentError('arp', 'address', `${formatIp(address)} is not a configured VIP`);
    }
    return vip;
  }

  /**
   * The MAC an answer for a target carries: the VIP's vMAC when this node answers for it,
   * the real MAC for our own address when configured to, else -1 (counted as passive or not ours).
   */
  #answerMac(vip: VipState | undefined, ownAddress: boolean): MacAddress | -1 {
    if (vip !== undefined) {
      if (this.#answers(vip)) return vip.vmac;
      this.counters.passive++;
      return -1;
    }
    if (ownAddress && this.answerRealIp) return this.mac;
    this.counters.notOurs++;
    return -1;
  }

  #answers(vip: VipState): boolean {
    return vip.active || vip.answer === AnswerPolicy.ALWAYS;
  }

  #owns(address: IpAddress): boolean {
    return address === this.ipv4 || address === this.ipv6 || this.#vips.has(address);
  }

  #conflict(
    vip: VipState | undefined,
    role: ConflictEvent['role'],
    address: IpAddress,
    claimedBy: MacAddress,
    ethernetSource: MacAddress,
    via: ConflictEvent['via'],
    now: number,
  ): void {
    this.counters.conflicts++;
    let defended = false;
    if (vip !== undefined) {
      // RFC 5227 §2.4 (b): defend with one announcement unless another conflict came within DEFEND_INTERVAL.
      if (this.defend && this.#answers(vip) && now - vip.lastConflictAt >= this.defendIntervalNs) {
        defended = this.#announceOnce(vip);
        if (defended) this.counters.defences++;
      }
      vip.lastConflictAt = now;
    }
    this.#event({ type: 'conflict', at: now, address, role, claimedBy, ethernetSource, via, defended });
  }

  #resolvedNow(address: IpAddress, mac: MacAddress, now: number): void {
    this.#pending.delete(address);
    this.counters.resolved++;
    this.#event({ type: 'resolved', at: now, address, mac });
  }

  #startBurst(vip: VipState, now: number): void {
    if (this.announceCount === 0) return;
    this.#announceOnce(vip);
    vip.announceLeft = this.announceCount - 1;
    vip.announceAt = now + this.announceIntervalNs;
  }

  /** One gratuitous ARP (RFC 5227 §2.3 / RFC 5944 §4.6) or unsolicited NA (RFC 4861 §7.2.6) for `vip`. */
  #announceOnce(vip: VipState): boolean {
    let frame: Uint8Array;
    if (isIpv6(vip.address)) {
      frame = this.#builder.neighborAdvertisement(ipv6MulticastMac(ALL_NODES), vip.address, ALL_NODES, {
        router: false,
        solicited: false, // RFC 4861 §7.2.6: unsolicited
        override: this.override,
        target: vip.address,
        targetLinkLayerAddress: vip.vmac,
      });
    } else {
      const reply = this.announceOperation === AnnounceOperation.REPLY;
      frame = this.#builder.arp(MacAddress.BROADCAST, {
        operation: reply ? ArpOperation.REPLY : ArpOperation.REQUEST,
        senderHardwareAddress: vip.vmac,
        senderProtocolAddress: vip.address,
        targetHardwareAddress: reply ? vip.vmac : 0,
        targetProtocolAddress: vip.address,
      });
    }
    const queued = this.#send(frame);
    if (queued) this.counters.announcements++;
    return queued;
  }

  /** An ARP request (RFC 826) or a neighbor solicitation to the solicited-node group (RFC 4861 §7.2.2) for `address`. */
  #solicit(address: IpAddress): void {
    let frame: Uint8Array;
    if (isIpv6(address)) {
      const group = Ipv6Address.solicitedNode(address);
      frame = this.#builder.neighborSolicitation(ipv6MulticastMac(group), this.ipv6!, group, {
        target: address,
        sourceLinkLayerAddress: this.mac,
      });
    } else {
      frame = this.#builder.arp(MacAddress.BROADCAST, {
        operation: ArpOperation.REQUEST,
        senderHardwareAddress: this.mac,
        senderProtocolAddress: this.ipv4!,
        targetHardwareAddress: 0,
        targetProtocolAddress: address,
      });
    }
    if (this.#send(frame)) this.counters.resolutionRequests++;
  }

  #send(frame: Uint8Array): boolean {
    if (this.#tx.length - this.#txHead >= this.maxQueuedFrames) {
      this.counters.txQueueDrops++;
      return false;
    }
    this.#tx.push(frame);
    this.counters.txFrames++;
    return true;
  }

  #event(event: ResponderEvent): void {
    if (this.#events.length - this.#eventHead >= this.maxQueuedEvents) {
      this.counters.eventsDropped++;
      return;
    }
    this.#events.push(event);
  }
}
