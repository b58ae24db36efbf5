/**
 * One flood-cluster node at run time (DESIGN.md "Data path of a flood-cluster node"): the
 * frames of the segment port go through the data plane; ARP/NDP go to the responder and
 * heartbeats to the election; what the data plane accepts is written into the local kernel
 * (the TAP holding the VIPs). The election's roles become ARP ownership and ownership
 * snapshots for the data plane.
 *
 * The node does no I/O of its own: it is given two `Link`s and a clock, so the same code runs
 * on AF_PACKET + TAP under the daemon and on netsim links in tests and the rootless demo.
 * Every frame it sends on the segment passes a `TransmitGuard` first: none leaves with a
 * virtual MAC as its Ethernet source (a switch that learned the vMAC would stop flooding).
 */
import { ArpResponder, TransmitGuard } from '@switchyard/arp';
import {
  buildSnapshot,
  Dataplane,
  type NonSynMode,
  type OwnershipPolicy,
  VerdictCode,
} from '@switchyard/dataplane';
import {
  type ElectionEvent,
  ElectionNode,
  IpAddress,
  loadMetric,
  type Metric,
  priorityMetric,
  Role,
  roleName,
} from '@switchyard/election';
import { FlowKey } from '@switchyard/flowhash';
import {
  type AuthKey,
  completeTransportChecksum,
  type Ipv4Address,
  type Ipv6Address,
  KeyRing,
  MacAddress,
} from '@switchyard/wire';

/** A port as the node needs it: netsim's `Link`, optionally with AF_PACKET's raw receive and batching. */
export interface NodePort {
  readonly mac: MacAddress;
  readonly closed: boolean;
  send(frame: Uint8Array): boolean;
  onReceive(handler: ((frame: Uint8Array) => void) | undefined): void;
  /** AfPacketLink: the allocation-free receive, with the kernel's per-frame metadata. */
  onReceiveRaw?(handler: ((ring: Uint8Array, info: RawFrameInfo) => void) | undefined): void;
  /** AfPacketLink: sends what `send` queued. */
  flush?(): number;
  close(): void;
}

/** The part of `@switchyard/link`'s `FrameInfo` the node reads. */
export interface RawFrameInfo {
  readonly offset: number;
  readonly length: number;
  readonly truncated: boolean;
  readonly checksumNotReady: boolean;
}

/** Time for the node: monotonic nanoseconds and one-shot timers. */
export interface NodeClock {
  now(): number;
  /** Calls `fn` at `atNs` (or as soon after as possible); returns a cancel function. */
  at(atNs: number, fn: () => void): () => void;
}

/** What the node logs through (pino's `Logger` fits). */
export interface NodeLogger {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
  debug(fields: object, message: string): void;
}

/** One VIP as the node serves it. */
export interface NodeVip {
  readonly address: Ipv4Address | Ipv6Address;
  readonly family: 4 | 6;
  readonly text: string;
  readonly mac: MacAddress;
  readonly policy: OwnershipPolicy;
  readonly nonSyn: NonSynMode;
  /** Empty: every port. */
  readonly ports: readonly number[];
  /** 0..255, higher preferred; the node's default when absent. */
  readonly priority?: number | undefined;
}

export interface ClusterNodeOptions {
  readonly nodeId: number;
  readonly clusterId: number;
  /** The node's real IPv4 address (heartbeats carry it; ARP resolves from it). */
  readonly address: Ipv4Address;
  readonly keys: readonly AuthKey[];
  readonly sendKeyId: number;
  /** 16 bytes, the same on every node: the flow hash's SipHash key. */
  readonly flowHashKey: Uint8Array;
  readonly vips: readonly NodeVip[];
  readonly heartbeat: {
    readonly intervalMs: number;
    readonly deadAfter: number;
    readonly holdMs: number;
    readonly reevaluateMs: number;
    readonly preempt: boolean;
  };
  readonly metric:
    | { readonly kind: 'priority'; readonly priority: number }
    | { readonly kind: 'load'; readonly source: 'loadavg' | 'connections' };
  readonly flows: { readonly max: number; readonly idleTimeoutS: number };
  /** The segment: the real interface. */
  readonly segment: NodePort;
  /** The local kernel: frames written here are received by the node's own TCP/IP stack. */
  readonly kernel: NodePort;
  /** Destination MAC of frames written into the kernel (the TAP interface's MAC; FIELD-NOTES). */
  readonly kernelMac: MacAddress;
  readonly clock: NodeClock;
  readonly log: NodeLogger;
  /** Random per boot (u32). */
  readonly bootId: number;
  /** The heartbeat counter's start (u64): wall-clock nanoseconds at boot (see @switchyard/election). */
  readonly initialCounter: bigint;
  /** A load figure for the `load` metric with `loadavg` (default: none, the worst metric). */
  readonly loadAverage?: () => number;
}

/** The node's own counters (the packages keep theirs). */
export interface NodeCounters {
  /** Frames the packet socket cut because they did not fit a ring block. */
  truncated: number;
  /** Checksum-not-ready frames whose TCP/UDP checksum was filled in before delivery. */
  checksumsCompleted: number;
  /** Checksum-not-ready frames that could not be completed (delivered as they were). */
  checksumsUnfixable: number;
  /** Frames written into the kernel. */
  delivered: number;
  /** Writes into the kernel that failed (TAP down, full). */
  deliverErrors: number;
  /** Frames the guard refused to send (a vMAC or a foreign MAC as source): a bug if ever non-zero. */
  guardRefused: number;
  /** Frames handed to the segment that it did not take. */
  sendErrors: number;
  /** Frames read back from the kernel side (the TAP): the kernel routes nothing there, so normally 0. */
  kernelFrames: number;
  /** Ownership snapshots published. */
  snapshots: number;
}

const NS_PER_MS = 1_000_000;
/** How often idle flows are swept. */
const EXPIRE_EVERY_NS = 1_000 * NS_PER_MS;
/** How often the load metric is refreshed. */
const LOAD_EVERY_NS = 1_000 * NS_PER_MS;
/**
 * Rows of the rendezvous bucket table, the same on every node. 4096 rows place flows to
 * within 1/4096 of their weight and build in ~3 ms; hrw's default 65536 took ~40 ms here,
 * long enough on the event loop to delay heartbeats past a 60 ms dead interval while
 * membership changed (measured: members flapped in a three-node lab).
 */
const RENDEZVOUS_ROWS = 4096;
/** After FIN/RST a flow lingers this long (Linux TIME_WAIT: 2 MSL = 60 s). */
const CLOSING_TIMEOUT_MS = 60_000;

/** A VIP's address as the election names it. */
export function vipAddress(vip: NodeVip): IpAddress {
  return vip.family === 4
    ? IpAddress.v4(vip.address as Ipv4Address)
    : IpAddress.v6(vip.address as Ipv6Address);
}

export class ClusterNode {
  readonly nodeId: number;
  readonly clusterId: number;
  readonly mac: MacAddress;
  readonly address: Ipv4Address;
  readonly counters: NodeCounters = {
    truncated: 0,
    checksumsCompleted: 0,
    checksumsUnfixable: 0,
    delivered: 0,
    deliverErrors: 0,
    guardRefused: 0,
    sendErrors: 0,
    kernelFrames: 0,
    snapshots: 0,
  };
  readonly election: ElectionNode;
  readonly arp: ArpResponder;
  readonly guard: TransmitGuard;
  readonly startedAt: number;

  #dataplane: Dataplane;
  #vips: NodeVip[];
  readonly #keys: KeyRing;
  readonly #options: ClusterNodeOptions;
  readonly #segment: NodePort;
  readonly #kernel: NodePort;
  readonly #kernelMac = new Uint8Array(6);
  readonly #clock: NodeClock;
  readonly #log: NodeLogger;
  #cancelTimer: (() => void) | undefined;
  #timerAt = Number.POSITIVE_INFINITY;
  #nextExpireAt = 0;
  #nextLoadAt = 0;
  #pumpQueued = false;
  #snapshotDirty = true;
  #snapshotVersion = 0;
  #stopped = false;

  constructor(options: ClusterNodeOptions) {
    this.#options = options;
    this.nodeId = options.nodeId;
    this.clusterId = options.clusterId;
    this.mac = options.segment.mac;
    this.address = options.address;
    this.#segment = options.segment;
    this.#kernel = options.kernel;
    this.#clock = options.clock;
    this.#log = options.log;
    MacAddress.write(options.kernelMac, this.#kernelMac, 0);
    this.#vips = [...options.vips];
    this.#keys = new KeyRing(options.keys, { sendKeyId: options.sendKeyId });
    this.guard = new TransmitGuard(
      this.mac,
      this.#vips.map((v) => v.mac),
    );
    this.#dataplane = this.#buildDataplane(this.#vips);
    this.arp = new ArpResponder({
      mac: this.mac,
      ipv4: options.address,
      vips: this.#vips.map((v) => ({ address: v.address, vmac: v.mac })),
    });
    const hb = options.heartbeat;
    let metric: Metric = priorityMetric;
    if (options.metric.kind === 'load') metric = loadMetric(0);
    const defaultPriority = options.metric.kind === 'priority' ? options.metric.priority : 100;
    this.election = new ElectionNode({
      clusterId: options.clusterId,
      nodeId: options.nodeId,
      mac: this.mac,
      ip: IpAddress.v4(options.address),
      keys: this.#keys,
      bootId: options.bootId,
      initialCounter: options.initialCounter,
      vips: this.#vips.map((v) => ({ address: vipAddress(v), priority: v.priority ?? defaultPriority })),
      heartbeatIntervalNs: hb.intervalMs * NS_PER_MS,
      deadMultiplier: hb.deadAfter,
      holdTimeNs: hb.holdMs * NS_PER_MS,
      reevaluationIntervalNs: hb.reevaluateMs * NS_PER_MS,
      preempt: hb.preempt,
      metric,
    });
    const wake = () => this.#queuePump();
    this.election.setWaker(wake);
    this.arp.setWaker(wake);
    this.startedAt = this.#clock.now();
  }

  /** The data plane in use (replaced when the VIPs change). */
  get dataplane(): Dataplane {
    return this.#dataplane;
  }

  get vips(): readonly NodeVip[] {
    return this.#vips;
  }

  get stopped(): boolean {
    return this.#stopped;
  }

  /** Nanoseconds since the node was made, on its clock. */
  get uptimeNs(): number {
    return this.#clock.now() - this.startedAt;
  }

  /**
   * Puts flows the local kernel already holds into the flow table (a restarted daemon must
   * keep serving them, FIELD-NOTES). Keys are client → VIP. Returns how many were taken.
   */
  adopt(keys: Iterable<FlowKey>): number {
    const now = this.#clock.now() / NS_PER_MS;
    let adopted = 0;
    for (const key of keys) if (this.#dataplane.adopt(key, now)) adopted++;
    return adopted;
  }

  /** Starts receiving and the election (every VIP listens before it decides). */
  start(): void {
    const segment = this.#segment;
    if (segment.onReceiveRaw !== undefined) {
      segment.onReceiveRaw((ring, info) => this.#receive(ring, info.offset, info.length, info));
    } else {
      segment.onReceive((frame) => this.#receive(frame, 0, frame.length, undefined));
    }
    this.#kernel.onReceive(() => {
      this.counters.kernelFrames++;
    });
    const now = this.#clock.now();
    this.#nextExpireAt = now + EXPIRE_EVERY_NS;
    this.#nextLoadAt = now;
    this.election.start(now);
    this.#pump();
  }

  /**
   * Graceful stop, step one: hands every active VIP over (the successors take over on
   * receipt of the STOPPING heartbeat) and answers no more ARP. The data path keeps
   * serving the flows this node holds until `close()`, so draining breaks nothing.
   */
  release(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    const now = this.#clock.now();
    this.election.stop(now);
    this.#pump();
  }

  /** Stops everything: timers, receive handlers. The ports are the caller's to close. */
  close(): void {
    this.release();
    this.#cancelTimer?.();
    this.#cancelTimer = undefined;
    this.#timerAt = Number.POSITIVE_INFINITY;
    this.#segment.onReceive(undefined);
    this.#segment.onReceiveRaw?.(undefined);
    this.#kernel.onReceive(undefined);
  }

  /**
   * Changes the VIPs without a restart (SIGHUP): removed VIPs are released (another node
   * takes them over at once), added ones start listening like at boot, and the others keep
   * their roles and flows. The data plane is rebuilt with the held flows carried over.
   */
  reconfigureVips(vips: readonly NodeVip[]): { added: string[]; removed: string[] } {
    const now = this.#clock.now();
    const byText = (list: readonly NodeVip[]) => new Map(list.map((v) => [v.text, v]));
    const before = byText(this.#vips);
    const after = byText(vips);
    const removed = [...before.values()].filter((v) => !after.has(v.text));
    const added = [...after.values()].filter((v) => !before.has(v.text));
    const defaultPriority = this.#options.metric.kind === 'priority' ? this.#options.metric.priority : 100;
    for (const v of removed) {
      this.election.removeVip(vipAddress(v), now);
      this.arp.removeVip(v.address);
    }
    for (const v of added) {
      this.guard.addVmac(v.mac);
      this.arp.addVip({ address: v.address, vmac: v.mac });
      this.election.addVip({ address: vipAddress(v), priority: v.priority ?? defaultPriority }, now);
    }
    const old = this.#dataplane;
    this.#vips = [...vips];
    this.#dataplane = this.#buildDataplane(this.#vips);
    const nowMs = now / NS_PER_MS;
    old.flows.forEach((key, _state, lastSeen) => {
      this.#dataplane.adopt(key, Math.min(lastSeen, nowMs));
    }, new FlowKey());
    const stillUsed = new Set(this.#vips.map((v) => v.mac));
    for (const v of removed) if (!stillUsed.has(v.mac)) this.guard.removeVmac(v.mac);
    this.#snapshotDirty = true;
    this.#pump();
    return { added: added.map((v) => v.text), removed: removed.map((v) => v.text) };
  }

  /**
   * Replaces the cluster keys (rotation, RFC-free but VRRP-like: at most two valid at once):
   * keys no longer listed are dropped, new ones added, and `sendKeyId` signs from now on.
   * A key id names one secret for good: rotate by adding a key with a new id.
   */
  setKeys(keys: readonly AuthKey[], sendKeyId: number): void {
    const ring = this.#keys;
    const wanted = new Set(keys.map((k) => k.id));
    for (const id of ring.ids) if (!wanted.has(id) && id !== ring.sendKeyId) ring.remove(id);
    for (const key of keys) if (!ring.has(key.id) && ring.ids.length < 2) ring.add(key);
    if (ring.has(sendKeyId)) ring.use(sendKeyId);
    for (const id of ring.ids) if (!wanted.has(id)) ring.remove(id);
    for (const key of keys) if (!ring.has(key.id)) ring.add(key);
    ring.use(sendKeyId);
  }

  // --- data path ---------------------------------------------------------------------

  #receive(bytes: Uint8Array, offset: number, length: number, info: RawFrameInfo | undefined): void {
    if (info?.truncated === true) {
      // Cut by the ring (larger than a block): never deliver part of a frame.
      this.counters.truncated++;
      return;
    }
    const now = this.#clock.now();
    const verdict = this.#dataplane.handleFrame(bytes, now / NS_PER_MS, offset, length);
    switch (verdict.code) {
      case VerdictCode.DELIVER:
        this.#deliver(bytes, offset, length, info);
        return;
      case VerdictCode.CONTROL_ARP:
        this.arp.handleFrame(bytes.subarray(offset, offset + length), now);
        this.#pump();
        return;
      case VerdictCode.CONTROL_HEARTBEAT:
        this.election.handleFrame(bytes.subarray(offset, offset + length), now);
        this.#pump();
        return;
      default:
        return;
    }
  }

  #deliver(bytes: Uint8Array, offset: number, length: number, info: RawFrameInfo | undefined): void {
    const frame = bytes.subarray(offset, offset + length);
    // The kernel drops frames not addressed to the TAP's own MAC as "otherhost" (FIELD-NOTES).
    frame.set(this.#kernelMac, 0);
    if (info?.checksumNotReady === true) {
      if (completeTransportChecksum(frame)) this.counters.checksumsCompleted++;
      else this.counters.checksumsUnfixable++;
    }
    if (this.#kernel.send(frame)) this.counters.delivered++;
    else this.counters.deliverErrors++;
  }

  // --- control plane -----------------------------------------------------------------

  #queuePump(): void {
    if (this.#pumpQueued) return;
    this.#pumpQueued = true;
    queueMicrotask(() => {
      this.#pumpQueued = false;
      this.#pump();
    });
  }

  /** Sends what the election and the responder queued, applies their events, re-arms the timer. */
  #pump(): void {
    for (let rounds = 0; rounds < 16; rounds++) {
      let work = false;
      for (let e = this.election.pollEvent(); e !== undefined; e = this.election.pollEvent()) {
        this.#onElectionEvent(e);
        work = true;
      }
      for (let e = this.arp.pollEvent(); e !== undefined; e = this.arp.pollEvent()) {
        work = true;
        if (e.type === 'conflict')
          this.#log.warn({ event: 'arp-conflict', ...printable(e) }, 'address conflict');
        else if (e.type === 'vmac-source')
          this.#log.error(
            { event: 'vmac-source', ...printable(e) },
            'a frame on the segment came from a virtual MAC',
          );
        else this.#log.debug({ event: e.type, ...printable(e) }, 'neighbor resolution');
      }
      for (let f = this.election.pollTransmit(); f !== undefined; f = this.election.pollTransmit()) {
        this.#transmit(f);
        work = true;
      }
      for (let f = this.arp.pollTransmit(); f !== undefined; f = this.arp.pollTransmit()) {
        this.#transmit(f);
        work = true;
      }
      if (!work) break;
    }
    this.#segment.flush?.();
    if (this.#snapshotDirty) this.#publish();
    this.#arm();
  }

  /** The transmit boundary: nothing with a virtual (or any foreign) MAC as source leaves. */
  #transmit(frame: Uint8Array): void {
    if (!this.guard.allows(frame)) {
      this.counters.guardRefused++;
      this.#log.error(
        {
          event: 'guard-refused',
          source: frame.length >= 12 ? MacAddress.format(MacAddress.read(frame, 6)) : 'none',
        },
        'refused to send a frame whose source is not the real MAC',
      );
      return;
    }
    if (!this.#segment.send(frame)) this.counters.sendErrors++;
  }

  #onElectionEvent(e: ElectionEvent): void {
    if (e.type === 'role') {
      const vip = this.#vips.find((v) => vipAddress(v).address === e.vip.address);
      if (vip !== undefined && this.arp.vips().some((a) => a.address === vip.address))
        this.arp.setActive(vip.address, e.to === Role.ACTIVE, this.#clock.now());
      const fields = {
        event: 'role',
        vip: IpAddress.format(e.vip),
        from: roleName(e.from),
        to: roleName(e.to),
        reason: e.reason,
        term: e.term,
      };
      if (e.to === Role.ACTIVE && e.reason !== 'init-done')
        this.#log.warn({ ...fields, event: 'failover' }, 'took over VIP');
      else this.#log.info(fields, 'role changed');
    } else if (e.type === 'join') {
      this.#log.info(
        {
          event: 'join',
          member: e.member.nodeId,
          mac: MacAddress.format(e.member.mac),
          ip: IpAddress.format(e.member.ip),
        },
        'member joined',
      );
    } else {
      this.#log.warn({ event: 'leave', member: e.nodeId, reason: e.reason }, 'member left');
    }
    this.#snapshotDirty = true;
  }

  #publish(): void {
    this.#snapshotDirty = false;
    const activeByVip = new Map<Ipv4Address | Ipv6Address, number>();
    for (const v of this.#vips) {
      const active = this.election.activeNode(vipAddress(v));
      if (active !== undefined) activeByVip.set(v.address, active);
    }
    const members = this.#stopped ? [] : this.election.membership().nodeIds;
    this.#dataplane.publish(
      buildSnapshot({
        vips: this.#vips,
        selfId: this.nodeId,
        members,
        activeByVip,
        version: ++this.#snapshotVersion,
        rendezvous: { rows: RENDEZVOUS_ROWS },
      }),
    );
    this.counters.snapshots++;
  }

  #timeout(): void {
    this.#cancelTimer = undefined;
    this.#timerAt = Number.POSITIVE_INFINITY;
    const now = this.#clock.now();
    const electionAt = this.election.pollTimeout();
    if (electionAt !== undefined && electionAt <= now) this.election.handleTimeout(now);
    const arpAt = this.arp.pollTimeout();
    if (arpAt !== undefined && arpAt <= now) this.arp.handleTimeout(now);
    if (now >= this.#nextExpireAt) {
      this.#nextExpireAt = now + EXPIRE_EVERY_NS;
      // A slice of the table per second: a full sweep every ~16 s at most, never a long pause.
      this.#dataplane.expire(now / NS_PER_MS, Math.max(4096, this.#dataplane.flows.capacity >>> 3));
    }
    if (this.#options.metric.kind === 'load' && now >= this.#nextLoadAt && this.election.running) {
      this.#nextLoadAt = now + LOAD_EVERY_NS;
      this.election.setLoad([Math.min(0xffff_ffff, Math.round(this.#loadFigure()))], now);
    }
    this.#pump();
  }

  #loadFigure(): number {
    const m = this.#options.metric;
    if (m.kind === 'load' && m.source === 'loadavg') return (this.#options.loadAverage?.() ?? 0) * 100;
    return this.#dataplane.flows.size;
  }

  #arm(): void {
    let at = Math.min(this.#nextExpireAt, this.election.pollTimeout() ?? Number.POSITIVE_INFINITY);
    at = Math.min(at, this.arp.pollTimeout() ?? Number.POSITIVE_INFINITY);
    if (this.#options.metric.kind === 'load' && this.election.running) at = Math.min(at, this.#nextLoadAt);
    if (this.#cancelTimer !== undefined && at >= this.#timerAt) return;
    this.#cancelTimer?.();
    this.#timerAt = at;
    this.#cancelTimer = this.#clock.at(at, () => this.#timeout());
  }

  #buildDataplane(vips: readonly NodeVip[]): Dataplane {
    return new Dataplane({
      mac: this.mac,
      vips: vips.map((v) => ({
        address: v.address,
        policy: v.policy,
        nonSyn: v.nonSyn,
        ports: v.ports,
        vmac: v.mac,
      })),
      flows: {
        capacity: this.#options.flows.max,
        idleTimeoutMs: this.#options.flows.idleTimeoutS * 1000,
        closingTimeoutMs: CLOSING_TIMEOUT_MS,
      },
      hashKey: this.#options.flowHashKey,
    });
  }
}

/** An event's fields for a log line: addresses as text, bigints as strings. */
function printable(event: object): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(event)) {
    if (k === 'type') continue;
    if (typeof v === 'bigint') out[k] = v.toString();
    else if ((k === 'mac' || k.endsWith('Mac')) && typeof v === 'number') out[k] = MacAddress.format(v);
    else out[k] = v;
  }
  return out;
}
