/**
 * A bounded, aged neighbor table (IP address → MAC) learned from ARP and Neighbor Discovery.
 * IPv4 keys are numbers and IPv6 keys bigints, so one Map holds both families.
 */
import { InvalidArgumentError, type MacAddress } from '@switchyard/wire';
import type { IpAddress } from './addresses.js';

/** One entry as reported by `NeighborTable.entries`. */
export interface NeighborEntry {
  address: IpAddress;
  mac: MacAddress;
  /** Virtual time (ns) the mapping was last learned or confirmed. */
  updatedAt: number;
}

export interface NeighborTableOptions {
  /** Most entries held (default 1024). */
  capacity?: number;
  /** An entry not confirmed for this long (ns) is gone (default 60 s, Linux's `gc_stale_time`). */
  lifetimeNs?: number;
}

export interface NeighborTableCounters {
  /** New entries. */
  learned: number;
  /** Entries confirmed with the same MAC. */
  refreshed: number;
  /** Entries whose MAC changed. */
  changed: number;
  /** Entries removed because they outlived `lifetimeNs`. */
  expired: number;
  /** Entries removed to make room for a new one (the least recently confirmed goes first). */
  evicted: number;
}

/** What `set` did. */
export type NeighborUpdate = 'learned' | 'refreshed' | 'changed';

interface Entry {
  mac: MacAddress;
  updatedAt: number;
}

export class NeighborTable {
  readonly capacity: number;
  readonly lifetimeNs: number;
  readonly counters: NeighborTableCounters = { learned: 0, refreshed: 0, changed: 0, expired: 0, evicted: 0 };
  /** Insertion order is confirmation order: the first key is the least recently confirmed. */
  readonly #map = new Map<IpAddress, Entry>();

  constructor(options: NeighborTableOptions = {}) {
    this.capacity = options.capacity ?? 1024;
    this.lifetimeNs = options.lifetimeNs ?? 60e9;
    if (!Number.isInteger(this.capacity) || this.capacity < 1) {
      throw new InvalidArgumentError('arp', 'neighbors.capacity', 'must be an integer >= 1');
    }
    if (!(this.lifetimeNs > 0)) throw new InvalidArgumentError('arp', 'neighbors.lifetimeNs', 'must be > 0');
  }

  /** Entries held, including expired ones not yet swept. */
  get size(): number {
    return this.#map.size;
  }

  /** The MAC for `address`, or undefined when unknown or expired (an expired entry is removed). */
  lookup(address: IpAddress, now: number): MacAddress | undefined {
    return this.#live(address, now)?.mac;
  }

  /** A copy of the live entry for `address`. */
  get(address: IpAddress, now: number): NeighborEntry | undefined {
    const e = this.#live(address, now);
    return e === undefined ? undefined : { address, mac: e.mac, updatedAt: e.updatedAt };
  }

  has(address: IpAddress, now: number): boolean {
    return this.#live(address, now) !== undefined;
  }

  /** Learns or confirms `address` → `mac` at `now`; when full, sweeps, then evicts the least recently confirmed. */
  set(address: IpAddress, mac: MacAddress, now: number): NeighborUpdate {
    const map = this.#map;
    const e = this.#live(address, now);
    if (e !== undefined) {
      const changed = e.mac !== mac;
      map.delete(address); // re-insert: it is now the most recently confirmed
      map.set(address, { mac, updatedAt: now });
      if (changed) {
        this.counters.changed++;
        return 'changed';
      }
      this.counters.refreshed++;
      return 'refreshed';
    }
    if (map.size >= this.capacity) {
      this.sweep(now);
      if (map.size >= this.capacity) {
        const oldest = map.keys().next().value as IpAddress;
        map.delete(oldest);
        this.counters.evicted++;
      }
    }
    map.set(address, { mac, updatedAt: now });
    this.counters.learned++;
    return 'learned';
  }

  /** Marks a live entry confirmed at `now` without changing its MAC; false when there is none. */
  refresh(address: IpAddress, now: number): boolean {
    const e = this.#live(address, now);
    if (e === undefined) return false;
    this.set(address, e.mac, now);
    return true;
  }

  delete(address: IpAddress): boolean {
    return this.#map.delete(address);
  }

  clear(): void {
    this.#map.clear();
  }

  /** Removes every expired entry; returns how many. */
  sweep(now: number): number {
    let n = 0;
    for (const [address, e] of this.#map) {
      if (now - e.updatedAt >= this.lifetimeNs) {
        this.#map.delete(address);
        n++;
      }
    }
    this.counters.expired += n;
    return n;
  }

  /** A snapshot of the live entries, least recently confirmed first. */
  entries(now: number): NeighborEntry[] {
    const out: NeighborEntry[] = [];
    for (const [address, e] of this.#map) {
      if (now - e.updatedAt < this.lifetimeNs) out.push({ address, mac: e.mac, updatedAt: e.updatedAt });
    }
    return out;
  }

  #live(address: IpAddress, now: number): Entry | undefined {
    const e = this.#map.get(address);
    if (e === undefined) return undefined;
    if (now - e.updatedAt >= this.lifetimeNs) {
      this.#map.delete(address);
      this.counters.expired++;
      return undefined;
    }
    return e;
  }
}
