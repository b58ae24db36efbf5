/**
 * The election state machine (sans-I/O). It takes frames and timeouts with `now` and hands
 * back frames to send (`pollTransmit`), events (`pollEvent`) and its next deadline
 * (`pollTimeout`): the shape of netsim's `SansIoEndpoint`, so a netsim `Host` or a daemon's
 * event loop can drive it. It reads no clock and draws no random number: the boot id and
 * the first counter are injected.
 *
 * Time is a number of nanoseconds on any monotonic clock (netsim's virtual time, or
 * `process.hrtime` since start); it must never go backwards.
 */
import {
  EthernetFrame,
  InvalidArgumentError,
  type KeyRing,
  MacAddress,
  ReplayWindow,
  Status,
} from '@switchyard/wire';
import {
  HEARTBEAT_ETHERTYPE,
  HEARTBEAT_MAX_CLAIMS,
  HEARTBEAT_MAX_LOADS,
  HeartbeatFlag,
  HeartbeatMessage,
  heartbeat,
  heartbeatGroupMac,
  Role,
  type VipClaim,
} from './heartbeat.js';
import { IpAddress } from './ip.js';
import { type Metric, priorityMetric, spreadScore } from './metric.js';

const LAYER = 'election';
const MS = 1_000_000;
const U64_MAX = 0xffff_ffff_ffff_ffffn;

/** One VIP this node can serve. */
export interface VipConfig {
  address: IpAddress;
  /** 0..255, higher preferred (default 100, VRRP's default backup priority). */
  priority?: number;
}

export interface ElectionOptions {
  /** u32; nodes of other clusters on the segment are ignored (counted in `wrongCluster`). */
  clusterId: number;
  /** u32, 1..2^32-1, unique in the cluster; the last tie-break (lower wins). */
  nodeId: number;
  /** The node's real MAC: heartbeats leave with it as Ethernet source, never the virtual MAC. */
  mac: MacAddress;
  /** The node's real IP address. */
  ip: IpAddress;
  /** Cluster keys: signs with `keys.sendKeyId`, accepts any key in the ring (rotation). */
  keys: KeyRing;
  /** Random per boot, injected (u32). */
  bootId: number;
  /**
   * The first counter (u64), injected. Seed it from the wall clock at boot, in nanoseconds
   * (`BigInt(Date.now()) * 1_000_000n`): see the README for the replay argument.
   */
  initialCounter: bigint;
  /** At most 40. */
  vips: readonly VipConfig[];
  /** Default 10 ms. */
  heartbeatIntervalNs?: number;
  /** k: a peer is dead after k of its intervals without a heartbeat (default 3). */
  deadMultiplier?: number;
  /** While active, hand a VIP to a better node at re-evaluation (default true). */
  preempt?: boolean;
  /** Minimum time in the active role before a re-evaluation may move it away (default 2 s). */
  holdTimeNs?: number;
  /** How often an active node re-decides whether it should stay active (default 1 s). */
  reevaluationIntervalNs?: number;
  /** How long INIT listens before deciding (default deadMultiplier x heartbeatIntervalNs). */
  initWaitNs?: number;
  /** Default `priorityMetric`. */
  metric?: Metric;
  /** Break metric ties with a rendezvous score of (VIP, node) instead of the node id alone (default false). */
  spread?: boolean;
  /** Peers tracked at most (default 63); a heartbeat from one more is refused and counted. */
  maxMembers?: number;
  /** Ask an overdue peer for a heartbeat before declaring it dead (default true; see the README). */
  solicit?: boolean;
}

/** Why a role changed. */
export const RoleReason = {
  /** INIT ended and this node is (or is not) the best candidate. */
  INIT_DONE: 'init-done',
  /** INIT saw another node already active. */
  ACTIVE_SEEN: 'active-seen',
  /** No live node claims the VIP (the active died, stopped or released it) and this node is the best candidate. */
  VACANT: 'vacant',
  /** Split brain: another active claim outranks this node's by (term, metric, tiebreak, node id). */
  OUTRANKED: 'outranked',
  /** Re-evaluation found a better node: this node hands the VIP over. */
  PREEMPTED: 'preempted',
  /** `stop()`: graceful handover. */
  STOPPING: 'stopping',
  /** `removeVip()` while active: graceful handover of that VIP alone. */
  REMOVED: 'removed',
} as const;
export type RoleReason = (typeof RoleReason)[keyof typeof RoleReason];

export const LeaveReason = {
  /** No heartbeat for its dead interval. */
  DEAD: 'dead',
  /** It announced that it is stopping. */
  STOPPED: 'stopped',
  /** It came back with a new boot id (a join follows). */
  RESTARTED: 'restarted',
} as const;
export type LeaveReason = (typeof LeaveReason)[keyof typeof LeaveReason];

/** A peer as the membership view shows it. */
export interface MemberInfo {
  readonly nodeId: number;
  readonly mac: MacAddress;
  readonly ip: IpAddress;
  readonly bootId: number;
  readonly intervalNs: number;
  readonly joinedAt: number;
}

/** An immutable membership snapshot; a new object (and version) on every join or leave. */
export interface Membership {
  readonly version: number;
  /** Live node ids including this node, ascending: the deterministic order hash and rendezvous policies index. */
  readonly nodeIds: readonly number[];
  /** Live peers (this node excluded), by ascending node id. */
  readonly peers: readonly MemberInfo[];
}

export type ElectionEvent =
  | {
      readonly type: 'role';
      readonly at: number;
      readonly vip: IpAddress;
      readonly from: Role;
      readonly to: Role;
      readonly reason: RoleReason;
      /** The term of this node's claim after the change. */
      readonly term: number;
    }
  | { readonly type: 'join'; readonly at: number; readonly member: MemberInfo }
  | { readonly type: 'leave'; readonly at: number; readonly nodeId: number; readonly reason: LeaveReason };

/** Monotonic counters; every refused frame is counted in exactly one of them. */
export interface ElectionCounters {
  heartbeatsSent: number;
  /** Heartbeats sent carrying a solicit (asking an overdue peer to answer at once). */
  solicitsSent: number;
  /** Heartbeats received and accepted. */
  accepted: number;
  /** Frames of another EtherType (not for the election). */
  ignored: number;
  /** Frames that arrived before `start` or after `stop`. */
  notRunning: number;
  malformed: number;
  /** Another heartbeat version. */
  unsupported: number;
  wrongCluster: number;
  unknownKey: number;
  badTag: number;
  /** Authentic, but the counter was seen already. */
  replayed: number;
  /** Authentic, but the counter is below the sender's window. */
  tooOld: number;
  /** Authentic, but the Ethernet source is not the MAC the message names. */
  macMismatch: number;
  /** Our own heartbeat came back. */
  ownEcho: number;
  /** Authentic, carrying our node id from another MAC: a configuration error. */
  duplicateNodeId: number;
  /** Heartbeats from a new peer refused because `maxMembers` peers are live. */
  membersRefused: number;
  /** Frames not queued because the host did not drain `pollTransmit`. */
  transmitDropped: number;
  /** Oldest events dropped because the host did not drain `pollEvent`. */
  eventsDropped: number;
  /** Heartbeats not sent because the 64-bit counter is exhausted. */
  counterExhausted: number;
}

/** This node's state for one VIP. */
export interface VipStatus {
  readonly vip: IpAddress;
  readonly role: Role;
  readonly since: number;
  readonly term: number;
  readonly metric: number;
}

interface ClaimState {
  role: Role;
  term: number;
  metric: number;
  tiebreak: number;
}

interface Member {
  info: MemberInfo;
  lastHeardAt: number;
  nextSolicitAt: number;
  claims: Map<string, ClaimState>;
  loads: number[];
}

interface VipState {
  readonly address: IpAddress;
  readonly key: string;
  readonly priority: number;
  role: Role;
  since: number;
  /** The term of this node's claim when active. */
  term: number;
  /** The highest term known for the VIP. */
  maxTerm: number;
  metric: number;
  tiebreak: number;
  nextReevalAt: number;
}

const State = { IDLE: 0, RUNNING: 1, STOPPED: 2 } as const;
type State = (typeof State)[keyof typeof State];

const TX_QUEUE_LIMIT = 32;
const EVENT_QUEUE_LIMIT = 4096;

function positive(field: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0)
    throw new InvalidArgumentError(LAYER, field, `must be a positive number, got ${String(value)}`);
  return value;
}

function u32(field: string, value: number): number {
  if (!Number.isInteger(value) || value < 0 || value > 0xffff_ffff)
    throw new InvalidArgumentError(
      LAYER,
      field,
      `expected an integer in [0, 2^32 - 1], got ${String(value)}`,
    );
  return value;
}

/** Candidate order: lower metric, then lower tiebreak, then lower node id. */
function candidateBefore(am: number, at: number, aid: number, bm: number, bt: number, bid: number): boolean {
  return am < bm || (am === bm && (at < bt || (at === bt && aid < bid)));
}

/** One node's election: heartbeats, membership, and a role per VIP. */
export class ElectionNode {
  readonly nodeId: number;
  readonly clusterId: number;
  readonly mac: MacAddress;
  readonly ip: IpAddress;
  readonly bootId: number;
  readonly heartbeatIntervalNs: number;
  readonly deadMultiplier: number;
  readonly preempt: boolean;
  readonly holdTimeNs: number;
  readonly reevaluationIntervalNs: number;
  readonly initWaitNs: number;
  readonly spread: boolean;
  readonly maxMembers: number;
  readonly counters: ElectionCounters = {
    heartbeatsSent: 0,
    solicitsSent: 0,
    accepted: 0,
    ignored: 0,
    notRunning: 0,
    malformed: 0,
    unsupported: 0,
    wrongCluster: 0,
    unknownKey: 0,
    badTag: 0,
    replayed: 0,
    tooOld: 0,
    macMismatch: 0,
    ownEcho: 0,
    duplicateNodeId: 0,
    membersRefused: 0,
    transmitDropped: 0,
    eventsDropped: 0,
    counterExhausted: 0,
  };

  readonly #keys: KeyRing;
  readonly #metric: Metric;
  readonly #solicit: boolean;
  readonly #intervalUs: number;
  /** Least gap between two sends: extra heartbeats (solicited, announcements) are rate-limited to this. */
  readonly #minGapNs: number;
  readonly #group: MacAddress;
  readonly #vips: VipState[];
  readonly #members = new Map<number, Member>();
  readonly #replay: ReplayWindow<number>;
  readonly #eth = new EthernetFrame();
  readonly #msg = new HeartbeatMessage();
  readonly #tx: Uint8Array[] = [];
  readonly #events: ElectionEvent[] = [];
  #counter: bigint;
  #load: number[] = [];
  #state: State = State.IDLE;
  #nextHeartbeatAt = 0;
  #lastSentAt = Number.NEGATIVE_INFINITY;
  #urgent = false;
  /** A role changed: announce now, not rate-limited (only authenticated input or timers change roles). */
  #announce = false;
  #waker: (() => void) | undefined;
  #membership: Membership | undefined;
  #membershipVersion = 0;

  constructor(options: ElectionOptions) {
    this.clusterId = u32('clusterId', options.clusterId);
    this.nodeId = u32('nodeId', options.nodeId);
    if (this.nodeId === 0) throw new InvalidArgumentError(LAYER, 'nodeId', 'node id 0 is reserved');
    if (!MacAddress.isValid(options.mac) || MacAddress.isMulticast(options.mac))
      throw new InvalidArgumentError(LAYER, 'mac', 'the real MAC must be a unicast 48-bit MAC');
    this.mac = options.mac;
    if (!IpAddress.isValid(options.ip)) throw new InvalidArgumentError(LAYER, 'ip', 'not an IP address');
    this.ip = options.ip;
    this.#keys = options.keys;
    this.bootId = u32('bootId', options.bootId);
    if (
      typeof options.initialCounter !== 'bigint' ||
      options.initialCounter < 0n ||
      options.initialCounter > U64_MAX
    )
      throw new InvalidArgumentError(LAYER, 'initialCounter', 'expected an unsigned 64-bit bigint');
    this.#counter = options.initialCounter;
    this.heartbeatIntervalNs = positive('heartbeatIntervalNs', options.heartbeatIntervalNs ?? 10 * MS);
    this.#intervalUs = Math.round(this.heartbeatIntervalNs / 1000);
    if (this.#intervalUs < 1 || this.#intervalUs > 0xffff_ffff)
      throw new InvalidArgumentError(LAYER, 'heartbeatIntervalNs', 'must be between 1 µs and 2^32 µs');
    const k = options.deadMultiplier ?? 3;
    if (!Number.isInteger(k) || k < 1 || k > 255)
      throw new InvalidArgumentError(LAYER, 'deadMultiplier', `expected an integer in [1, 255], got ${k}`);
    this.deadMultiplier = k;
    this.preempt = options.preempt ?? true;
    this.holdTimeNs = options.holdTimeNs ?? 2000 * MS;
    if (!(this.holdTimeNs >= 0)) throw new InvalidArgumentError(LAYER, 'holdTimeNs', 'must be >= 0');
    this.reevaluationIntervalNs = positive(
      'reevaluationIntervalNs',
      options.reevaluationIntervalNs ?? 1000 * MS,
    );
    this.initWaitNs = options.initWaitNs ?? k * this.heartbeatIntervalNs;
    if (!(this.initWaitNs >= 0)) throw new InvalidArgumentError(LAYER, 'initWaitNs', 'must be >= 0');
    this.#metric = options.metric ?? priorityMetric;
    this.spread = options.spread ?? false;
    this.#solicit = options.solicit ?? true;
    const maxMembers = options.maxMembers ?? 63;
    if (!Number.isInteger(maxMembers) || maxMembers < 1)
      throw new InvalidArgumentError(LAYER, 'maxMembers', 'must be a positive integer');
    this.maxMembers = maxMembers;
    // Twice the members: an authenticated sender is only evicted when the table is far past its size.
    this.#replay = new ReplayWindow<number>({ capacity: 2 * maxMembers + 2 });
    this.#minGapNs = this.heartbeatIntervalNs / 8;
    this.#group = heartbeatGroupMac(this.clusterId);
    if (options.vips.length > HEARTBEAT_MAX_CLAIMS)
      throw new InvalidArgumentError(LAYER, 'vips', `at most ${HEARTBEAT_MAX_CLAIMS} VIPs per node`);
    this.#vips = [];
    for (const v of options.vips) this.#vips.push(this.#newVip(v));
    this.#computeMetrics();
  }

  // --- driving ---------------------------------------------------------------------------

  /** Starts listening and sending; every VIP starts in INIT. */
  start(now: number): void {
    if (this.#state !== State.IDLE) throw new InvalidArgumentError(LAYER, 'state', 'already started');
    this.#state = State.RUNNING;
    this.#nextHeartbeatAt = now;
    for (const v of this.#vips) v.since = now;
    this.#membership = undefined;
    this.#service(now);
    this.#waker?.();
  }

  /**
   * Graceful stop: releases every VIP, announces STOPPING (twice, against a single loss) so
   * the successors take over on receipt, and goes quiet.
   */
  stop(now: number): void {
    if (this.#state !== State.RUNNING) return;
    for (const v of this.#vips)
      if (v.role !== Role.PASSIVE) this.#setRole(v, Role.PASSIVE, RoleReason.STOPPING, now);
    this.#state = State.STOPPED;
    this.#membershipChanged();
    this.#tx.length = 0;
    for (let i = 0; i < 2; i++) this.#send(now, 0, HeartbeatFlag.STOPPING);
    this.#waker?.();
  }

  /**
   * Serves one more VIP from now on, without restarting the election (a restart would change
   * the boot id and drop every role). Validated like the constructor's `vips`. While running,
   * the VIP starts in INIT with `since = now`: it listens `initWaitNs` (claims of peers already
   * known count) and then decides, with the usual `role` event; before `start` it is just added.
   */
  addVip(config: VipConfig, now: number): void {
    if (this.#vips.length >= HEARTBEAT_MAX_CLAIMS)
      throw new InvalidArgumentError(LAYER, 'vips', `at most ${HEARTBEAT_MAX_CLAIMS} VIPs per node`);
    // Built and measured before it is added: a bad config or metric leaves the node unchanged.
    const v = this.#newVip(config);
    v.metric = this.#metricOf(v);
    if (this.#state !== State.RUNNING) {
      this.#vips.push(v);
      return;
    }
    v.since = now;
    // Terms peers already announced for it: a claim of ours must start above them.
    for (const m of this.#members.values()) {
      const c = m.claims.get(v.key);
      if (c !== undefined && c.term > v.maxTerm) v.maxTerm = c.term;
    }
    this.#vips.push(v);
    // Announce the new candidate soon (rate-limited), so peers adding it too count it when their INIT ends.
    this.#urgent = true;
    this.#service(now);
    this.#waker?.();
  }

  /**
   * Stops serving `vip` without restarting the election; false if it is not served here. While
   * active for it, releases it first (a `role` event ACTIVE → PASSIVE, reason `removed`). The
   * claim leaves the very next heartbeat, sent at once and twice against a single loss: a peer
   * that no longer hears a node claim a VIP stops counting that node, as active and as a
   * candidate, so the best remaining peer takes over on receipt (`vacant`), as after `stop()`.
   * A PASSIVE claim would not do: peers still count a passive node as a candidate, and the
   * releasing node is usually the best one.
   */
  removeVip(vip: IpAddress, now: number): boolean {
    if (!IpAddress.isValid(vip)) return false;
    const key = IpAddress.key(vip);
    const i = this.#vips.findIndex((x) => x.key === key);
    if (i < 0) return false;
    const v = this.#vips[i]!;
    const wasActive = this.#state === State.RUNNING && v.role === Role.ACTIVE;
    if (wasActive) this.#setRole(v, Role.PASSIVE, RoleReason.REMOVED, now);
    this.#vips.splice(i, 1);
    if (this.#state !== State.RUNNING) return true;
    if (wasActive) {
      // Break before make, as in stop(): the successor takes over when these arrive.
      for (let n = 0; n < 2; n++) this.#send(now, 0, 0);
    } else {
      // Nobody waits on a passive claim, but a peer about to preempt towards this node should know soon.
      this.#urgent = true;
      this.#service(now);
    }
    this.#waker?.();
    return true;
  }

  /** The host's current load figures (u32 each, at most 8); metrics are recomputed and announced. */
  setLoad(load: readonly number[], now: number): void {
    if (load.length > HEARTBEAT_MAX_LOADS)
      throw new InvalidArgumentError(LAYER, 'load', `at most ${HEARTBEAT_MAX_LOADS} figures`);
    for (const x of load) u32('load', x);
    this.#load = [...load];
    this.#computeMetrics();
    if (this.#state !== State.RUNNING) return;
    this.#urgent = true;
    this.#service(now);
    this.#waker?.();
  }

  handleFrame(frame: Uint8Array, now: number): void {
    if (this.#state !== State.RUNNING) {
      this.counters.notRunning++;
      return;
    }
    const eth = this.#eth;
    if (eth.check(frame) !== Status.OK || eth.etherType !== HEARTBEAT_ETHERTYPE) {
      this.counters.ignored++;
      return;
    }
    const m = this.#msg;
    const status = m.check(frame, eth.payloadOffset, eth.payloadLength);
    if (status !== Status.OK) {
      if (status === Status.UNSUPPORTED) this.counters.unsupported++;
      else this.counters.malformed++;
      return;
    }
    if (m.clusterId !== this.clusterId) {
      this.counters.wrongCluster++;
      return;
    }
    // DESIGN.md rule 5: nothing unauthenticated changes state.
    const auth = m.verify(this.#keys);
    if (auth !== 'ok') {
      if (auth === 'unknown-key') this.counters.unknownKey++;
      else this.counters.badTag++;
      return;
    }
    const nodeId = m.nodeId;
    if (nodeId === this.nodeId) {
      if (m.mac === this.mac) this.counters.ownEcho++;
      else this.counters.duplicateNodeId++;
      return;
    }
    // The message names the sender's real MAC; a frame from another source is a relay or a misconfiguration.
    if (!eth.sourceEquals(m.mac)) {
      this.counters.macMismatch++;
      return;
    }
    // RFC 4303 §3.4.3-style window, recorded only after the tag verified.
    const verdict = this.#replay.accept(nodeId, m.counter);
    if (verdict !== 'fresh') {
      if (verdict === 'replay') this.counters.replayed++;
      else this.counters.tooOld++;
      return;
    }
    this.#accept(m, now);
    this.#service(now);
  }

  handleTimeout(now: number): void {
    if (this.#state !== State.RUNNING) return;
    this.#service(now);
  }

  pollTransmit(_now?: number): Uint8Array | undefined {
    return this.#tx.shift();
  }

  pollEvent(): ElectionEvent | undefined {
    return this.#events.shift();
  }

  /** The next time `handleTimeout` is due (may be in the past: call it now), or undefined when stopped. */
  pollTimeout(): number | undefined {
    if (this.#state !== State.RUNNING) return undefined;
    let at = this.#nextHeartbeatAt;
    if (this.#urgent) at = Math.min(at, this.#lastSentAt + this.#minGapNs);
    for (const v of this.#vips) if (v.role === Role.INIT) at = Math.min(at, v.since + this.initWaitNs);
    for (const v of this.#vips) if (v.role === Role.ACTIVE && this.preempt) at = Math.min(at, v.nextReevalAt);
    for (const m of this.#members.values()) {
      at = Math.min(at, this.#deadline(m));
      if (this.#solicit) at = Math.min(at, Math.max(m.nextSolicitAt, this.#lastSentAt + this.#minGapNs));
    }
    return at;
  }

  setWaker(wake: () => void): void {
    this.#waker = wake;
  }

  // --- queries ---------------------------------------------------------------------------

  get running(): boolean {
    return this.#state === State.RUNNING;
  }

  /** This node's role for `vip` (throws for a VIP it does not serve). */
  role(vip: IpAddress): Role {
    return this.#vip(vip).role;
  }

  /** Every VIP's state, in configuration order. */
  roles(): VipStatus[] {
    return this.#vips.map((v) => ({
      vip: v.address,
      role: v.role,
      since: v.since,
      term: v.role === Role.ACTIVE ? v.term : v.maxTerm,
      metric: v.metric,
    }));
  }

  /** The node this node believes active for `vip` (itself included), or undefined. */
  activeNode(vip: IpAddress): number | undefined {
    const v = this.#vip(vip);
    if (v.role === Role.ACTIVE) return this.nodeId;
    let best: number | undefined;
    let bt = -1;
    for (const [id, m] of this.#members) {
      const c = m.claims.get(v.key);
      if (c?.role === Role.ACTIVE && (c.term > bt || (c.term === bt && best !== undefined && id < best))) {
        best = id;
        bt = c.term;
      }
    }
    return best;
  }

  /** The live membership (this node included while running), as an immutable snapshot. */
  membership(): Membership {
    if (this.#membership === undefined) {
      const peers = [...this.#members.values()].map((m) => m.info).sort((a, b) => a.nodeId - b.nodeId);
      const nodeIds = peers.map((p) => p.nodeId);
      if (this.#state === State.RUNNING) {
        nodeIds.push(this.nodeId);
        nodeIds.sort((a, b) => a - b);
      }
      this.#membership = Object.freeze({
        version: this.#membershipVersion,
        nodeIds: Object.freeze(nodeIds),
        peers: Object.freeze(peers),
      });
    }
    return this.#membership;
  }

  /** Senders the replay window forgot to stay within its size. */
  get replayEvicted(): number {
    return this.#replay.evicted;
  }

  // --- internals -------------------------------------------------------------------------

  #vip(vip: IpAddress): VipState {
    const key = IpAddress.key(vip);
    const v = this.#vips.find((x) => x.key === key);
    if (v === undefined)
      throw new InvalidArgumentError(LAYER, 'vip', `not served here: ${IpAddress.format(vip)}`);
    return v;
  }

  /** A VIP's initial state from its configuration, validated (not yet in `#vips`, metric not computed). */
  #newVip(config: VipConfig): VipState {
    if (!IpAddress.isValid(config.address))
      throw new InvalidArgumentError(LAYER, 'vips.address', 'not an IP');
    const key = IpAddress.key(config.address);
    if (this.#vips.some((x) => x.key === key))
      throw new InvalidArgumentError(LAYER, 'vips', `duplicate VIP ${IpAddress.format(config.address)}`);
    const priority = config.priority ?? 100;
    if (!Number.isInteger(priority) || priority < 0 || priority > 255)
      throw new InvalidArgumentError(
        LAYER,
        'vips.priority',
        `expected an integer in [0, 255], got ${priority}`,
      );
    return {
      address: config.address,
      key,
      priority,
      role: Role.INIT,
      since: 0,
      term: 0,
      maxTerm: 0,
      metric: 0,
      tiebreak: this.spread ? spreadScore(config.address, this.nodeId) : 0,
      nextReevalAt: Number.POSITIVE_INFINITY,
    };
  }

  #metricOf(v: VipState): number {
    const metric = this.#metric({
      vip: v.address,
      priority: v.priority,
      load: this.#load,
      nodeId: this.nodeId,
    });
    if (!Number.isInteger(metric) || metric < 0 || metric > 0xffff_ffff)
      throw new InvalidArgumentError(
        LAYER,
        'metric',
        `must return an integer in [0, 2^32 - 1], got ${metric}`,
      );
    return metric;
  }

  #computeMetrics(): void {
    for (const v of this.#vips) v.metric = this.#metricOf(v);
  }

  #deadline(m: Member): number {
    return m.lastHeardAt + this.deadMultiplier * m.info.intervalNs;
  }

  #emit(event: ElectionEvent): void {
    if (this.#events.length >= EVENT_QUEUE_LIMIT) {
      this.#events.shift();
      this.counters.eventsDropped++;
    }
    this.#events.push(event);
  }

  #membershipChanged(): void {
    this.#membershipVersion++;
    this.#membership = undefined;
  }

  #removeMember(nodeId: number, reason: LeaveReason, now: number): void {
    // The replay window keeps the sender: its old heartbeats stay refused after it leaves.
    this.#members.delete(nodeId);
    this.#membershipChanged();
    this.#emit({ type: 'leave', at: now, nodeId, reason });
  }

  #accept(m: HeartbeatMessage, now: number): void {
    this.counters.accepted++;
    const nodeId = m.nodeId;
    let member = this.#members.get(nodeId);
    if (member !== undefined && member.info.bootId !== m.bootId) {
      this.#removeMember(nodeId, LeaveReason.RESTARTED, now);
      member = undefined;
    }
    if (m.isStopping) {
      if (member !== undefined) this.#removeMember(nodeId, LeaveReason.STOPPED, now);
      this.#noteTerms(m);
      return;
    }
    const intervalNs = m.intervalUs * 1000;
    if (member === undefined) {
      // Bounded table: a live peer is never evicted for a new one; the newcomer is refused.
      if (this.#members.size >= this.maxMembers) {
        this.counters.membersRefused++;
        return;
      }
      member = {
        info: Object.freeze({ nodeId, mac: m.mac, ip: m.ip, bootId: m.bootId, intervalNs, joinedAt: now }),
        lastHeardAt: now,
        nextSolicitAt: now,
        claims: new Map(),
        loads: [],
      };
      this.#members.set(nodeId, member);
      this.#membershipChanged();
      this.#emit({ type: 'join', at: now, member: member.info });
    } else if (member.info.intervalNs !== intervalNs || member.info.mac !== m.mac) {
      member.info = Object.freeze({ ...member.info, intervalNs, mac: m.mac, ip: m.ip });
      this.#membership = undefined;
    }
    member.lastHeardAt = now;
    // A heartbeat is overdue a quarter interval after it was due: from then on, solicit it.
    member.nextSolicitAt = now + intervalNs + intervalNs / 4;
    member.claims.clear();
    for (let i = 0; i < m.claimCount; i++) {
      const vip = m.claimVip(i);
      member.claims.set(IpAddress.key(vip), {
        role: m.claimRole(i),
        term: m.claimTerm(i),
        metric: m.claimMetric(i),
        tiebreak: m.claimTiebreak(i),
      });
    }
    member.loads.length = 0;
    for (let i = 0; i < m.loadCount; i++) member.loads.push(m.load(i));
    this.#noteTerms(m);
    if (m.solicit === this.nodeId) this.#urgent = true;
  }

  #noteTerms(m: HeartbeatMessage): void {
    for (const v of this.#vips) {
      for (let i = 0; i < m.claimCount; i++) {
        const term = m.claimTerm(i);
        if (term > v.maxTerm && IpAddress.key(m.claimVip(i)) === v.key) v.maxTerm = term;
      }
    }
  }

  /** The best candidate for `v`: this node or a live peer with a claim for it (INIT peers only if `withInit`). */
  #best(v: VipState, withInit: boolean): number {
    let id = this.nodeId;
    let metric = v.metric;
    let tiebreak = v.tiebreak;
    for (const [peer, m] of this.#members) {
      const c = m.claims.get(v.key);
      if (c === undefined || (!withInit && c.role === Role.INIT)) continue;
      if (candidateBefore(c.metric, c.tiebreak, peer, metric, tiebreak, id)) {
        id = peer;
        metric = c.metric;
        tiebreak = c.tiebreak;
      }
    }
    return id;
  }

  #setRole(v: VipState, to: Role, reason: RoleReason, now: number): void {
    const from = v.role;
    if (to === Role.ACTIVE) {
      v.term = v.maxTerm + 1;
      v.maxTerm = v.term;
      v.nextReevalAt = now + this.reevaluationIntervalNs;
    } else {
      v.nextReevalAt = Number.POSITIVE_INFINITY;
    }
    v.role = to;
    v.since = now;
    this.#announce = true; // announce at once, so peers see the change within one propagation delay
    this.#emit({
      type: 'role',
      at: now,
      vip: v.address,
      from,
      to,
      reason,
      term: to === Role.ACTIVE ? v.term : v.maxTerm,
    });
  }

  #evaluate(now: number): void {
    for (const v of this.#vips) {
      let activePeer = false;
      let outranked = false;
      for (const [peer, m] of this.#members) {
        const c = m.claims.get(v.key);
        if (c?.role !== Role.ACTIVE) continue;
        activePeer = true;
        // Split brain: (term, metric, tiebreak, node id); a higher term wins, then the better candidate.
        if (
          c.term > v.term ||
          (c.term === v.term &&
            candidateBefore(c.metric, c.tiebreak, peer, v.metric, v.tiebreak, this.nodeId))
        )
          outranked = true;
      }
      switch (v.role) {
        case Role.INIT:
          if (activePeer) this.#setRole(v, Role.PASSIVE, RoleReason.ACTIVE_SEEN, now);
          // INIT started at start() or, for a VIP added at runtime, at addVip().
          else if (now >= v.since + this.initWaitNs)
            this.#setRole(
              v,
              this.#best(v, true) === this.nodeId ? Role.ACTIVE : Role.PASSIVE,
              RoleReason.INIT_DONE,
              now,
            );
          break;
        case Role.PASSIVE:
          if (!activePeer && this.#best(v, true) === this.nodeId)
            this.#setRole(v, Role.ACTIVE, RoleReason.VACANT, now);
          break;
        default:
          // An active node that sees a claim outranking its own steps down at once.
          if (outranked) this.#setRole(v, Role.PASSIVE, RoleReason.OUTRANKED, now);
          // It outranks another active claim: tell that node now rather than at the next interval.
          else if (activePeer) this.#urgent = true;
      }
    }
  }

  #reevaluate(now: number): void {
    for (const v of this.#vips) {
      if (v.role !== Role.ACTIVE || now < v.nextReevalAt) continue;
      v.nextReevalAt = now + this.reevaluationIntervalNs;
      // The hold time keeps a role at least this long against flapping; failover and step-down ignore it.
      if (!this.preempt || now < v.since + this.holdTimeNs) continue;
      const best = this.#best(v, false);
      if (best === this.nodeId) continue;
      const c = this.#members.get(best)!.claims.get(v.key)!;
      // Preempt only for a strictly better (metric, tiebreak): the node id alone never moves a VIP.
      if (c.metric < v.metric || (c.metric === v.metric && c.tiebreak < v.tiebreak))
        this.#setRole(v, Role.PASSIVE, RoleReason.PREEMPTED, now);
    }
  }

  #service(now: number): void {
    for (const m of [...this.#members.values()]) {
      if (now >= this.#deadline(m)) this.#removeMember(m.info.nodeId, LeaveReason.DEAD, now);
    }
    this.#reevaluate(now);
    this.#evaluate(now);
    const canSend = now >= this.#lastSentAt + this.#minGapNs;
    let solicit = 0;
    if (this.#solicit && canSend) {
      let due = Number.POSITIVE_INFINITY;
      for (const m of this.#members.values()) {
        const deadline = this.#deadline(m);
        if (now >= m.nextSolicitAt && deadline < due) {
          due = deadline;
          solicit = m.info.nodeId;
        }
      }
      if (solicit !== 0) {
        const m = this.#members.get(solicit)!;
        m.nextSolicitAt = now + m.info.intervalNs / 8;
      }
    }
    if (now >= this.#nextHeartbeatAt || this.#announce || (this.#urgent && canSend) || solicit !== 0) {
      this.#send(now, solicit, 0);
      if (now >= this.#nextHeartbeatAt) {
        this.#nextHeartbeatAt += this.heartbeatIntervalNs;
        if (this.#nextHeartbeatAt <= now) this.#nextHeartbeatAt = now + this.heartbeatIntervalNs;
      }
    }
  }

  #send(now: number, solicit: number, flags: number): void {
    if (this.#counter > U64_MAX) {
      this.counters.counterExhausted++;
      return;
    }
    const claims: VipClaim[] = this.#vips.map((v) => ({
      vip: v.address,
      role: v.role,
      term: v.role === Role.ACTIVE ? v.term : v.maxTerm,
      metric: v.metric,
      tiebreak: v.tiebreak,
    }));
    const repr = {
      flags,
      keyId: this.#keys.sendKeyId,
      clusterId: this.clusterId,
      nodeId: this.nodeId,
      mac: this.mac,
      ip: this.ip,
      bootId: this.bootId,
      counter: this.#counter,
      intervalUs: this.#intervalUs,
      solicit,
      claims,
      loads: this.#load,
    };
    const frame = new Uint8Array(14 + heartbeat.encodingLength(repr));
    // Ethernet source is the real MAC, never the virtual MAC (DESIGN.md mechanism A).
    MacAddress.write(this.#group, frame, 0);
    MacAddress.write(this.mac, frame, 6);
    frame[12] = HEARTBEAT_ETHERTYPE >>> 8;
    frame[13] = HEARTBEAT_ETHERTYPE & 0xff;
    heartbeat.seal(repr, this.#keys, frame, 14);
    this.#counter++;
    this.#lastSentAt = now;
    this.#urgent = false;
    this.#announce = false;
    this.counters.heartbeatsSent++;
    if (solicit !== 0) this.counters.solicitsSent++;
    if (this.#tx.length >= TX_QUEUE_LIMIT) {
      this.counters.transmitDropped++;
      return;
    }
    this.#tx.push(frame);
  }
}
