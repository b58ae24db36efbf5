/**
 * Seeded randomness. The generator is xoshiro128** 1.1 (Blackman and Vigna, 2018): 128 bits
 * of state, period 2^128 - 1, 32-bit outputs. A seed is expanded into the state with
 * SplitMix32 (the 32-bit variant of SplitMix64's finalizer: add the golden-ratio increment
 * 0x9e3779b9, then xor-shift-multiply by 0x85ebca6b and 0xc2b2ae35), so any 32-bit seed,
 * including 0, gives a well-mixed non-zero state. Nothing in netsim uses `Math.random`.
 */
import { InvalidArgumentError } from '@switchyard/wire';

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** SplitMix32 step: returns [output, nextState]. */
function splitmix32(state: number): [number, number] {
  const next = (state + 0x9e3779b9) | 0;
  let z = next;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return [(z ^ (z >>> 16)) >>> 0, next];
}

/** A deterministic pseudo-random source (xoshiro128**). Not for cryptography. */
export class Random {
  #s0: number;
  #s1: number;
  #s2: number;
  #s3: number;

  /** Seeds from any integer (its low 32 bits) through SplitMix32. */
  constructor(seed: number) {
    if (!Number.isInteger(seed)) throw new InvalidArgumentError('netsim', 'seed', 'must be an integer');
    let st = seed | 0;
    const words: number[] = [];
    for (let i = 0; i < 4; i++) {
      const [out, next] = splitmix32(st);
      words.push(out);
      st = next;
    }
    [this.#s0, this.#s1, this.#s2, this.#s3] = words as [number, number, number, number];
    if ((this.#s0 | this.#s1 | this.#s2 | this.#s3) === 0) this.#s0 = 1;
  }

  /** A generator with the raw xoshiro128** state (for reference test vectors). */
  static fromState(state: readonly [number, number, number, number]): Random {
    if (state.every((w) => w === 0))
      throw new InvalidArgumentError('netsim', 'state', 'must not be all zero');
    const r = new Random(0);
    [r.#s0, r.#s1, r.#s2, r.#s3] = state.map((w) => w | 0) as [number, number, number, number];
    return r;
  }

  /** The next 32-bit output, unsigned. */
  nextU32(): number {
    const s1 = this.#s1;
    const result = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
    const t = s1 << 9;
    this.#s2 ^= this.#s0;
    this.#s3 ^= s1;
    this.#s1 ^= this.#s2;
    this.#s0 ^= this.#s3;
    this.#s2 ^= t;
    this.#s3 = rotl(this.#s3, 11);
    return result;
  }

  /** Uniform in [0, 1), 32 bits of resolution. */
  float(): number {
    return this.nextU32() / 0x1_0000_0000;
  }

  /** Uniform integer in [0, n), n in [1, 2^32]; unbiased (rejection sampling). */
  below(n: number): number {
    if (!Number.isInteger(n) || n < 1 || n > 0x1_0000_0000) {
      throw new InvalidArgumentError('netsim', 'n', `expected an integer in [1, 2^32], got ${n}`);
    }
    const limit = 0x1_0000_0000 - (0x1_0000_0000 % n);
    for (;;) {
      const x = this.nextU32();
      if (x < limit) return x % n;
    }
  }

  /** True with probability `p` (no draw when p <= 0 or p >= 1). */
  chance(p: number): boolean {
    if (p <= 0) return false;
    if (p >= 1) return true;
    return this.float() < p;
  }

  /** Fills `out` with random bytes. */
  fill(out: Uint8Array): Uint8Array {
    for (let i = 0; i < out.length; i += 4) {
      let x = this.nextU32();
      for (let j = i; j < i + 4 && j < out.length; j++) {
        out[j] = x & 0xff;
        x >>>= 8;
      }
    }
    return out;
  }

  /** An independent stream seeded from this one, so components draw without disturbing each other. */
  fork(): Random {
    return new Random(this.nextU32() ^ Math.imul(this.nextU32(), 0x9e3779b9));
  }
}
