/**
 * The data plane's static configuration: the node's real MAC, its VIPs (address, ownership
 * policy, non-SYN handling, ports served, virtual MAC), the flow table's bounds and the
 * cluster's flow-hash key. Validated once, off the hot path; bad input is an
 * `InvalidArgumentError` naming the field.
 */

import { InvalidArgumentError, Ipv4Address, Ipv6Address, MacAddress } from '@switchyard/wire';
import type { FlowTableOptions } from './flow-table.js';

/** Who owns a new flow of a VIP (DESIGN.md "One model: ownership policies"). */
export const OwnershipPolicy = {
  /** A: the VIP's one elected active node. */
  ACTIVE_PASSIVE: 'active-passive',
  /** B: (SRC_IP + DST_IP + DST_PORT) % N over the live members in ascending id order. */
  ADDITIVE3: 'additive3',
  /** B: (SRC_IP + SRC_PORT + DST_IP + DST_PORT + PROTOCOL) % N. */
  ADDITIVE5: 'additive5',
  /** C: the rendezvous (highest random weight) primary of the flow's keyed hash. */
  RENDEZVOUS: 'rendezvous',
} as const;
export type OwnershipPolicy = (typeof OwnershipPolicy)[keyof typeof OwnershipPolicy];

/** What happens to packets that are not SYNs (DESIGN.md): a second, independent choice. */
export const NonSynMode = {
  /** Deliver iff this node established the flow (its local flow table). */
  STICKY: 'sticky',
  /** Deliver iff the policy says this node owns the flow now; no table. */
  STATELESS: 'stateless',
} as const;
export type NonSynMode = (typeof NonSynMode)[keyof typeof NonSynMode];

/** What a client RST does to a held flow (sticky). */
export const RstMode = {
  /**
   * The flow turns closing and lingers `closingTimeoutMs` after its last packet. A spoofed
   * RST (which the kernel refuses unless its sequence number is exact, RFC 5961 §3) then
   * cannot cut the connection off at the data plane, which sees no sequence numbers.
   */
  LINGER: 'linger',
  /** The flow is removed at once (frees the slot sooner; any RST with the 4-tuple ends it). */
  REMOVE: 'remove',
} as const;
export type RstMode = (typeof RstMode)[keyof typeof RstMode];

export interface VipConfig {
  /** An IPv4 address (a number) or an IPv6 address (a bigint), as `@switchyard/wire` writes them. */
  readonly address: Ipv4Address | Ipv6Address;
  /** Default `active-passive`. */
  readonly policy?: OwnershipPolicy;
  /** Default `sticky`. */
  readonly nonSyn?: NonSynMode;
  /** TCP/UDP destination ports served; absent or empty: every port. */
  readonly ports?: readonly number[];
  /**
   * The VIP's virtual MAC. When set, frames for the VIP must be addressed to it: one sent to a
   * node's real MAC reaches that node's kernel directly, so delivering it again would duplicate it.
   */
  readonly vmac?: MacAddress;
}

export interface DataplaneConfig {
  /** The node's real MAC: frames from it are our own, seen again by the packet socket. */
  readonly mac: MacAddress;
  /** The VIPs, in the order snapshots index them. */
  readonly vips: readonly VipConfig[];
  /** Bounds of the local flow table (sticky). */
  readonly flows: FlowTableOptions;
  /** The 16-byte cluster key of the flow hash (SipHash-2-4); the same on every node. */
  readonly hashKey: Uint8Array;
  /** What a client RST does to a held flow; default `linger`. */
  readonly rst?: RstMode;
}

/** Most VIPs one data plane serves (bounds its tables; 8 KiB of port bitmap each at most). */
export const DATAPLANE_MAX_VIPS = 4096;

const LAYER = 'dataplane';
const POLICIES: readonly string[] = Object.values(OwnershipPolicy);
const MODES: readonly string[] = Object.values(NonSynMode);

/** The address's version, or throws. */
export function vipVersion(address: unknown, field: string): 4 | 6 {
  if (typeof address === 'number' && Ipv4Address.isValid(address)) return 4;
  if (typeof address === 'bigint' && Ipv6Address.isValid(address)) return 6;
  throw new InvalidArgumentError(LAYER, field, 'expected an IPv4 address (u32) or an IPv6 address (bigint)');
}

/** Validates a configuration (throws `InvalidArgumentError` naming the first bad field). */
export function checkConfig(config: DataplaneConfig): void {
  if (typeof config !== 'object' || config === null)
    throw new InvalidArgumentError(LAYER, 'config', 'expected an object');
  if (!MacAddress.isValid(config.mac)) throw new InvalidArgumentError(LAYER, 'mac', 'expected a 48-bit MAC');
  if (!(config.hashKey instanceof Uint8Array) || config.hashKey.length !== 16)
    throw new InvalidArgumentError(LAYER, 'hashKey', 'expected 16 bytes');
  if (config.rst !== undefined && config.rst !== RstMode.LINGER && config.rst !== RstMode.REMOVE)
    throw new InvalidArgumentError(LAYER, 'rst', "expected 'linger' or 'remove'");
  const vips = config.vips;
  if (!Array.isArray(vips) || vips.length > DATAPLANE_MAX_VIPS)
    throw new InvalidArgumentError(LAYER, 'vips', `expected an array of at most ${DATAPLANE_MAX_VIPS}`);
  const seen = new Set<number | bigint>();
  vips.forEach((vip: VipConfig, i) => {
    const at = `vips[${i}]`;
    vipVersion(vip?.address, `${at}.address`);
    if (seen.has(vip.address)) throw new InvalidArgumentError(LAYER, `${at}.address`, 'appears twice');
    seen.add(vip.address);
    if (vip.policy !== undefined && !POLICIES.includes(vip.policy))
      throw new InvalidArgumentError(LAYER, `${at}.policy`, `expected one of ${POLICIES.join(', ')}`);
    if (vip.nonSyn !== undefined && !MODES.includes(vip.nonSyn))
      throw new InvalidArgumentError(LAYER, `${at}.nonSyn`, `expected one of ${MODES.join(', ')}`);
    if (vip.vmac !== undefined && !MacAddress.isValid(vip.vmac))
      throw new InvalidArgumentError(LAYER, `${at}.vmac`, 'expected a 48-bit MAC');
    if (vip.ports !== undefined) {
      if (!Array.isArray(vip.ports))
        throw new InvalidArgumentError(LAYER, `${at}.ports`, 'expected an array');
      for (const p of vip.ports) {
        if (!Number.isInteger(p) || p < 0 || p > 0xffff)
          throw new InvalidArgumentError(LAYER, `${at}.ports`, `${String(p)} is not a port`);
      }
    }
  });
}
