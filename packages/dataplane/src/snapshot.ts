/**
 * Ownership snapshots (DESIGN.md rule 2): the control plane builds one from the membership
 * and the election's roles, with everything a per-packet lookup needs precomputed; the data
 * plane only swaps a reference. A snapshot is plain data (numbers and typed arrays), so it
 * survives `postMessage` to a worker thread unchanged (typed arrays are copied, or shared
 * when built over a `SharedArrayBuffer`).
 */
import { BucketTable } from '@switchyard/hrw';
import { InvalidArgumentError, type Ipv4Address, type Ipv6Address } from '@switchyard/wire';
import { OwnershipPolicy, type VipConfig, vipVersion } from './config.js';

/** Marks a VIP without an active node in `OwnershipSnapshot.active`. */
export const NO_ACTIVE = -1;

/** An immutable view of who owns what. Never write its arrays: workers read them concurrently. */
export interface OwnershipSnapshot {
  /** Increases with every snapshot the control plane publishes (for logs and metrics). */
  readonly version: number;
  /** This node's id. */
  readonly selfId: number;
  /** Live member ids, ascending: the deterministic order the modulo policies index (DESIGN.md B). */
  readonly members: Uint32Array;
  /** Index of `selfId` in `members`, or -1 when this node is not a live member. */
  readonly selfIndex: number;
  /** Per VIP (configuration order): the active node's id, or `NO_ACTIVE`. */
  readonly active: Float64Array;
  /**
   * Rendezvous: the primary member id per bucket row (`@switchyard/hrw`'s `BucketTable`),
   * indexed by the low bits of the flow's keyed hash. Empty when no VIP uses rendezvous or
   * there are no members. Its length is a power of two.
   */
  readonly primaries: Uint32Array;
  /** Number of VIPs the snapshot was built for (checked against the data plane's). */
  readonly vipCount: number;
}

export interface SnapshotInput {
  /** The data plane's VIPs, in configuration order (the same list `DataplaneConfig.vips` holds). */
  readonly vips: readonly Pick<VipConfig, 'address' | 'policy'>[];
  /** This node's id (u32). */
  readonly selfId: number;
  /** Live member ids (u32, unique; sorted here). This node counts only if listed. */
  readonly members: readonly number[];
  /** The active node of each VIP that has one (election's `activeNode`); VIPs absent have none. */
  readonly activeByVip?: ReadonlyMap<Ipv4Address | Ipv6Address, number>;
  /** Default 0. */
  readonly version?: number;
  /** Rendezvous table shape: rows (a power of two, default hrw's 65536) and seed (default 0). */
  readonly rendezvous?: { readonly rows?: number; readonly seed?: number };
}

const LAYER = 'dataplane-snapshot';

function checkU32(field: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 0xffff_ffff)
    throw new InvalidArgumentError(LAYER, field, `expected a u32, got ${String(value)}`);
  return value;
}

/**
 * Builds a snapshot (off the hot path: sorting, validation, and for rendezvous ranking every
 * bucket row). Pure: the same input gives the same snapshot on every node.
 */
export function buildSnapshot(input: SnapshotInput): OwnershipSnapshot {
  const selfId = checkU32('selfId', input.selfId);
  const version = input.version ?? 0;
  if (!Number.isSafeInteger(version) || version < 0)
    throw new InvalidArgumentError(LAYER, 'version', 'expected a non-negative integer');
  if (!Array.isArray(input.members)) throw new InvalidArgumentError(LAYER, 'members', 'expected an array');
  const members = Uint32Array.from(input.members, (id, i) => checkU32(`members[${i}]`, id)).sort();
  for (let i = 1; i < members.length; i++) {
    if (members[i] === members[i - 1])
      throw new InvalidArgumentError(LAYER, 'members', `${members[i]} appears twice`);
  }
  const vips = input.vips;
  if (!Array.isArray(vips)) throw new InvalidArgumentError(LAYER, 'vips', 'expected an array');
  const active = new Float64Array(vips.length).fill(NO_ACTIVE);
  const index = new Map<Ipv4Address | Ipv6Address, number>();
  vips.forEach((vip, i) => {
    vipVersion(vip?.address, `vips[${i}].address`);
    index.set(vip.address, i);
  });
  for (const [address, node] of input.activeByVip ?? []) {
    const i = index.get(address);
    if (i === undefined)
      throw new InvalidArgumentError(LAYER, 'activeByVip', `${String(address)} is not one of the VIPs`);
    active[i] = checkU32('activeByVip', node);
  }
  let primaries: Uint32Array = new Uint32Array(0);
  if (members.length > 0 && vips.some((v) => v.policy === OwnershipPolicy.RENDEZVOUS)) {
    const { rows, seed } = input.rendezvous ?? {};
    const options = { ...(rows === undefined ? {} : { rows }), ...(seed === undefined ? {} : { seed }) };
    // The data plane keeps only the primary column: stateless and SYN placement need nothing else.
    primaries = BucketTable.build(
      Array.from(members, (id) => ({ id })),
      options,
    ).primaries;
  }
  return Object.freeze({
    version,
    selfId,
    members,
    selfIndex: members.indexOf(selfId),
    active,
    primaries,
    vipCount: vips.length,
  });
}

/** Checks a snapshot's shape before a data plane swaps it in (cheap: no per-row work). */
export function checkSnapshot(snapshot: OwnershipSnapshot, vipCount: number): void {
  if (typeof snapshot !== 'object' || snapshot === null)
    throw new InvalidArgumentError(LAYER, 'snapshot', 'expected an object');
  if (snapshot.vipCount !== vipCount || !(snapshot.active instanceof Float64Array))
    throw new InvalidArgumentError(LAYER, 'vipCount', `built for ${snapshot.vipCount} VIPs, not ${vipCount}`);
  if (snapshot.active.length !== vipCount)
    throw new InvalidArgumentError(LAYER, 'active', `expected ${vipCount} entries`);
  if (!(snapshot.members instanceof Uint32Array) || !(snapshot.primaries instanceof Uint32Array))
    throw new InvalidArgumentError(LAYER, 'members', 'expected Uint32Arrays');
  const rows = snapshot.primaries.length;
  if ((rows & (rows - 1)) !== 0)
    throw new InvalidArgumentError(LAYER, 'primaries', 'length must be a power of two');
  const i = snapshot.selfIndex;
  if (
    !Number.isInteger(i) ||
    i < -1 ||
    i >= snapshot.members.length ||
    (i >= 0 && snapshot.members[i] !== snapshot.selfId)
  )
    throw new InvalidArgumentError(LAYER, 'selfIndex', 'does not point at selfId in members');
}
