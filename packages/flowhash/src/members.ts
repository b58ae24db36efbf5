/** Membership snapshots: the live members a policy spreads flows over. */
import { InvalidArgumentError } from '@switchyard/wire';

/** A member (node, balancer, server): a u32 id, and a weight where the policy supports one. */
export interface Member {
  readonly id: number;
  /** Relative capacity (finite, > 0; default 1). Only weighted policies accept anything but 1. */
  readonly weight?: number;
}

/** Most members in one snapshot (bounds every table built from one). */
export const MAX_MEMBERS = 65_536;

/**
 * Validates a membership and returns a copy sorted by id: the deterministic order
 * `% N` indexes into (DESIGN.md B: "N the live members in a deterministic order").
 * Throws `InvalidArgumentError` for an empty or oversized set, a bad or repeated id, or a
 * weight an unweighted policy would silently ignore.
 */
export function checkMembers(
  layer: string,
  members: readonly Member[],
  weighted: boolean,
): readonly Member[] {
  if (!Array.isArray(members) || members.length === 0)
    throw new InvalidArgumentError(layer, 'members', 'at least one member is needed');
  if (members.length > MAX_MEMBERS)
    throw new InvalidArgumentError(layer, 'members', `more than ${MAX_MEMBERS}`);
  const sorted = [...members].sort((a, b) => a.id - b.id);
  for (let i = 0; i < sorted.length; i++) {
    const m = sorted[i]!;
    if (!Number.isInteger(m.id) || m.id < 0 || m.id > 0xffff_ffff)
      throw new InvalidArgumentError(layer, 'member id', `expected a u32, got ${String(m.id)}`);
    if (i > 0 && sorted[i - 1]!.id === m.id)
      throw new InvalidArgumentError(layer, 'member id', `${m.id} appears twice`);
    if (m.weight !== undefined) {
      if (!Number.isFinite(m.weight) || m.weight <= 0)
        throw new InvalidArgumentError(layer, 'weight', `must be finite and > 0, got ${String(m.weight)}`);
      if (!weighted && m.weight !== 1)
        throw new InvalidArgumentError(
          layer,
          'weight',
          `this policy is unweighted; member ${m.id} has weight ${m.weight}`,
        );
    }
  }
  return Object.freeze(sorted);
}
