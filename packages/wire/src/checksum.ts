/**
 * The Internet checksum (RFC 1071) and its incremental update (RFC 1624).
 *
 * Sums are kept unfolded in a JS number (exact up to 2^53) and folded once at the end,
 * so a 64 KiB GSO frame costs one pass and no overflow handling in the loop.
 */
import { isTagTpid } from './ethernet.js';

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

const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_IPV6 = 0x86dd;
const PROTOCOL_TCP = 6;
const PROTOCOL_UDP = 17;

/**
 * Computes and writes the TCP or UDP checksum of the Ethernet frame at
 * `frame[offset, offset + length)`, in place. For frames a packet socket reports as
 * checksum-not-ready (CHECKSUM_PARTIAL: a local or GRO'd sender left the field to the
 * NIC): written into a TAP as they are, the kernel drops them as bad checksums.
 *
 * Handles 802.1Q/802.1ad tags, IPv4 with options, and IPv6 whose next header is TCP or
 * UDP. Returns false, and writes nothing, for anything else: not IP, another protocol,
 * an IP fragment, IPv6 extension headers, or lengths that do not fit (a malformed or
 * truncated frame). Never throws. A UDP checksum that computes to 0 is sent as 0xffff
 * (RFC 768; 0 would mean "none").
 */
export function completeTransportChecksum(
  frame: Uint8Array,
  offset = 0,
  length = frame.length - offset,
): boolean {
  const end = offset + length;
  if (offset < 0 || end > frame.length || length < 14) return false;
  let p = offset + 12;
  let type = (frame[p]! << 8) | frame[p + 1]!;
  while (isTagTpid(type) && p + 6 <= end) {
    p += 4;
    type = (frame[p]! << 8) | frame[p + 1]!;
  }
  p += 2;
  let protocol: number;
  let l4: number;
  let l4End: number;
  let pseudo: number;
  if (type === ETHERTYPE_IPV4) {
    if (p + 20 > end || frame[p]! >> 4 !== 4) return false;
    const headerLength = (frame[p]! & 0x0f) * 4;
    const total = (frame[p + 2]! << 8) | frame[p + 3]!;
    // RFC 791: MF set or a fragment offset: the L4 header is not (all) here.
    const fragment = ((frame[p + 6]! << 8) | frame[p + 7]!) & 0x3fff;
    if (headerLength < 20 || total < headerLength || p + total > end || fragment !== 0) return false;
    protocol = frame[p + 9]!;
    l4 = p + headerLength;
    l4End = p + total;
    const source =
      ((frame[p + 12]! << 24) | (frame[p + 13]! << 16) | (frame[p + 14]! << 8) | frame[p + 15]!) >>> 0;
    const destination =
      ((frame[p + 16]! << 24) | (frame[p + 17]! << 16) | (frame[p + 18]! << 8) | frame[p + 19]!) >>> 0;
    pseudo = pseudoHeaderSumV4(source, destination, protocol, l4End - l4);
  } else if (type === ETHERTYPE_IPV6) {
    if (p + 40 > end || frame[p]! >> 4 !== 6) return false;
    const payloadLength = (frame[p + 4]! << 8) | frame[p + 5]!;
    protocol = frame[p + 6]!;
    l4 = p + 40;
    l4End = l4 + payloadLength;
    if (l4End > end) return false;
    pseudo = pseudoHeaderSumV6(frame, p + 8, frame, p + 24, protocol, payloadLength);
  } else {
    return false;
  }
  let field: number;
  if (protocol === PROTOCOL_TCP && l4End - l4 >= 20) field = l4 + 16;
  else if (protocol === PROTOCOL_UDP && l4End - l4 >= 8) field = l4 + 6;
  else return false;
  frame[field] = 0;
  frame[field + 1] = 0;
  let checksum = finishChecksum(sumWords(frame, l4, l4End, pseudo));
  if (protocol === PROTOCOL_UDP && checksum === 0) checksum = 0xffff;
  frame[field] = checksum >>> 8;
  frame[field + 1] = checksum & 0xff;
  return true;
}
