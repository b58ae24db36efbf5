/**
 * The Internet checksum (RFC 1071) and its incremental update (RFC 1624).
 *
 * Sums are kept unfolded in a JS number (exact up to 2^53) and folded once at the end,
 * so a 64 KiB GSO frame costs one pass and no overflow handling in the loop.
 */

/** Adds the 16-bit big-endian words of `bytes[start, end)` to `sum`; an odd last byte is padded with zero (RFC 1071 §4.1). */
export function sumWords(bytes: Uint8Array, start = 0, end = bytes.length, sum = 0): number {
  let i = start;
  const last = end - 1;
  for (; i < last; i += 2) sum += (bytes[i]! << 8) | bytes[i + 1]!;
  if (i === last) sum += bytes[i]! << 8;
  return sum;
}

/** Folds carries into 16 bits (one's complement addition). */
export function foldSum(sum: number): number {
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  return sum;
}

/** The checksum field value: one's complement of the folded sum. */
export function finishChecksum(sum: number): number {
  return ~foldSum(sum) & 0xffff;
}

/** RFC 1071 checksum of `bytes[start, end)`. */
export function internetChecksum(bytes: Uint8Array, start = 0, end = bytes.length, initial = 0): number {
  return finishChecksum(sumWords(bytes, start, end, initial));
}

/** Partial sum of the IPv4 pseudo-header (RFC 793 §3.1, RFC 768). */
export function pseudoHeaderSumV4(src: number, dst: number, protocol: number, length: number): number {
  return (src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff) + protocol + length;
}

/** Partial sum of the IPv6 pseudo-header (RFC 8200 §8.1); addresses as 16 bytes each. */
export function pseudoHeaderSumV6(
  src: Uint8Array,
  srcOffset: number,
  dst: Uint8Array,
  dstOffset: number,
  nextHeader: number,
  length: number,
): number {
  let sum = sumWords(src, srcOffset, srcOffset + 16);
  sum = sumWords(dst, dstOffset, dstOffset + 16, sum);
  return sum + Math.floor(length / 0x10000) + (length & 0xffff) + nextHeader;
}

/**
 * RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m'), the new checksum after a 16-bit field
 * changes from `oldWord` to `newWord`, without touching the rest of the data.
 */
export function updateChecksum16(checksum: number, oldWord: number, newWord: number): number {
  const sum = (~checksum & 0xffff) + (~oldWord & 0xffff) + (newWord & 0xffff);
  return ~foldSum(sum) & 0xffff;
}

/** RFC 1624 for a 32-bit field (an IPv4 address, a sequence number): two 16-bit updates. */
export function updateChecksum32(checksum: number, oldValue: number, newValue: number): number {
  const sum =
    (~checksum & 0xffff) +
    (~(oldValue >>> 16) & 0xffff) +
    (~oldValue & 0xffff) +
    ((newValue >>> 16) & 0xffff) +
    (newValue & 0xffff);
  return ~foldSum(sum) & 0xffff;
}
