/**
 * A learning bridge (IEEE 802.1D-2004 §7.7-7.9, §8.7): learns the source MAC of every frame
 * on its ingress port, ages entries, forwards known unicast to one port, and floods unknown
 * unicast, broadcast and multicast to every port but the ingress. A MAC that never appears
 * as a source (Switchyard's virtual MAC) is never learned and so always flooded.
 */
import {
  ArpPacket,
  EthernetFrame,
  EtherType,
  InvalidArgumentError,
  type MacAddress,
  Status,
} from '@switchyard/wire';
import type { Attachable, Cable, Tap } from './cable.js';
import type { Channel } from './channel.js';
import type { Scheduler } from './time.js';

/** What to do with a new source MAC when the table is full. */
export const TableFullPolicy = {
  /** Evict the entry learned longest ago (counted in `evicted`), then learn. */
  EVICT_OLDEST: 'evict-oldest',
  /** Keep the table; the new MAC stays unknown and is flooded (counted in `refused`). */
  REFUSE: 'refuse',
} as const;
export type TableFullPolicy = (typeof TableFullPolicy)[keyof typeof TableFullPolicy];

export interface SwitchOptions {
  /** Number of ports (1 to 4096). */
  ports: number;
  name?: string;
  /** Ageing time in nanoseconds (802.1D §7.9.2 default: 300 s). */
  agingTimeNs?: number;
  /** Most MAC entries held (default 8192). */
  macTableCapacity?: number;
  tableFullPolicy?: TableFullPolicy;
  /**
   * Models a misbehaving switch that also learns the sender hardware address of ARP
   * packets on the ingress port. A real bridge learns only Ethernet source addresses;
   * one that snoops ARP learns the virtual MAC from an ARP reply and stops flooding it.
   */
  learnFromArp?: boolean;
}

/** Per-port counters, from the switch's point of view. */
export interface PortCounters {
  rxFrames: number;
  rxBytes: number;
  txFrames: number;
  txBytes: number;
  /** Frames received that were not valid Ethernet. */
  rxDrops: number;
  /** Frames forwarded to this port while it had no cable (floods skip such ports). */
  txDrops: number;
}

export interface SwitchCounters {
  /** Frames sent to exactly one port (known unicast). */
  forwarded: number;
  /** Frames flooded (unknown unicast, broadcast, multicast). */
  flooded: number;
  /** Frames dropped because the destination sits on the ingress port (802.1D §7.7.1). */
  filtered: number;
  /** New MAC entries. */
  learned: number;
  /** Entries whose port changed (a station moved). */
  moved: number;
  /** Entries removed by ageing. */
  aged: number;
  /** Entries evicted to make room (policy `evict-oldest`). */
  evicted: number;
  /** New MACs not learned because the table was full (policy `refuse`). */
  refused: number;
  /** Entries learned or refreshed from an ARP payload (`learnFromArp`). */
  arpLearned: number;
  /** Frames too short or malformed to be Ethernet. */
  malformed: number;
}

/** One MAC table entry as reported by `Switch.macTable`. */
export interface MacEntry {
  mac: MacAddress;
  port: number;
  /** Virtual time the source was last seen. */
  lastSeen: number;
}

interface Entry {
  port: number;
  lastSeen: number;
}

/** One port of a `Switch`. */
export class SwitchPort implements Attachable {
  readonly counters: PortCounters = {
    rxFrames: 0,
    rxBytes: 0,
    txFrames: 0,
    txBytes: 0,
    rxDrops: 0,
    txDrops: 0,
  };
  #cable: Cable | undefined;
  out: Channel | undefined;
  taps: Tap[] = [];

  constructor(
    private readonly owner: Switch,
    readonly index: number,
    readonly name: string,
  ) {}

  get cable(): Cable | undefined {
    return this.#cable;
  }

  addTap(tap: Tap): () => void {
    this.taps.push(tap);
    return () => {
      this.taps = this.taps.filter((t) => t !== tap);
    };
  }

  plug(cable: Cable, out: Channel): void {
    this.#cable = cable;
    this.out = out;
  }

  arrive(frame: Uint8Array): void {
    this.owner.ingress(this, frame);
  }
}

/** A learning, flooding Ethernet switch. */
export class Switch {
  readonly name: string;
  readonly ports: readonly SwitchPort[];
  readonly agingTimeNs: number;
  readonly macTableCapacity: number;
  readonly tableFullPolicy: TableFullPolicy;
  readonly learnFromArp: boolean;
  readonly counters: SwitchCounters = {
    forwarded: 0,
    flooded: 0,
    filtered: 0,
    learned: 0,
    moved: 0,
    aged: 0,
    evicted: 0,
    refused: 0,
    arpLearned: 0,
    malformed: 0,
  };
  /** Insertion order is learning order: the first key is the oldest entry. */
  readonly #table = new Map<MacAddress, Entry>();
  readonly #eth = new EthernetFrame();
  readonly #arp = new ArpPacket();

  constructor(
    private readonly scheduler: Scheduler,
    options: SwitchOptions,
  ) {
    const n = options.ports;
    if (!Number.isInteger(n) || n < 1 || n > 4096) {
      throw new InvalidArgumentError('netsim', 'ports', `expected an integer in [1, 4096], got ${n}`);
    }
    this.name = options.name ?? 'switch';
    this.agingTimeNs = options.agingTimeNs ?? 300e9;
    if (!(this.agingTimeNs > 0)) throw new InvalidArgumentError('netsim', 'agingTimeNs', 'must be > 0');
    this.macTableCapacity = options.macTableCapacity ?? 8192;
    if (!Number.isInteger(this.macTableCapacity) || this.macTableCapacity < 1) {
      throw new InvalidArgumentError('netsim', 'macTableCapacity', 'must be an integer >= 1');
    }
    this.tableFullPolicy = options.tableFullPolicy ?? TableFullPolicy.EVICT_OLDEST;
    this.learnFromArp = options.learnFromArp ?? false;
    const ports: SwitchPort[] = [];
    for (let i = 0; i < n; i++) ports.push(new SwitchPort(this, i, `${this.name}/${i}`));
    this.ports = ports;
  }

  /** Port `i`; throws when out of range. */
  port(i: number): SwitchPort {
    const p = this.ports[i];
    if (p === undefined) throw new InvalidArgumentError('netsim', 'port', `${this.name} has no port ${i}`);
    return p;
  }

  /** The port `mac` was learned on, or undefined (unknown or aged out). */
  lookup(mac: MacAddress): number | undefined {
    return this.#live(mac, this.scheduler.now)?.port;
  }

  /** A snapshot of the live entries, oldest learned first. */
  macTable(): MacEntry[] {
    const now = this.scheduler.now;
    const out: MacEntry[] = [];
    for (const [mac, e] of this.#table) {
      if (now - e.lastSeen < this.agingTimeNs) out.push({ mac, port: e.port, lastSeen: e.lastSeen });
    }
    return out;
  }

  /** Removes every entry (like `clear mac address-table dynamic`). */
  flush(): void {
    this.#table.clear();
  }

  /** Internal: a frame arrives on `port`. */
  ingress(port: SwitchPort, frame: Uint8Array): void {
    const now = this.scheduler.now;
    const pc = port.counters;
    pc.rxFrames++;
    pc.rxBytes += frame.length;
    for (const tap of port.taps) tap(frame, 'rx', now);
    const eth = this.#eth;
    if (eth.check(frame) !== Status.OK) {
      this.counters.malformed++;
      pc.rxDrops++;
      return;
    }
    const dst = eth.destination;
    const groupDst = eth.isDestinationGroup;
    // 802.1D §7.8: learn from the source address; a group address is never a valid source.
    if ((frame[6]! & 1) === 0) this.#learn(eth.source, port.index, now);
    if (this.learnFromArp && eth.etherType === EtherType.ARP) this.#learnArp(frame, eth, port.index, now);
    if (groupDst) {
      this.#flood(port.index, frame);
      return;
    }
    const entry = this.#live(dst, now);
    if (entry === undefined) {
      this.#flood(port.index, frame);
    } else if (entry.port === port.index) {
      this.counters.filtered++;
    } else {
      this.counters.forwarded++;
      this.#send(this.ports[entry.port]!, frame);
    }
  }

  #live(mac: MacAddress, now: number): Entry | undefined {
    const e = this.#table.get(mac);
    if (e === undefined) return undefined;
    // 802.1D §7.9.2: an entry not refreshed within the ageing time is removed.
    if (now - e.lastSeen >= this.agingTimeNs) {
      this.#table.delete(mac);
      this.counters.aged++;
      return undefined;
    }
    return e;
  }

  #learn(mac: MacAddress, port: number, now: number): void {
    const e = this.#live(mac, now);
    if (e !== undefined) {
      if (e.port !== port) {
        e.port = port;
        this.counters.moved++;
      }
      e.lastSeen = now;
      return;
    }
    const t = this.#table;
    if (t.size >= this.macTableCapacity) {
      this.#sweep(now);
      if (t.size >= this.macTableCapacity) {
        if (this.tableFullPolicy === TableFullPolicy.REFUSE) {
          this.counters.refused++;
          return;
        }
        const oldest = t.keys().next().value as MacAddress;
        t.delete(oldest);
        this.counters.evicted++;
      }
    }
    t.set(mac, { port, lastSeen: now });
    this.counters.learned++;
  }

  #sweep(now: number): void {
    for (const [mac, e] of this.#table) {
      if (now - e.lastSeen >= this.agingTimeNs) {
        this.#table.delete(mac);
        this.counters.aged++;
      }
    }
  }

  #learnArp(frame: Uint8Array, eth: EthernetFrame, port: number, now: number): void {
    const arp = this.#arp;
    if (arp.check(frame, eth.payloadOffset, eth.payloadLength) !== Status.OK || !arp.isEthernetIpv4) return;
    // Sender hardware address, read byte by byte (see README: wire's MacAddress.read keeps 32 bits).
    const at = arp.offset + 8;
    let sha = 0;
    for (let i = 0; i < 6; i++) sha = sha * 256 + frame[at + i]!;
    if (Math.floor(sha / 2 ** 40) & 1) return;
    this.counters.arpLearned++;
    this.#learn(sha, port, now);
  }

  #flood(ingress: number, frame: Uint8Array): void {
    this.counters.flooded++;
    const ports = this.ports;
    let last = -1;
    for (let i = ports.length - 1; i >= 0; i--) {
      if (i !== ingress && ports[i]!.out !== undefined) {
        last = i;
        break;
      }
    }
    for (let i = 0; i < ports.length; i++) {
      if (i === ingress) continue;
      const p = ports[i]!;
      if (p.out === undefined) continue; // no cable: link down, nothing to send on
      // Every receiver owns its copy; the last one takes the original.
      this.#send(p, i === last ? frame : frame.slice());
    }
  }

  #send(port: SwitchPort, frame: Uint8Array): void {
    const out = port.out;
    const pc = port.counters;
    if (out === undefined) {
      pc.txDrops++;
      return;
    }
    pc.txFrames++;
    pc.txBytes += frame.length;
    for (const tap of port.taps) tap(frame, 'tx', this.scheduler.now);
    out.transmit(frame);
  }
}
