/**
 * Tiny independent reference implementations, written straight from the papers with BigInt
 * (slow, obviously right), that the fast 32-bit-half code is checked against.
 */

const MASK64 = (1n << 64n) - 1n;
const rotl = (x: bigint, b: bigint) => ((x << b) | (x >> (64n - b))) & MASK64;

/** SipHash-c-d over `msg` with key bytes `key` (Aumasson & Bernstein 2012, §2). */
export function sipHashRef(key: Uint8Array, msg: Uint8Array, c = 2, d = 4): bigint {
  const le64 = (b: Uint8Array, p: number) => {
    let v = 0n;
    for (let i = 7; i >= 0; i--) v = (v << 8n) | BigInt(b[p + i] ?? 0);
    return v;
  };
  const k0 = le64(key, 0);
  const k1 = le64(key, 8);
  let v0 = k0 ^ 0x736f6d6570736575n;
  let v1 = k1 ^ 0x646f72616e646f6dn;
  let v2 = k0 ^ 0x6c7967656e657261n;
  let v3 = k1 ^ 0x7465646279746573n;
  const round = () => {
    v0 = (v0 + v1) & MASK64;
    v1 = rotl(v1, 13n) ^ v0;
    v0 = rotl(v0, 32n);
    v2 = (v2 + v3) & MASK64;
    v3 = rotl(v3, 16n) ^ v2;
    v0 = (v0 + v3) & MASK64;
    v3 = rotl(v3, 21n) ^ v0;
    v2 = (v2 + v1) & MASK64;
    v1 = rotl(v1, 17n) ^ v2;
    v2 = rotl(v2, 32n);
  };
  const blocks = Math.floor(msg.length / 8);
  for (let i = 0; i <= blocks; i++) {
    let m: bigint;
    if (i < blocks) {
      m = le64(msg, 8 * i);
    } else {
      const tail = new Uint8Array(8);
      tail.set(msg.subarray(8 * i));
      tail[7] = msg.length & 0xff;
      m = le64(tail, 0);
    }
    v3 ^= m;
    for (let r = 0; r < c; r++) round();
    v0 ^= m;
  }
  v2 ^= 0xffn;
  for (let r = 0; r < d; r++) round();
  return v0 ^ v1 ^ v2 ^ v3;
}

/** Jump consistent hash (Lamping & Veach 2014, Figure 1) with BigInt. */
export function jumpRef(key: bigint, buckets: number): number {
  let b = -1n;
  let j = 0n;
  let k = key & MASK64;
  while (j < BigInt(buckets)) {
    b = j;
    k = (k * 2862933555777941757n + 1n) & MASK64;
    j = BigInt(Math.floor(Number(b + 1n) * (2 ** 31 / Number((k >> 33n) + 1n))));
  }
  return Number(b);
}

/** The additive formulas of DESIGN.md B with BigInt sums over the four 32-bit words of each address. */
export function additiveRef(
  src: bigint,
  dst: bigint,
  sport: number,
  dport: number,
  proto: number,
  n: number,
  five: boolean,
): number {
  const words = (a: bigint) => {
    let s = 0n;
    for (let i = 0; i < 4; i++) s += (a >> BigInt(32 * i)) & 0xffff_ffffn;
    return s;
  };
  let sum = words(src) + words(dst) + BigInt(dport);
  if (five) sum += BigInt(sport) + BigInt(proto);
  return Number(sum % BigInt(n));
}

/**
 * Maglev population exactly as §3.4 Pseudocode 1 writes it, with the permutation table
 * materialised (permutation[i][j] = (offset + j x skip) mod M) and `next[i]` indices.
 */
export function maglevRef(backends: { offset: number; skip: number }[], m: number): number[] {
  const permutation = backends.map((b) => Array.from({ length: m }, (_, j) => (b.offset + j * b.skip) % m));
  const next = backends.map(() => 0);
  const entry = new Array<number>(m).fill(-1);
  let n = 0;
  for (;;) {
    for (let i = 0; i < backends.length; i++) {
      let c = permutation[i]![next[i]!]!;
      while (entry[c]! >= 0) {
        next[i]!++;
        c = permutation[i]![next[i]!]!;
      }
      entry[c] = i;
      next[i]!++;
      n++;
      if (n === m) return entry;
    }
  }
}
