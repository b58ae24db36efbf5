/** The IP context an upper-layer checksum covers (RFC 9293 §3.1, RFC 8200 §8.1). */
import { Ipv6Address } from './addresses.js';
import { pseudoHeaderSumV4, pseudoHeaderSumV6 } from './checksum.js';

export type PseudoHeader =
  | { version: 4; source: number; destination: number }
  | { version: 6; source: bigint; destination: bigint };

/** Partial (unfolded) sum of the pseudo-header for `protocol` and an upper-layer `length`. */
export function pseudoHeaderSum(p: PseudoHeader, protocol: number, length: number): number {
  if (p.version === 4) return pseudoHeaderSumV4(p.source, p.destination, protocol, length);
  return pseudoHeaderSumV6(
    Ipv6Address.toBytes(p.source),
    0,
    Ipv6Address.toBytes(p.destination),
    0,
    protocol,
    length,
  );
}
