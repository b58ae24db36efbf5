/**
 * Authentication for control traffic (DESIGN.md rule 5): an HMAC-SHA256 tag under a
 * cluster key named by a key id, at most two keys valid at once so a key can be rotated
 * without a flag day, and a per-sender anti-replay window over a monotonic counter.
 * Heartbeats, flow-directory updates and handoff messages all use these two pieces.
 */
import { createHmac, createSecretKey, type KeyObject, timingSafeEqual } from 'node:crypto';
import { assertUint, InvalidArgumentError } from './errors.js';

/** Length of an HMAC-SHA256 tag in bytes. */
export const HMAC_SHA256_LENGTH = 32;
/** Shortest secret accepted: 128 bits (RFC 2104 §3: keys shorter than the tag weaken it). */
export const AUTH_KEY_MIN_LENGTH = 16;
/** Keys a ring holds at once: the current one and the one being rotated in or out. */
export const AUTH_KEYS_MAX = 2;

const LAYER = 'auth';

/** A cluster key: a 16-bit id carried in messages, and the shared secret. */
export interface AuthKey {
  /** 1..65535; 0 is reserved for "no key". */
  readonly id: number;
  /** At least 16 bytes; the ring keeps its own copy. */
  readonly secret: Uint8Array;
}

/** The outcome of verifying a tag. */
export type AuthResult = 'ok' | 'unknown-key' | 'bad-tag';

/**
 * The cluster keys a node signs and verifies with. During a rotation two keys are valid:
 * every node first adds the new key (verifying both), then switches `use` to it, then
 * removes the old one.
 */
export class KeyRing {
  readonly #keys = new Map<number, KeyObject>();
  #sendKeyId: number;

  constructor(keys: readonly AuthKey[], options: { sendKeyId?: number } = {}) {
    if (keys.length === 0) throw new InvalidArgumentError(LAYER, 'keys', 'at least one key is required');
    for (const key of keys) this.add(key);
    this.#sendKeyId = options.sendKeyId ?? keys[0]!.id;
    if (!this.#keys.has(this.#sendKeyId)) {
      throw new InvalidArgumentError(LAYER, 'sendKeyId', `no key with id ${this.#sendKeyId}`);
    }
  }

  /** The key id outgoing messages are signed with. */
  get sendKeyId(): number {
    return this.#sendKeyId;
  }

  /** Ids of the keys currently valid, ascending. */
  get ids(): number[] {
    return [...this.#keys.keys()].sort((a, b) => a - b);
  }

  has(id: number): boolean {
    return this.#keys.has(id);
  }

  /** Adds a key; refuses a duplicate id, a short secret, or a third key. */
  add(key: AuthKey): void {
    assertUint(LAYER, 'key.id', key.id, 0xffff);
    if (key.id === 0) throw new InvalidArgumentError(LAYER, 'key.id', 'key id 0 is reserved');
    if (this.#keys.has(key.id)) throw new InvalidArgumentError(LAYER, 'key.id', `duplicate key id ${key.id}`);
    if (!(key.secret instanceof Uint8Array) || key.secret.length < AUTH_KEY_MIN_LENGTH) {
      throw new InvalidArgumentError(LAYER, 'key.secret', `must be at least ${AUTH_KEY_MIN_LENGTH} bytes`);
    }
    if (this.#keys.size >= AUTH_KEYS_MAX) {
      throw new InvalidArgumentError(LAYER, 'keys', `at most ${AUTH_KEYS_MAX} keys are valid at once`);
    }
    this.#keys.set(key.id, createSecretKey(Uint8Array.prototype.slice.call(key.secret)));
  }

  /** Removes a key; the key in use for sending cannot be removed (switch with `use` first). */
  remove(id: number): void {
    if (id === this.#sendKeyId) {
      throw new InvalidArgumentError(LAYER, 'id', `key ${id} signs outgoing messages; use() another first`);
    }
    this.#keys.delete(id);
  }

  /** Signs outgoing messages with key `id` from now on. */
  use(id: number): void {
    if (!this.#keys.has(id)) throw new InvalidArgumentError(LAYER, 'id', `no key with id ${id}`);
    this.#sendKeyId = id;
  }

  /**
   * HMAC-SHA256 of `data` under key `keyId` (default: the send key). Writes the 32-byte tag
   * into `out` at `outOffset` when given, and returns the bytes written (or a new array).
   */
  sign(data: Uint8Array, keyId: number = this.#sendKeyId, out?: Uint8Array, outOffset = 0): Uint8Array {
    const key = this.#keys.get(keyId);
    if (key === undefined) throw new InvalidArgumentError(LAYER, 'keyId', `no key with id ${keyId}`);
    const tag = createHmac('sha256', key).update(data).digest();
    if (out === undefined) return new Uint8Array(tag.buffer, tag.byteOffset, tag.length);
    if (!Number.isInteger(outOffset) || outOffset < 0 || outOffset + HMAC_SHA256_LENGTH > out.length) {
      throw new InvalidArgumentError(LAYER, 'outOffset', `no room for a ${HMAC_SHA256_LENGTH}-byte tag`);
    }
    out.set(tag, outOffset);
    return out.subarray(outOffset, outOffset + HMAC_SHA256_LENGTH);
  }

  /** Checks `tag` over `data` under key `keyId`, in constant time for a known key. */
  verify(data: Uint8Array, keyId: number, tag: Uint8Array): AuthResult {
    const key = this.#keys.get(keyId);
    if (key === undefined) return 'unknown-key';
    if (tag.length !== HMAC_SHA256_LENGTH) return 'bad-tag';
    const expected = createHmac('sha256', key).update(data).digest();
    return timingSafeEqual(expected, tag) ? 'ok' : 'bad-tag';
  }
}

/** What a replay window says of a counter. */
export type ReplayVerdict = 'fresh' | 'replay' | 'too-old';

interface SenderWindow {
  /** Highest counter accepted. */
  top: bigint;
  /** Bit i set: counter `top - i` was accepted. */
  seen: bigint;
}

/**
 * Per-sender anti-replay window over a monotonic 64-bit counter, after RFC 4303 §3.4.3:
 * a counter above the highest seen is fresh, one inside the window is fresh once, one
 * below the window is too old. Senders are kept in least-recently-accepted order and the
 * oldest is evicted when `capacity` is reached (counted in `evicted`). Only record a
 * counter after its message authenticated, so forged traffic cannot fill the table;
 * size `capacity` above the number of legitimate senders, since an evicted sender's old
 * messages would be fresh again.
 */
export class ReplayWindow<K> {
  readonly #senders = new Map<K, SenderWindow>();
  readonly #capacity: number;
  readonly #window: bigint;
  #evicted = 0;

  constructor(options: { capacity: number; window?: number }) {
    assertUint(LAYER, 'capacity', options.capacity, 0x7fffffff);
    if (options.capacity === 0) throw new InvalidArgumentError(LAYER, 'capacity', 'must be at least 1');
    const window = options.window ?? 64;
    assertUint(LAYER, 'window', window, 4096);
    if (window === 0) throw new InvalidArgumentError(LAYER, 'window', 'must be at least 1');
    this.#capacity = options.capacity;
    this.#window = BigInt(window);
  }

  /** Senders tracked. */
  get size(): number {
    return this.#senders.size;
  }

  /** Senders evicted to stay within `capacity`. */
  get evicted(): number {
    return this.#evicted;
  }

  /** The verdict for `counter` from `sender`, without recording it. */
  check(sender: K, counter: bigint): ReplayVerdict {
    assertCounter(counter);
    const state = this.#senders.get(sender);
    return state === undefined ? 'fresh' : this.#verdict(state, counter);
  }

  /** The verdict for `counter` from `sender`, recording it when fresh. */
  accept(sender: K, counter: bigint): ReplayVerdict {
    assertCounter(counter);
    const state = this.#senders.get(sender);
    if (state === undefined) {
      if (this.#senders.size >= this.#capacity) {
        const oldest = this.#senders.keys().next();
        if (!oldest.done) this.#senders.delete(oldest.value);
        this.#evicted++;
      }
      this.#senders.set(sender, { top: counter, seen: 1n });
      return 'fresh';
    }
    const verdict = this.#verdict(state, counter);
    if (verdict !== 'fresh') return verdict;
    if (counter > state.top) {
      const shift = counter - state.top;
      state.seen = shift >= this.#window ? 1n : ((state.seen << shift) | 1n) & ((1n << this.#window) - 1n);
      state.top = counter;
    } else {
      state.seen |= 1n << (state.top - counter);
    }
    // Refresh the sender's place in the eviction order.
    this.#senders.delete(sender);
    this.#senders.set(sender, state);
    return 'fresh';
  }

  /** Drops what is known of `sender` (for example when it leaves for good). */
  forget(sender: K): void {
    this.#senders.delete(sender);
  }

  #verdict(state: SenderWindow, counter: bigint): ReplayVerdict {
    if (counter > state.top) return 'fresh';
    const age = state.top - counter;
    if (age >= this.#window) return 'too-old';
    return (state.seen >> age) & 1n ? 'replay' : 'fresh';
  }
}

function assertCounter(counter: bigint): void {
  if (typeof counter !== 'bigint' || counter < 0n || counter > 0xffff_ffff_ffff_ffffn) {
    throw new InvalidArgumentError(
      LAYER,
      'counter',
      `expected an unsigned 64-bit bigint, got ${String(counter)}`,
    );
  }
}
