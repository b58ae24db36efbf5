/**
 * Weighted rendezvous (highest random weight) hashing. Every member gets a score for a key;
 * the member with the highest score owns the key, the second backs it up (DESIGN.md
 * mechanism C). Removing a member only moves the keys it ranked first or second for.
 */
import { InvalidArgumentError } from '@switchyard/wire';
import { hash64, seedOffset, UNIT } from './hash.js';

const LAYER = 'hrw';

/** A member of a rendezvous set: a balancer or a server. */
export interface Member {
  /** Unsigned 32-bit id, unique within a set. */
  readonly id: number;
  /** Relative capacity: finite and > 0; 1 when absent. */
  readonly weight?: number;
}

/** Largest set a ranking accepts; bounds the work per key and per table row. */
export const MAX_MEMBERS = 4096;

/**
 * A seed's offset as int32 halves [hi, lo] (`hash64` takes them modulo 2^32): an int32 is a
 * small integer, so reading one and passing it to a call never boxes, while a u32 above 2^31
 * is a heap number.
 */
function int32Offset(seed: number): Int32Array {
  return Int32Array.from(seedOffset(seed));
}

// Per-seed offsets: the common seeds (0 and the last one used) cost nothing per call.
const OFFSET0 = int32Offset(0);
let lastSeed = 0;
let lastOffset = OFFSET0;

function offsetFor(seed: number): Int32Array {
  if (seed === 0) return OFFSET0;
  if (seed !== lastSeed) {
    assertU32('seed', seed);
    lastSeed = seed;
    lastOffset = int32Offset(seed);
  }
  return lastOffset;
}

function assertU32(field: string, value: number): void {
  if (!Number.isInteger(value) || value < 0 || value > 0xffff_ffff) {
    throw new InvalidArgumentError(LAYER, field, `expected an unsigned 32-bit integer, got ${String(value)}`);
  }
}

/**
 * Throws unless `member` (at index `i`) has a u32 id and a finite weight > 0 (absent: 1). The
 * field names are built only on failure (a template literal per call would allocate a
 * string), and the id is checked here rather than passed on (a u32 above 2^31 would be boxed).
 */
function checkMember(member: Member, i: number): void {
  const id = member.id;
  if (!Number.isInteger(id) || id < 0 || id > 0xffff_ffff) assertU32(`members[${i}].id`, id);
  const w = member.weight ?? 1;
  // Schindelhauer & Schomaker's method needs w > 0: a zero weight would score 0 for every key.
  if (typeof w !== 'number' || !Number.isFinite(w) || w <= 0) {
    throw new InvalidArgumentError(
      LAYER,
      `members[${i}].weight`,
      `weight must be finite and > 0, got ${String(w)}`,
    );
  }
}

/**
 * Weighted score of `member` for `keyHash`: −weight / ln(u), u the member's uniform hash of
 * the key in (0, 1). The logarithmic method of Schindelhauer & Schomaker ("Weighted
 * distributed hash tables", SPAA 2005): member i wins with probability wᵢ / Σw, exactly.
 */
export function score(keyHash: number, member: Member, seed = 0): number {
  assertU32('keyHash', keyHash);
  checkMember(member, 0);
  const off = offsetFor(seed);
  hash64(keyHash, member.id, off[0]!, off[1]!);
  return -(member.weight ?? 1) / Math.log(UNIT[0]!);
}

/**
 * A validated, immutable member set for the hot path: ids and weights in typed arrays, the
 * seed's offset precomputed, scratch space owned, so `rankInto` allocates nothing.
 *
 * Ranking orders members by score, higher first, ties to the smaller id (a total,
 * deterministic order). The ranking loop (`rankLoop`) is written out with no calls but
 * `hash64` (which returns nothing) and `Math.log`, and is itself called with only int32 values
 * and typed arrays: a double or a u32 above 2^31 that crosses a call boundary the optimizer did
 * not inline is boxed as a heap number, and which calls it inlines depends on its inlining
 * budget, so on the caller.
 */
export class MemberSet {
  readonly ids: Uint32Array;
  readonly weights: Float64Array;
  readonly seed: number;
  /** The seed's offset as int32 halves: small integers, never boxed. */
  readonly #offHi: number;
  readonly #offLo: number;
  readonly #scores: Float64Array;

  constructor(members: readonly Member[], options: { seed?: number } = {}) {
    if (!Array.isArray(members)) throw new InvalidArgumentError(LAYER, 'members', 'expected an array');
    if (members.length > MAX_MEMBERS) {
      throw new InvalidArgumentError(
        LAYER,
        'members',
        `at most ${MAX_MEMBERS} members, got ${members.length}`,
      );
    }
    const seed = options.seed ?? 0;
    assertU32('seed', seed);
    this.ids = new Uint32Array(members.length);
    this.weights = new Float64Array(members.length);
    const seen = new Set<number>();
    members.forEach((m, i) => {
      checkMember(m, i);
      this.weights[i] = m.weight ?? 1;
      if (seen.has(m.id)) throw new InvalidArgumentError(LAYER, `members[${i}].id`, `duplicate id ${m.id}`);
      seen.add(m.id);
      this.ids[i] = m.id;
    });
    this.seed = seed;
    const [offHi, offLo] = seedOffset(seed);
    this.#offHi = offHi | 0;
    this.#offLo = offLo | 0;
    this.#scores = new Float64Array(members.length);
  }

  get size(): number {
    return this.ids.length;
  }

  /** Score of the member at `index` for `keyHash` (no checks: the index comes from this set). */
  scoreAt(keyHash: number, index: number): number {
    hash64(keyHash | 0, this.ids[index]! | 0, this.#offHi, this.#offLo);
    return -this.weights[index]! / Math.log(UNIT[0]!);
  }

  /**
   * Writes the ids of the best `min(out.length, size)` members for `keyHash` into `out`, best
   * first, and returns how many it wrote. Allocation-free; `keyHash` is taken modulo 2^32, so a
   * u32 hash may be passed as `keyHash | 0` (a small integer: never boxed at the call).
   */
  rankInto(keyHash: number, out: Uint32Array): number {
    const n = this.ids.length;
    const k = Math.min(out.length, n);
    if (k === 0) return 0;
    return rankLoop(keyHash | 0, this.ids, this.weights, n, k, this.#offHi, this.#offLo, this.#scores, out);
  }
}

/**
 * The best `k` of the first `n` members (`ids`, `weights`) for the int32 `key`, best first, into
 * `out`, with `scores` (length ≥ k) as scratch; returns `k`. Both entry points run this loop.
 */
function rankLoop(
  key: number,
  ids: Uint32Array,
  weights: Float64Array,
  n: number,
  k: number,
  offHi: number,
  offLo: number,
  scores: Float64Array,
  out: Uint32Array,
): number {
  let filled = 0;
  for (let i = 0; i < n; i++) {
    const id = ids[i]!;
    hash64(key, id | 0, offHi, offLo);
    const s = -weights[i]! / Math.log(UNIT[0]!);
    // Insertion into the sorted top-k in out/scores; most candidates fail the first test.
    if (filled === k && !(s > scores[k - 1]! || (s === scores[k - 1]! && id < out[k - 1]!))) continue;
    let j = filled < k ? filled++ : k - 1;
    while (j > 0 && (s > scores[j - 1]! || (s === scores[j - 1]! && id < out[j - 1]!))) {
      scores[j] = scores[j - 1]!;
      out[j] = out[j - 1]!;
      j--;
    }
    scores[j] = s;
    out[j] = id;
  }
  return k;
}

// Scratch for the array-taking entry points: grows to the largest set seen, never shrinks.
let scratchScores = new Float64Array(16);
let scratchIds = new Uint32Array(16);
let scratchWeights = new Float64Array(16);

function validate(members: readonly Member[]): void {
  if (!Array.isArray(members)) throw new InvalidArgumentError(LAYER, 'members', 'expected an array');
  if (members.length > MAX_MEMBERS) {
    throw new InvalidArgumentError(LAYER, 'members', `at most ${MAX_MEMBERS} members, got ${members.length}`);
  }
  for (let i = 0; i < members.length; i++) {
    const m = members[i]!;
    checkMember(m, i);
    // Quadratic, but the sets are small; pass a MemberSet to skip this per call.
    for (let j = 0; j < i; j++) {
      if (members[j]!.id === m.id) {
        throw new InvalidArgumentError(LAYER, `members[${i}].id`, `duplicate id ${m.id}`);
      }
    }
  }
}

/**
 * Writes the best `min(out.length, members.length)` member ids for `keyHash` into `out`, best
 * first; returns how many. Allocation-free. A plain array is validated on every call (ids,
 * weights, duplicates: O(n²)); a `MemberSet` was validated once and is the hot-path form.
 */
export function rankInto(
  keyHash: number,
  members: readonly Member[] | MemberSet,
  out: Uint32Array,
  seed = 0,
): number {
  assertU32('keyHash', keyHash);
  if (!(out instanceof Uint32Array)) throw new InvalidArgumentError(LAYER, 'out', 'expected a Uint32Array');
  if (members instanceof MemberSet) return members.rankInto(keyHash, out);
  validate(members);
  const off = offsetFor(seed);
  const offHi = off[0]!;
  const offLo = off[1]!;
  const k = Math.min(out.length, members.length);
  if (k === 0) return 0;
  const n = members.length;
  if (scratchIds.length < n) {
    scratchScores = new Float64Array(n);
    scratchIds = new Uint32Array(n);
    scratchWeights = new Float64Array(n);
  }
  for (let i = 0; i < n; i++) {
    scratchIds[i] = members[i]!.id;
    scratchWeights[i] = members[i]!.weight ?? 1;
  }
  return rankLoop(keyHash | 0, scratchIds, scratchWeights, n, k, offHi, offLo, scratchScores, out);
}

/** The ids of the best `k` members for `keyHash`, best first (fewer when the set is smaller). */
export function rank(keyHash: number, members: readonly Member[] | MemberSet, k: number, seed = 0): number[] {
  if (!Number.isInteger(k) || k < 0) {
    throw new InvalidArgumentError(LAYER, 'k', `expected a non-negative integer, got ${String(k)}`);
  }
  const size = members instanceof MemberSet ? members.size : Array.isArray(members) ? members.length : 0;
  const out = new Uint32Array(Math.min(k, size));
  const n = rankInto(keyHash, members, out, seed);
  return Array.from(out.subarray(0, n));
}

/** The primary (best) and backup (second best) for `keyHash`; throws on an empty set. */
export function primaryBackup(
  keyHash: number,
  members: readonly Member[] | MemberSet,
  seed = 0,
): { primary: number; backup: number | undefined } {
  const top = rank(keyHash, members, 2, seed);
  if (top.length === 0) throw new InvalidArgumentError(LAYER, 'members', 'no members to choose from');
  return { primary: top[0]!, backup: top[1] };
}
