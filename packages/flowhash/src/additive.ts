/**
 * The additive ownership formulas, exactly as the claim states them (DESIGN.md, B):
 *
 *   additive3 = (SRC_IP + DST_IP + DST_PORT) % N
 *   additive5 = (SRC_IP + SRC_PORT + DST_IP + DST_PORT + PROTOCOL) % N
 *
 * with IPv4 addresses as unsigned 32-bit integers summed without overflow: the sum is an
 * exact integer (at most 2 x (2^32 - 1) + 2 x 65535 + 255 < 2^34), and doubles hold
 * integers exactly up to 2^53, so no wrap-around and no BigInt.
 *
 * IPv6 extension (ours; the claim covers IPv4 only): an address counts as the exact sum
 * of its four 32-bit words (big-endian), so SRC_IP ranges over [0, 4 x (2^32 - 1)] and
 * the formula is otherwise unchanged (sums stay below 2^36). Because an IPv4 key keeps
 * its address in word 0 with words 1..3 zero, the same code computes both.
 */
import type { FlowKey } from './flow-key.js';
import { checkInteger } from './util.js';

/** Largest N the formulas accept (N is a u32 count of members). */
export const ADDITIVE_MAX_MEMBERS = 0xffff_ffff;

/** SRC_IP + DST_IP + DST_PORT, exact (IPv6: each address as the sum of its four 32-bit words). */
export function additive3Sum(key: FlowKey): number {
  const s = key.source;
  const d = key.destination;
  return s[0]! + s[1]! + s[2]! + s[3]! + d[0]! + d[1]! + d[2]! + d[3]! + key.destinationPort;
}

/** SRC_IP + SRC_PORT + DST_IP + DST_PORT + PROTOCOL, exact. */
export function additive5Sum(key: FlowKey): number {
  return additive3Sum(key) + key.sourcePort + key.protocol;
}

/** (SRC_IP + DST_IP + DST_PORT) % N: the index of the owner among N members in a deterministic order. */
export function additive3(key: FlowKey, members: number): number {
  checkInteger('additive', 'members', members, 1, ADDITIVE_MAX_MEMBERS);
  return additive3Sum(key) % members;
}

/** (SRC_IP + SRC_PORT + DST_IP + DST_PORT + PROTOCOL) % N. */
export function additive5(key: FlowKey, members: number): number {
  checkInteger('additive', 'members', members, 1, ADDITIVE_MAX_MEMBERS);
  return additive5Sum(key) % members;
}
