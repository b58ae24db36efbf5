/**
 * A tiny, independent reference of everything the package computes, written from the spec
 * in the README with BigInt arithmetic and plain sorting (glb-director keeps one like it).
 * The real implementation works on 32-bit halves with one pass per row; the tests check
 * that both agree.
 */
const MASK64 = (1n << 64n) - 1n;
const GAMMA = 0x9e3779b97f4a7c15n;

/** SplitMix64's output function (Stafford variant 13). */
export function mix13(z: bigint): bigint {
  z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK64;
  z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & MASK64;
  return z ^ (z >> 31n);
}

export function refHash64(keyHash: number, id: number, seed = 0): bigint {
  const z1 = mix13((BigInt(keyHash) << 32n) | BigInt(id));
  return mix13((z1 + GAMMA * BigInt(seed + 1)) & MASK64);
}

export function refUnit(keyHash: number, id: number, seed = 0): number {
  return (Number(refHash64(keyHash, id, seed) >> 12n) + 0.5) / 2 ** 52;
}

export interface RefMember {
  id: number;
  weight?: number;
  state?: number; // 0 active, 1 draining, 2 filling
}

export function refScore(keyHash: number, m: RefMember, seed = 0): number {
  return -(m.weight ?? 1) / Math.log(refUnit(keyHash, m.id, seed));
}

/** Every member sorted by score, best first; ties to the smaller id. */
export function refRank(keyHash: number, members: readonly RefMember[], seed = 0): RefMember[] {
  return members
    .map((m) => ({ m, s: refScore(keyHash, m, seed) }))
    .sort((a, b) => b.s - a.s || a.m.id - b.m.id)
    .map((x) => x.m);
}

/** glb-director style row: sort, then swap a draining primary behind the first non-draining. */
export function refRow(r: number, members: readonly RefMember[], seed = 0): [number, number] {
  const ranked = refRank(r, members, seed);
  const first = ranked[0]!;
  const live = ranked.find((m) => m.state !== 1);
  if (first.state === 1 && live !== undefined) return [live.id, first.id];
  return [first.id, (ranked[1] ?? first).id];
}

export function refTable(
  rows: number,
  members: readonly RefMember[],
  seed = 0,
): { p: number[]; b: number[] } {
  const p: number[] = [];
  const b: number[] = [];
  for (let r = 0; r < rows; r++) {
    const [x, y] = refRow(r, members, seed);
    p.push(x);
    b.push(y);
  }
  return { p, b };
}

/** A seeded generator for test inputs (xorshift32): the statistical tests are reproducible. */
export function prng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}
