/**
 * Maglev hashing (Eisenbud et al., "Maglev: A Fast and Reliable Software Network Load
 * Balancer", NSDI 2016, §3.4): every backend walks its own permutation of the M slots of a
 * lookup table (offset + j x skip mod M, M prime), and the backends take turns claiming
 * their next free slot until the table is full. Each backend ends with M/N slots give or
 * take one, and a membership change moves few slots besides the departed backend's.
 *
 * The permutation is never stored (M x N numbers): each backend keeps its current position
 * and steps by `skip`, which visits every slot because skip and the prime M are coprime.
 */
import { InvalidArgumentError } from '@switchyard/wire';
import type { FlowHasher } from './flow-hasher.js';
import { checkMembers, type Member } from './members.js';
import { checkInteger } from './util.js';

/** The paper's example size (§5.3) and our default: prime, and at least 100 x N for N <= 655. */
export const MAGLEV_DEFAULT_TABLE_SIZE = 65537;
/** Largest table: the largest prime below 2^24 (64 MiB of entries would be past any use). */
export const MAGLEV_MAX_TABLE_SIZE = 16_777_213;
/** §3.4: "we choose M to be larger than 100 x N to ensure at most a 1% difference in hash space". */
export const MAGLEV_SIZE_FACTOR = 100;

/** True when `n` is a prime (trial division; n <= 2^24 needs at most ~700 odd divisors). */
export function isPrime(n: number): boolean {
  if (!Number.isInteger(n) || n < 2) return false;
  if (n % 2 === 0) return n === 2;
  for (let d = 3; d * d <= n; d += 2) if (n % d === 0) return false;
  return true;
}

/** The smallest prime >= n (for choosing a table size of at least 100 x N). */
export function nextPrime(n: number): number {
  checkInteger('maglev', 'n', n, 0, MAGLEV_MAX_TABLE_SIZE);
  let p = Math.max(2, n);
  while (!isPrime(p)) p++;
  return p;
}

/** One backend's permutation (§3.4: offset in [0, M), skip in [1, M - 1]) and its weight. */
export interface MaglevBackend {
  readonly offset: number;
  readonly skip: number;
  /** Relative share of the table (finite, > 0; default 1): equal weights give the paper's table exactly. */
  readonly weight?: number;
}

/**
 * Builds the lookup table (§3.4, Pseudocode 1): `entry[slot]` is the index of the backend in
 * `backends` that owns the slot. With weights, a backend takes a turn in round r only while
 * its turns so far stay within r x weight / max weight (equal weights: one turn per round,
 * as in the paper). `size` must be a prime in [N, MAGLEV_MAX_TABLE_SIZE].
 */
export function populateMaglev(backends: readonly MaglevBackend[], size: number): Uint32Array {
  const n = backends.length;
  checkInteger('maglev', 'table size', size, 2, MAGLEV_MAX_TABLE_SIZE);
  if (!isPrime(size)) throw new InvalidArgumentError('maglev', 'table size', `${size} is not prime (§3.4)`);
  if (n === 0) throw new InvalidArgumentError('maglev', 'backends', 'at least one is needed');
  if (n > size)
    throw new InvalidArgumentError('maglev', 'backends', `${n} backends do not fit ${size} slots`);
  const pos = new Float64Array(n);
  const skip = new Float64Array(n);
  const weight = new Float64Array(n);
  const target = new Float64Array(n);
  let maxWeight = 0;
  for (let i = 0; i < n; i++) {
    const b = backends[i]!;
    checkInteger('maglev', 'offset', b.offset, 0, size - 1);
    checkInteger('maglev', 'skip', b.skip, 1, size - 1);
    const w = b.weight ?? 1;
    if (!Number.isFinite(w) || w <= 0)
      throw new InvalidArgumentError('maglev', 'weight', `must be finite and > 0, got ${String(w)}`);
    pos[i] = b.offset;
    skip[i] = b.skip;
    weight[i] = w;
    if (w > maxWeight) maxWeight = w;
  }
  const EMPTY = 0xffff_ffff;
  const entry = new Uint32Array(size).fill(EMPTY);
  let filled = 0;
  // Each round the heaviest backend takes a turn, so this ends after at most `size` rounds.
  for (let round = 1; filled < size; round++) {
    for (let i = 0; i < n && filled < size; i++) {
      if (round * weight[i]! < target[i]!) continue;
      target[i] = target[i]! + maxWeight;
      const step = skip[i]!;
      let c = pos[i]!;
      while (entry[c] !== EMPTY) {
        c += step;
        if (c >= size) c -= size;
      }
      entry[c] = i;
      c += step;
      pos[i] = c >= size ? c - size : c;
      filled++;
    }
  }
  return entry;
}

/**
 * A Maglev lookup table over a membership: slot `hash % size` holds the index (into
 * `members`, sorted by id) of the flow's owner. Built off the hot path; `lookup` is one
 * array read.
 */
export class MaglevTable {
  readonly size: number;
  /** The members, sorted by id; `entries` and `lookup` return indices into this array. */
  readonly members: readonly Member[];
  readonly entries: Uint32Array;

  private constructor(members: readonly Member[], entries: Uint32Array) {
    this.members = members;
    this.entries = entries;
    this.size = entries.length;
  }

  /**
   * Builds the table for `members` (ids unique u32; weights optional). Each member's offset
   * and skip come from the keyed hash of its id: the low 32 bits mod M and the high 32 bits
   * mod (M - 1) plus 1, the two independent hashes §3.4 asks for. `size` must be a prime of
   * at least 100 x N (§3.4).
   */
  static build(
    members: readonly Member[],
    hasher: FlowHasher,
    size: number = MAGLEV_DEFAULT_TABLE_SIZE,
  ): MaglevTable {
    const sorted = checkMembers('maglev', members, true);
    checkInteger('maglev', 'table size', size, 2, MAGLEV_MAX_TABLE_SIZE);
    if (size < MAGLEV_SIZE_FACTOR * sorted.length) {
      throw new InvalidArgumentError(
        'maglev',
        'table size',
        `${size} < ${MAGLEV_SIZE_FACTOR} x ${sorted.length} members (§3.4); use nextPrime(${MAGLEV_SIZE_FACTOR * sorted.length})`,
      );
    }
    const backends = sorted.map((m): MaglevBackend => {
      const low = hasher.hashMember(m.id);
      const high = hasher.high;
      return { offset: low % size, skip: (high % (size - 1)) + 1, weight: m.weight ?? 1 };
    });
    return new MaglevTable(sorted, populateMaglev(backends, size));
  }

  /** The index (into `members`) of the owner of a flow whose hash is `hash` (a u32). */
  lookup(hash: number): number {
    return this.entries[(hash >>> 0) % this.size]!;
  }

  /** Slots per member (index order): what the paper's balance bound is about. */
  slotCounts(): number[] {
    const counts = new Array<number>(this.members.length).fill(0);
    for (const e of this.entries) counts[e] = counts[e]! + 1;
    return counts;
  }
}
