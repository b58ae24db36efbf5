/**
 * The local flow table: which flows this node established, so `sticky` delivery can keep
 * serving them whatever the ownership policy says now (DESIGN.md "sticky"). Bounded, with
 * idle expiry, and allocation-free on the per-packet path: open addressing with linear
 * probing over typed arrays, backward-shift deletion (no tombstones), and a load factor of
 * at most 1/2.
 *
 * The caller supplies each key's 32-bit hash. It must be keyed with a secret (for example
 * `@switchyard/flowhash`'s SipHash): an attacker who can predict the index of a flow can
 * build one long probe run out of SYNs and make every lookup slow.
 */
import type { FlowKey } from '@switchyard/flowhash';
import { InvalidArgumentError } from '@switchyard/wire';

/** A flow's state in the table. */
export const FlowState = {
  /** No flow in this slot. */
  EMPTY: 0,
  /** Established here (its SYN was delivered); idle timeout applies. */
  OPEN: 1,
  /** The client sent FIN: kept for the closing timeout after its last packet, so the final ACKs reach the kernel. */
  CLOSING: 2,
} as const;
export type FlowState = (typeof FlowState)[keyof typeof FlowState];

export interface FlowTableOptions {
  /** Most flows held at once; a new flow beyond it is refused and counted. */
  readonly capacity: number;
  /** An open flow with no packet for this long is forgotten. */
  readonly idleTimeoutMs: number;
  /** A closing flow with no packet for this long is forgotten (a TIME_WAIT-like linger). */
  readonly closingTimeoutMs: number;
}

/** Monotonic counters. */
export interface FlowTableCounters {
  inserted: number;
  /** New flows refused because the table was full. */
  refused: number;
  /** Flows forgotten after their idle or closing timeout. */
  expired: number;
  /** Flows removed explicitly (RST, administrative). */
  removed: number;
}

/** Words per key: 4 source, 4 destination, ports, version and protocol. */
const KEY_WORDS = 10;
/** Largest capacity accepted: 2^22 flows, 2^23 slots of 57 bytes (~480 MiB). */
export const FLOW_TABLE_MAX_CAPACITY = 1 << 22;

export class FlowTable {
  readonly capacity: number;
  readonly counters: FlowTableCounters = { inserted: 0, refused: 0, expired: 0, removed: 0 };
  readonly #mask: number;
  readonly #keys: Uint32Array;
  readonly #hashes: Uint32Array;
  readonly #states: Uint8Array;
  readonly #lastSeen: Float64Array;
  readonly #values: Uint32Array;
  readonly #idleTimeoutMs: number;
  readonly #closingTimeoutMs: number;
  #size = 0;
  #sweepCursor = 0;

  constructor(options: FlowTableOptions) {
    const { capacity, idleTimeoutMs, closingTimeoutMs } = options;
    if (!Number.isInteger(capacity) || capacity < 1 || capacity > FLOW_TABLE_MAX_CAPACITY) {
      throw new InvalidArgumentError(
        'flowtable',
        'capacity',
        `expected an integer in [1, ${FLOW_TABLE_MAX_CAPACITY}]`,
      );
    }
    for (const [field, value] of [
      ['idleTimeoutMs', idleTimeoutMs],
      ['closingTimeoutMs', closingTimeoutMs],
    ] as const) {
      if (!Number.isFinite(value) || value <= 0) {
        throw new InvalidArgumentError('flowtable', field, 'expected a positive number of milliseconds');
      }
    }
    this.capacity = capacity;
    this.#idleTimeoutMs = idleTimeoutMs;
    this.#closingTimeoutMs = closingTimeoutMs;
    let slots = 2;
    while (slots < capacity * 2) slots *= 2;
    this.#mask = slots - 1;
    this.#keys = new Uint32Array(slots * KEY_WORDS);
    this.#hashes = new Uint32Array(slots);
    this.#states = new Uint8Array(slots);
    this.#lastSeen = new Float64Array(slots);
    this.#values = new Uint32Array(slots);
  }

  /** Flows held. */
  get size(): number {
    return this.#size;
  }

  /** The slot holding `key`, or -1. `hash` is the key's keyed 32-bit hash. */
  find(key: FlowKey, hash: number): number {
    const mask = this.#mask;
    for (let slot = hash & mask; ; slot = (slot + 1) & mask) {
      if (this.#states[slot] === FlowState.EMPTY) return -1;
      if (this.#hashes[slot] === hash >>> 0 && this.#matches(slot, key)) return slot;
    }
  }

  /**
   * The slot of `key`, inserting it as OPEN with `value` when absent. Returns -1, and
   * counts a refusal, when the table is full. An existing flow is touched, not reset.
   */
  insert(key: FlowKey, hash: number, now: number, value = 0): number {
    const mask = this.#mask;
    let slot = hash & mask;
    for (; this.#states[slot] !== FlowState.EMPTY; slot = (slot + 1) & mask) {
      if (this.#hashes[slot] === hash >>> 0 && this.#matches(slot, key)) {
        this.#lastSeen[slot] = now;
        return slot;
      }
    }
    if (this.#size >= this.capacity) {
      this.counters.refused++;
      return -1;
    }
    const base = slot * KEY_WORDS;
    const keys = this.#keys;
    for (let i = 0; i < 4; i++) {
      keys[base + i] = key.source[i]!;
      keys[base + 4 + i] = key.destination[i]!;
    }
    keys[base + 8] = ((key.sourcePort << 16) | key.destinationPort) >>> 0;
    keys[base + 9] = (key.version << 8) | key.protocol;
    this.#hashes[slot] = hash;
    this.#states[slot] = FlowState.OPEN;
    this.#lastSeen[slot] = now;
    this.#values[slot] = value;
    this.#size++;
    this.counters.inserted++;
    return slot;
  }

  /** Records a packet of the flow in `slot` at `now`. */
  touch(slot: number, now: number): void {
    this.#lastSeen[slot] = now;
  }

  state(slot: number): FlowState {
    return this.#states[slot] as FlowState;
  }

  /** The value stored with the flow (for example the VIP index or the chosen server). */
  value(slot: number): number {
    return this.#values[slot]!;
  }

  lastSeen(slot: number): number {
    return this.#lastSeen[slot]!;
  }

  /** Marks the flow closing (the client sent FIN): it now lingers `closingTimeoutMs` after its last packet. */
  close(slot: number, now: number): void {
    if (this.#states[slot] === FlowState.EMPTY) return;
    this.#states[slot] = FlowState.CLOSING;
    this.#lastSeen[slot] = now;
  }

  /** Marks a closing flow open again (a new connection reused its 4-tuple: a SYN may reopen TIME-WAIT, RFC 1122 §4.2.2.13). */
  reopen(slot: number, now: number): void {
    if (this.#states[slot] === FlowState.EMPTY) return;
    this.#states[slot] = FlowState.OPEN;
    this.#lastSeen[slot] = now;
  }

  /** Removes the flow in `slot` (an RST, or an administrative removal). */
  remove(slot: number): void {
    if (this.#states[slot] === FlowState.EMPTY) return;
    this.#delete(slot);
    this.counters.removed++;
  }

  /**
   * Forgets flows whose timeout passed, visiting at most `budget` slots from where the
   * previous call stopped, so a sweep can be spread over many calls. Returns how many
   * flows expired.
   */
  expire(now: number, budget = this.#mask + 1): number {
    const mask = this.#mask;
    let expired = 0;
    let slot = this.#sweepCursor;
    for (let visited = 0; visited < budget && this.#size > 0; visited++) {
      // Backward shift may move a later flow into this slot: look at it again before moving on.
      for (let state = this.#states[slot]; state !== FlowState.EMPTY; state = this.#states[slot]) {
        const timeout = state === FlowState.CLOSING ? this.#closingTimeoutMs : this.#idleTimeoutMs;
        if (now - this.#lastSeen[slot]! < timeout) break;
        this.#delete(slot);
        expired++;
      }
      slot = (slot + 1) & mask;
    }
    this.#sweepCursor = slot;
    this.counters.expired += expired;
    return expired;
  }

  /** Calls `visit` for every flow, with a key object it reuses between calls (allocates once). */
  forEach(
    visit: (key: FlowKey, state: FlowState, lastSeen: number, value: number) => void,
    scratch: FlowKey,
  ): void {
    for (let slot = 0; slot <= this.#mask; slot++) {
      const state = this.#states[slot] as FlowState;
      if (state === FlowState.EMPTY) continue;
      this.#readKey(slot, scratch);
      visit(scratch, state, this.#lastSeen[slot]!, this.#values[slot]!);
    }
  }

  #readKey(slot: number, key: FlowKey): void {
    const base = slot * KEY_WORDS;
    const keys = this.#keys;
    for (let i = 0; i < 4; i++) {
      key.source[i] = keys[base + i]!;
      key.destination[i] = keys[base + 4 + i]!;
    }
    key.sourcePort = keys[base + 8]! >>> 16;
    key.destinationPort = keys[base + 8]! & 0xffff;
    key.version = (keys[base + 9]! >>> 8) as 4 | 6;
    key.protocol = keys[base + 9]! & 0xff;
  }

  #matches(slot: number, key: FlowKey): boolean {
    const base = slot * KEY_WORDS;
    const keys = this.#keys;
    const s = key.source;
    const d = key.destination;
    return (
      keys[base + 8] === ((key.sourcePort << 16) | key.destinationPort) >>> 0 &&
      keys[base + 9] === ((key.version << 8) | key.protocol) &&
      keys[base] === s[0] &&
      keys[base + 4] === d[0] &&
      keys[base + 1] === s[1] &&
      keys[base + 2] === s[2] &&
      keys[base + 3] === s[3] &&
      keys[base + 5] === d[1] &&
      keys[base + 6] === d[2] &&
      keys[base + 7] === d[3]
    );
  }

  /** Empties `slot` and shifts later members of its probe run back (Knuth 6.4 algorithm R). */
  #delete(slot: number): void {
    const mask = this.#mask;
    let hole = slot;
    let next = slot;
    for (;;) {
      next = (next + 1) & mask;
      if (this.#states[next] === FlowState.EMPTY) break;
      const home = this.#hashes[next]! & mask;
      // The entry at `next` may fill the hole unless its home lies cyclically in (hole, next].
      const stays = hole <= next ? hole < home && home <= next : hole < home || home <= next;
      if (stays) continue;
      this.#move(next, hole);
      hole = next;
    }
    this.#states[hole] = FlowState.EMPTY;
    this.#size--;
  }

  #move(from: number, to: number): void {
    this.#keys.copyWithin(to * KEY_WORDS, from * KEY_WORDS, from * KEY_WORDS + KEY_WORDS);
    this.#hashes[to] = this.#hashes[from]!;
    this.#states[to] = this.#states[from]!;
    this.#lastSeen[to] = this.#lastSeen[from]!;
    this.#values[to] = this.#values[from]!;
  }
}
