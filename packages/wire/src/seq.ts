/**
 * TCP sequence-number arithmetic modulo 2^32 (RFC 9293 §3.4, RFC 1982 serial numbers).
 * Comparisons are meaningful for numbers less than 2^31 apart.
 */

/** `a + n` modulo 2^32. */
export function seqAdd(a: number, n: number): number {
  return (a + n) >>> 0;
}

/** Signed distance `a - b` in (-2^31, 2^31]: positive when `a` is after `b`. */
export function seqDiff(a: number, b: number): number {
  return (a - b) | 0;
}

export function seqLt(a: number, b: number): boolean {
  return ((a - b) | 0) < 0;
}

export function seqLe(a: number, b: number): boolean {
  return ((a - b) | 0) <= 0;
}

export function seqGt(a: number, b: number): boolean {
  return ((a - b) | 0) > 0;
}

export function seqGe(a: number, b: number): boolean {
  return ((a - b) | 0) >= 0;
}

/** `lo <= x < hi` in sequence space (the window test of RFC 9293 §3.10.7.4). */
export function seqInWindow(x: number, lo: number, hi: number): boolean {
  return (x - lo) >>> 0 < (hi - lo) >>> 0;
}
