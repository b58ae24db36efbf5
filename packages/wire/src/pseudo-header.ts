/** The IP context an upper-layer checksum covers (RFC 9293 §3.1, RFC 8200 §8.1). */
import { pseudoHeaderSumV4 } from './checksum.js';

export type PseudoHeader =
  | { version: 4; source: number; destination: number }
  | { version: 6; source: bigint; destination: bigint };

/** Partial (unfolded) sum of the pseudo-header for `protocol` and an upper-layer `length`. */
export function pseudoHeaderSum(p: PseudoHeader, protocol: number, length: number): number {
  if (p.version === 4) return pseudoHeaderSumV4(p.source, p.destination, protocol, length);
  let sum = protocol + Math.floor(length / 0x10000) + (length & 0xffff);
  for (const addr of [p.source, p.destination]) {
    for (let shift = 112n; shift >= 0n; shift -= 16n) sum += Number((addr >> shift) & 0xffffn);
  }
  return sum;
}
