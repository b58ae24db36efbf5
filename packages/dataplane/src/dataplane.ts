/**
 * The pipeline of a flood-cluster node (DESIGN.md "Data path of a flood-cluster node"): one
 * frame in, one verdict out. Sans-I/O: the caller passes `now` (milliseconds, any monotonic
 * origin, the flow table's unit) and does the I/O the verdict asks for. The control plane
 * publishes `OwnershipSnapshot`s; the pipeline only reads the current one.
 *
 * The order of the checks, each counted in its own `Outcome`:
 *   Ethernet decodes → not from our real MAC → ARP/NDP → heartbeat → decodes fully → not from
 *   a vMAC → IP → to a VIP → to its vMAC → not a fragment → has ports (or is an echo) → port
 *   served → ICMP error / TCP / UDP placement by the VIP's policy and non-SYN mode.
 */
import {
  additive3Sum,
  additive5Sum,
  extractFlowKey,
  FlowHasher,
  FlowKey,
  FlowKeyStatus,
} from '@switchyard/flowhash';
import {
  decodeFrame,
  FrameDecoder,
  InvalidArgumentError,
  type Ipv4Address,
  type Ipv6Address,
} from '@switchyard/wire';
import {
  checkConfig,
  type DataplaneConfig,
  NonSynMode,
  OwnershipPolicy,
  RstMode,
  vipVersion,
} from './config.js';
import { FlowState, FlowTable } from './flow-table.js';
import { buildSnapshot, checkSnapshot, type OwnershipSnapshot } from './snapshot.js';
import {
  type DataplaneCounters,
  OUTCOME_COUNT,
  OUTCOME_NAMES,
  Outcome,
  Verdict,
  VerdictCode,
} from './verdict.js';
import { addressWords, VipTable } from './vip-table.js';

// Policy codes per VIP (numbers on the hot path, not strings).
const P_ACTIVE_PASSIVE = 0;
const P_ADDITIVE3 = 1;
const P_ADDITIVE5 = 2;
const P_RENDEZVOUS = 3;
const POLICY_CODES: Readonly<Record<OwnershipPolicy, number>> = {
  [OwnershipPolicy.ACTIVE_PASSIVE]: P_ACTIVE_PASSIVE,
  [OwnershipPolicy.ADDITIVE3]: P_ADDITIVE3,
  [OwnershipPolicy.ADDITIVE5]: P_ADDITIVE5,
  [OwnershipPolicy.RENDEZVOUS]: P_RENDEZVOUS,
};

// wire's Layer bits and TCP flags as literals (an imported constant object costs a load per use).
const L_ETHERNET = 1;
const L_ARP = 4;
const L_IPV4 = 8;
const L_IPV6 = 16;
const L_TCP = 32;
const L_ICMPV4 = 128;
const L_ICMPV6 = 256;
const L_FRAGMENT = 512;
const F_FIN = 0x01;
const F_SYN = 0x02;
const F_RST = 0x04;
const F_ACK = 0x10;
/** IEEE 802 local experimental EtherType 1: the election's heartbeats. */
const ETHERTYPE_HEARTBEAT = 0x88b5;
/** Bytes of one VIP's port bitmap. */
const PORT_BITMAP_BYTES = 8192;

export class Dataplane {
  /** The verdict of the last `handleFrame`, overwritten by the next call. */
  readonly verdict = new Verdict();
  /** One count per `Outcome` (index); they sum to the frames handled. Read them, never write. */
  readonly counts = new Float64Array(OUTCOME_COUNT);
  /** The local flow table (sticky VIPs). Exposed for metrics and inspection. */
  readonly flows: FlowTable;
  /** The keyed flow hash (the cluster key); also hashes keys for `adopt`. */
  readonly hasher: FlowHasher;

  readonly #decoder = new FrameDecoder();
  readonly #key = new FlowKey();
  readonly #vips: VipTable;
  readonly #vipCount: number;
  readonly #vipWords: Uint32Array;
  readonly #policy: Uint8Array;
  readonly #sticky: Uint8Array;
  readonly #vmac: Float64Array;
  /** Byte offset of each VIP's port bitmap in `#ports`, or -1 when it serves every port. */
  readonly #portBase: Int32Array;
  readonly #ports: Uint8Array;
  readonly #macHigh: number;
  readonly #macLow: number;
  /** Virtual MACs, split like `#macHigh`/`#macLow`, for the vMAC-source check. */
  readonly #vmacHigh: Uint16Array;
  readonly #vmacLow: Uint32Array;
  readonly #rstRemoves: boolean;
  readonly #hasRendezvous: boolean;
  /** Per VIP: 1 when its packets need the flow hash (sticky table, or rendezvous). */
  readonly #hashed: Uint8Array;
  /** The current packet's flow hash (int32), when its VIP needs one. */
  #hash = 0;
  #snapshot: OwnershipSnapshot;

  constructor(config: DataplaneConfig) {
    checkConfig(config);
    const vips = config.vips;
    const n = vips.length;
    this.flows = new FlowTable(config.flows);
    this.hasher = new FlowHasher({ key: config.hashKey });
    this.#vips = new VipTable(vips.map((v) => v.address));
    this.#vipCount = n;
    this.#vipWords = new Uint32Array(n * 4);
    this.#policy = new Uint8Array(n);
    this.#sticky = new Uint8Array(n);
    this.#hashed = new Uint8Array(n);
    this.#vmac = new Float64Array(n).fill(-1);
    this.#portBase = new Int32Array(n).fill(-1);
    const filtered = vips.filter((v) => v.ports !== undefined && v.ports.length > 0).length;
    this.#ports = new Uint8Array(filtered * PORT_BITMAP_BYTES);
    const vmacs = [...new Set(vips.flatMap((v) => (v.vmac === undefined ? [] : [v.vmac])))];
    this.#vmacHigh = Uint16Array.from(vmacs, (m) => Math.floor(m / 2 ** 32));
    this.#vmacLow = Uint32Array.from(vmacs, (m) => m % 2 ** 32);
    let base = 0;
    vips.forEach((vip, i) => {
      addressWords(vip.address, this.#vipWords.subarray(i * 4, i * 4 + 4));
      this.#policy[i] = POLICY_CODES[vip.policy ?? OwnershipPolicy.ACTIVE_PASSIVE];
      this.#sticky[i] = (vip.nonSyn ?? NonSynMode.STICKY) === NonSynMode.STICKY ? 1 : 0;
      this.#hashed[i] = this.#sticky[i] === 1 || vip.policy === OwnershipPolicy.RENDEZVOUS ? 1 : 0;
      if (vip.vmac !== undefined) this.#vmac[i] = vip.vmac;
      if (vip.ports !== undefined && vip.ports.length > 0) {
        this.#portBase[i] = base;
        for (const p of vip.ports) this.#ports[base + (p >>> 3)]! |= 1 << (p & 7);
        base += PORT_BITMAP_BYTES;
      }
    });
    this.#macHigh = Math.floor(config.mac / 2 ** 32);
    this.#macLow = config.mac % 2 ** 32;
    this.#rstRemoves = config.rst === RstMode.REMOVE;
    this.#hasRendezvous = vips.some((v) => v.policy === OwnershipPolicy.RENDEZVOUS);
    // Until the control plane publishes, nobody owns anything: no SYN is taken, held flows are served.
    this.#snapshot = buildSnapshot({ vips, selfId: 0, members: [] });
  }

  /** The snapshot in use. */
  get snapshot(): OwnershipSnapshot {
    return this.#snapshot;
  }

  /**
   * Swaps in a snapshot the control plane built with `buildSnapshot` for this data plane's VIPs.
   * Only its shape is checked (no per-row work); the next frame already uses it.
   */
  publish(snapshot: OwnershipSnapshot): void {
    checkSnapshot(snapshot, this.#vipCount);
    if (this.#hasRendezvous && snapshot.members.length > 0 && snapshot.primaries.length === 0)
      throw new InvalidArgumentError('dataplane', 'primaries', 'a rendezvous VIP needs the bucket table');
    this.#snapshot = snapshot;
  }

  /**
   * Classifies the frame in `bytes[offset, offset + length)` received at `now` (ms) and
   * returns the reused `verdict`. Never throws on frame contents and allocates nothing as long
   * as `bytes` is the same array as on the previous call (a receive ring); only a range
   * outside `bytes` is an `InvalidArgumentError`.
   */
  handleFrame(bytes: Uint8Array, now: number, offset = 0, length = bytes.length - offset): Verdict {
    const v = this.verdict;
    v.vip = -1;
    v.flow = -1;
    const d = this.#decoder;
    const layers = decodeFrame(bytes, d, offset, length);
    if ((layers & L_ETHERNET) === 0) return this.#finish(VerdictCode.DROP, Outcome.MALFORMED);
    const dv = d.dv;
    const srcHigh = dv.getUint16(offset + 6);
    const srcLow = dv.getUint32(offset + 8);
    // FIELD-NOTES: a packet socket also sees the node's own sends.
    if (srcHigh === this.#macHigh && srcLow === this.#macLow)
      return this.#finish(VerdictCode.DROP, Outcome.OWN_ECHO);
    // FIELD-NOTES: answer ARP for the VIP whatever the destination MAC (the responder decides).
    if ((layers & L_ARP) !== 0) return this.#finish(VerdictCode.CONTROL_ARP, Outcome.CONTROL_ARP);
    if (d.status !== 0) return this.#finish(VerdictCode.DROP, Outcome.MALFORMED);
    if ((layers & L_ICMPV6) !== 0) {
      const type = d.icmpv6.type;
      // RFC 4861 §4.3, §4.4: neighbor solicitation and advertisement go to the NDP responder.
      if (type === 135 || type === 136) return this.#finish(VerdictCode.CONTROL_ARP, Outcome.CONTROL_ARP);
    }
    if ((layers & (L_IPV4 | L_IPV6)) === 0) {
      if (d.ethernet.etherType === ETHERTYPE_HEARTBEAT)
        return this.#finish(VerdictCode.CONTROL_HEARTBEAT, Outcome.CONTROL_HEARTBEAT);
      return this.#finish(VerdictCode.DROP, Outcome.UNSUPPORTED);
    }
    for (let i = 0; i < this.#vmacLow.length; i++) {
      // DESIGN.md A: no frame is ever sent from the vMAC; one that is means a misconfigured or hostile station.
      if (srcLow === this.#vmacLow[i] && srcHigh === this.#vmacHigh[i])
        return this.#finish(VerdictCode.DROP, Outcome.VMAC_SOURCE);
    }

    // --- To a VIP?
    let vip: number;
    if ((layers & L_IPV4) !== 0) {
      vip = this.#vips.lookup(4, d.ipv4.destination, 0, 0, 0);
    } else {
      const b = d.ipv6.offset + 24; // Ipv6Field.DESTINATION
      vip = this.#vips.lookup(
        6,
        dv.getUint32(b),
        dv.getUint32(b + 4),
        dv.getUint32(b + 8),
        dv.getUint32(b + 12),
      );
    }
    if (vip < 0) return this.#finish(VerdictCode.DROP, Outcome.NOT_FOR_VIP);
    v.vip = vip;
    const vmac = this.#vmac[vip]!;
    if (vmac >= 0 && dv.getUint16(offset) * 0x1_0000_0000 + dv.getUint32(offset + 2) !== vmac)
      return this.#finish(VerdictCode.DROP, Outcome.NOT_TO_VMAC);
    // Fragments carry no ports past the first, so no policy can place them (see the README).
    if ((layers & L_FRAGMENT) !== 0) return this.#finish(VerdictCode.DROP, Outcome.FRAGMENT);

    const key = this.#key;
    const status = extractFlowKey(d, key);
    // One hash per packet, at one call site, as an int32: a u32 above 2^31 returned by a call
    // V8 did not inline is boxed, which is an allocation.
    this.#hash =
      this.#hashed[vip] !== 0 && status !== FlowKeyStatus.MALFORMED ? this.hasher.hashInt32(key) : 0;
    if (status === FlowKeyStatus.OK) {
      if (!this.#portServed(vip, key.destinationPort))
        return this.#finish(VerdictCode.DROP, Outcome.PORT_NOT_SERVED);
      if ((layers & L_TCP) !== 0) return this.#tcp(vip, dv.getUint8(d.tcp.offset + 13), now);
      return this.#udp(vip, now);
    }
    if (status === FlowKeyStatus.ICMP_ERROR) return this.#icmpError(vip);
    if (status === FlowKeyStatus.NO_PORTS) {
      // An echo request is placed like a flow without ports: exactly one node answers a ping to the VIP.
      const echo =
        (layers & L_ICMPV4) !== 0 ? d.icmpv4.type === 8 : (layers & L_ICMPV6) !== 0 && d.icmpv6.type === 128;
      if (!echo) return this.#finish(VerdictCode.DROP, Outcome.UNSUPPORTED);
      if (!this.#owns(vip, key)) return this.#finish(VerdictCode.DROP, Outcome.NOT_OWNER);
      return this.#finish(VerdictCode.DELIVER, Outcome.DELIVERED_ECHO);
    }
    // MALFORMED: an ICMP error whose quote does not read (decode failures returned above).
    return this.#finish(VerdictCode.DROP, Outcome.MALFORMED);
  }

  #tcp(vip: number, flags: number, now: number): Verdict {
    const key = this.#key;
    const v = this.verdict;
    // A connection request: SYN without ACK (and without RST, which makes it no request at all).
    const syn = (flags & (F_SYN | F_ACK | F_RST)) === F_SYN;
    if (this.#sticky[vip] === 0) {
      // Stateless (DESIGN.md B): the policy alone decides, for every segment.
      if (!this.#owns(vip, key)) return this.#finish(VerdictCode.DROP, Outcome.NOT_OWNER);
      return this.#finish(VerdictCode.DELIVER, syn ? Outcome.DELIVERED_NEW : Outcome.DELIVERED_FLOW);
    }
    const flows = this.flows;
    const hash = this.#hash;
    let slot = flows.find(key, hash);
    if (syn) {
      // FIELD-NOTES: exactly one node may accept each SYN, so a SYN goes by the policy alone. A
      // node that still held the 4-tuple (a SYN retransmitted after a role change, or a reused
      // port) forgets it: the owner takes the connection, and this node's half-open socket
      // times out with nothing delivered to it.
      if (!this.#owns(vip, key)) {
        if (slot >= 0) flows.remove(slot);
        return this.#finish(VerdictCode.DROP, Outcome.NOT_OWNER);
      }
      if (slot >= 0) {
        if (flows.state(slot) === FlowState.CLOSING) flows.reopen(slot, now);
        else flows.touch(slot, now);
        v.flow = slot;
        return this.#finish(VerdictCode.DELIVER, Outcome.DELIVERED_FLOW);
      }
      slot = flows.insert(key, hash, now, vip);
      if (slot < 0) return this.#finish(VerdictCode.DROP, Outcome.TABLE_FULL);
      v.flow = slot;
      return this.#finish(VerdictCode.DELIVER, Outcome.DELIVERED_NEW);
    }
    // DESIGN.md sticky / FIELD-NOTES: never deliver a non-SYN of a flow this node does not hold (its kernel would RST it).
    if (slot < 0) return this.#finish(VerdictCode.DROP, Outcome.NO_FLOW);
    if ((flags & F_RST) !== 0) {
      // Deliver the RST, then forget the flow (`remove`) or let it linger (`linger`, RFC 5961 §3).
      if (this.#rstRemoves) {
        flows.remove(slot);
        return this.#finish(VerdictCode.DELIVER, Outcome.DELIVERED_FLOW);
      }
      flows.close(slot, now);
    } else if ((flags & F_FIN) !== 0) {
      // FIELD-NOTES: keep a flow after FIN until the last ACK is delivered (closingTimeoutMs).
      flows.close(slot, now);
    } else {
      flows.touch(slot, now);
    }
    v.flow = slot;
    return this.#finish(VerdictCode.DELIVER, Outcome.DELIVERED_FLOW);
  }

  #udp(vip: number, now: number): Verdict {
    const key = this.#key;
    if (this.#sticky[vip] === 0) {
      if (!this.#owns(vip, key)) return this.#finish(VerdictCode.DROP, Outcome.NOT_OWNER);
      return this.#finish(VerdictCode.DELIVER, Outcome.DELIVERED_FLOW);
    }
    const flows = this.flows;
    const hash = this.#hash;
    let slot = flows.find(key, hash);
    if (slot >= 0) {
      flows.touch(slot, now);
      this.verdict.flow = slot;
      return this.#finish(VerdictCode.DELIVER, Outcome.DELIVERED_FLOW);
    }
    // UDP has no SYN: a datagram of a flow this node does not hold is placed like a new flow.
    if (!this.#owns(vip, key)) return this.#finish(VerdictCode.DROP, Outcome.NOT_OWNER);
    slot = flows.insert(key, hash, now, vip);
    if (slot < 0) return this.#finish(VerdictCode.DROP, Outcome.TABLE_FULL);
    this.verdict.flow = slot;
    return this.#finish(VerdictCode.DELIVER, Outcome.DELIVERED_NEW);
  }

  /** An ICMP error quoting a flow (RFC 1122 §3.2.2, RFC 4443 §2.4): it goes where the flow lives. */
  #icmpError(vip: number): Verdict {
    const key = this.#key;
    // The quote must be a packet the VIP sent: its (reversed) destination is the VIP.
    const w = this.#vipWords;
    const b = vip * 4;
    const dst = key.destination;
    if (dst[0] !== w[b] || dst[1] !== w[b + 1] || dst[2] !== w[b + 2] || dst[3] !== w[b + 3])
      return this.#finish(VerdictCode.DROP, Outcome.NOT_FOR_VIP);
    if (!this.#portServed(vip, key.destinationPort))
      return this.#finish(VerdictCode.DROP, Outcome.PORT_NOT_SERVED);
    if (this.#sticky[vip] === 0) {
      if (!this.#owns(vip, key)) return this.#finish(VerdictCode.DROP, Outcome.NOT_OWNER);
      return this.#finish(VerdictCode.DELIVER, Outcome.DELIVERED_ICMP_ERROR);
    }
    // An error does not keep a flow alive: found, not touched.
    const slot = this.flows.find(key, this.#hash);
    if (slot < 0) return this.#finish(VerdictCode.DROP, Outcome.NO_FLOW);
    this.verdict.flow = slot;
    return this.#finish(VerdictCode.DELIVER, Outcome.DELIVERED_ICMP_ERROR);
  }

  /** Whether this node owns `key` under `vip`'s policy in the current snapshot (`#hash` is the key's). */
  #owns(vip: number, key: FlowKey): boolean {
    const s = this.#snapshot;
    switch (this.#policy[vip]) {
      case P_ACTIVE_PASSIVE:
        // DESIGN.md A: one elected owner for the whole VIP.
        return s.active[vip] === s.selfId;
      case P_ADDITIVE3:
        // DESIGN.md B: (SRC_IP + DST_IP + DST_PORT) % N, N the live members in ascending id order.
        return s.selfIndex >= 0 && additive3Sum(key) % s.members.length === s.selfIndex;
      case P_ADDITIVE5:
        // DESIGN.md B: (SRC_IP + SRC_PORT + DST_IP + DST_PORT + PROTOCOL) % N.
        return s.selfIndex >= 0 && additive5Sum(key) % s.members.length === s.selfIndex;
      default: {
        // DESIGN.md C: the rendezvous primary of the flow's keyed hash.
        const rows = s.primaries.length;
        if (rows === 0) return false;
        return s.primaries[this.#hash & (rows - 1)] === s.selfId;
      }
    }
  }

  #portServed(vip: number, port: number): boolean {
    const base = this.#portBase[vip]!;
    return base < 0 || (this.#ports[base + (port >>> 3)]! & (1 << (port & 7))) !== 0;
  }

  #finish(code: VerdictCode, outcome: Outcome): Verdict {
    const v = this.verdict;
    v.code = code;
    v.outcome = outcome;
    this.counts[outcome]!++;
    return v;
  }

  /**
   * Records a flow this node already serves (a daemon restart rebuilding its table from the
   * kernel's sockets on the VIPs, FIELD-NOTES). `key` is client → VIP. Returns false when the
   * destination is not a sticky VIP or the table is full (counted in `flows.counters.refused`).
   */
  adopt(key: FlowKey, now: number): boolean {
    const d = key.destination;
    const vip = this.#vips.lookup(key.version, d[0]!, d[1]!, d[2]!, d[3]!);
    if (vip < 0 || this.#sticky[vip] === 0) return false;
    return this.flows.insert(key, this.hasher.hashInt32(key), now, vip) >= 0;
  }

  /** Forgets expired flows, visiting at most `budget` table slots (see `FlowTable.expire`). */
  expire(now: number, budget?: number): number {
    return this.flows.expire(now, budget);
  }

  /** Frames handled (the sum of `counts`). */
  get frames(): number {
    let sum = 0;
    for (let i = 0; i < OUTCOME_COUNT; i++) sum += this.counts[i]!;
    return sum;
  }

  /** The counts as a plain object, for metrics (allocates; call it at scrape time). */
  counters(): DataplaneCounters {
    const out = { frames: this.frames } as DataplaneCounters;
    OUTCOME_NAMES.forEach((name, i) => {
      out[name] = this.counts[i]!;
    });
    return out;
  }

  /** The index of the VIP with this address, or -1 (off the hot path). */
  vipIndex(address: Ipv4Address | Ipv6Address): number {
    vipVersion(address, 'address');
    const w = new Uint32Array(4);
    const version = addressWords(address, w);
    return this.#vips.lookup(version, w[0]!, w[1]!, w[2]!, w[3]!);
  }
}
