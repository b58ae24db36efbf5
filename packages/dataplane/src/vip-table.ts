/**
 * VIP lookup by destination address: an open-addressing table over typed arrays, built once
 * from the configuration. Lookups allocate nothing; a miss ends at the first empty slot and
 * the load factor is at most 1/4, so a flood of packets to other addresses costs a probe or two.
 */
import type { Ipv4Address, Ipv6Address } from '@switchyard/wire';

/**
 * Mixes the four address words and the version (murmur3's finalizer). Returns an int32, not a
 * u32: a number above 2^31 returned from a call that V8 did not inline is boxed (an allocation).
 */
function mix(version: number, w0: number, w1: number, w2: number, w3: number): number {
  let h = Math.imul(w0 ^ version, 0x9e3779b1);
  h = Math.imul(h ^ (h >>> 15) ^ w1, 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13) ^ w2, 0xc2b2ae35);
  h = Math.imul(h ^ (h >>> 16) ^ w3, 0x27d4eb2f);
  return h ^ (h >>> 15);
}

/** Splits an address into four big-endian 32-bit words (IPv4 in word 0, as flow keys do). */
export function addressWords(address: Ipv4Address | Ipv6Address, out: Uint32Array): 4 | 6 {
  if (typeof address === 'number') {
    out[0] = address;
    out[1] = out[2] = out[3] = 0;
    return 4;
  }
  for (let i = 0; i < 4; i++) out[i] = Number((address >> BigInt(96 - 32 * i)) & 0xffff_ffffn);
  return 6;
}

export class VipTable {
  readonly #mask: number;
  /** VIP index + 1 per slot; 0 is empty. */
  readonly #slots: Int32Array;
  /** Four address words per slot. */
  readonly #words: Uint32Array;
  readonly #versions: Uint8Array;

  /** `addresses` are unique and valid (the configuration was checked). */
  constructor(addresses: readonly (Ipv4Address | Ipv6Address)[]) {
    let size = 4;
    while (size < addresses.length * 4) size *= 2;
    this.#mask = size - 1;
    this.#slots = new Int32Array(size);
    this.#words = new Uint32Array(size * 4);
    this.#versions = new Uint8Array(size);
    const w = new Uint32Array(4);
    addresses.forEach((address, index) => {
      const version = addressWords(address, w);
      let slot = mix(version, w[0]!, w[1]!, w[2]!, w[3]!) & this.#mask;
      while (this.#slots[slot] !== 0) slot = (slot + 1) & this.#mask;
      this.#slots[slot] = index + 1;
      this.#versions[slot] = version;
      this.#words.set(w, slot * 4);
    });
  }

  /** The index of the VIP with this address (IPv4: `w1..w3` are 0), or -1. */
  lookup(version: number, w0: number, w1: number, w2: number, w3: number): number {
    const mask = this.#mask;
    const words = this.#words;
    for (let slot = mix(version, w0, w1, w2, w3) & mask; ; slot = (slot + 1) & mask) {
      const entry = this.#slots[slot]!;
      if (entry === 0) return -1;
      const b = slot * 4;
      if (
        words[b] === w0 &&
        words[b + 1] === w1 &&
        words[b + 2] === w2 &&
        words[b + 3] === w3 &&
        this.#versions[slot] === version
      )
        return entry - 1;
    }
  }
}
