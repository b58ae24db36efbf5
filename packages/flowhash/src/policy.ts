/**
 * Ownership policies (DESIGN.md, "One model: ownership policies"): each is a pure function
 * of (flow key, membership snapshot) → member. `assign(members)` validates the membership
 * and builds whatever the policy looks up (off the hot path); the returned `Assignment`'s
 * `pick(key)` is the per-packet call: no allocation, no state change.
 */
import { additive3Sum, additive5Sum } from './additive.js';
import type { FlowHasher } from './flow-hasher.js';
import type { FlowKey } from './flow-key.js';
import { jumpHash } from './jump.js';
import { MAGLEV_DEFAULT_TABLE_SIZE, MaglevTable } from './maglev.js';
import { checkMembers, type Member } from './members.js';

/** A membership snapshot bound to a policy. */
export interface Assignment {
  /** The members, sorted by id: the order `pick` indexes into. */
  readonly members: readonly Member[];
  /** The index (into `members`) of the flow's owner. */
  pick(key: FlowKey): number;
}

/** An ownership policy. */
export interface Policy {
  /** Short name (`additive3`, `additive5`, `keyed-mod`, `jump`, `maglev`). */
  readonly name: string;
  /** Whether member weights are honoured (unweighted policies refuse weights other than 1). */
  readonly weighted: boolean;
  /** Validates `members` (1..65536, unique u32 ids) and builds the snapshot. */
  assign(members: readonly Member[]): Assignment;
}

/** (SRC_IP + DST_IP + DST_PORT) % N over the members sorted by id (the claim, DESIGN.md B). */
export const additive3Policy: Policy = {
  name: 'additive3',
  weighted: false,
  assign(members) {
    const sorted = checkMembers('additive3', members, false);
    const n = sorted.length;
    return { members: sorted, pick: (key) => additive3Sum(key) % n };
  },
};

/** (SRC_IP + SRC_PORT + DST_IP + DST_PORT + PROTOCOL) % N over the members sorted by id. */
export const additive5Policy: Policy = {
  name: 'additive5',
  weighted: false,
  assign(members) {
    const sorted = checkMembers('additive5', members, false);
    const n = sorted.length;
    return { members: sorted, pick: (key) => additive5Sum(key) % n };
  },
};

/** SipHash-2-4(key, 5-tuple) mod N: even spread that no client can steer, but `% N` remaps ~all flows when N changes. */
export function keyedModuloPolicy(hasher: FlowHasher): Policy {
  return {
    name: 'keyed-mod',
    weighted: false,
    assign(members) {
      const sorted = checkMembers('keyed-mod', members, false);
      const n = sorted.length;
      return { members: sorted, pick: (key) => hasher.hash(key) % n };
    },
  };
}

/**
 * Jump consistent hash of the 64-bit SipHash over the members sorted by id (bucket i is
 * the i-th smallest id). Minimal disruption holds for adding a member with a larger id than
 * all others and removing the largest: jump numbers buckets 0..N-1, so removing any other
 * member renumbers the ones after it (see the README and the benchmark).
 */
export function jumpPolicy(hasher: FlowHasher): Policy {
  return {
    name: 'jump',
    weighted: false,
    assign(members) {
      const sorted = checkMembers('jump', members, false);
      const n = sorted.length;
      return {
        members: sorted,
        pick: (key) => {
          const low = hasher.hash(key);
          return jumpHash(low, hasher.high, n);
        },
      };
    },
  };
}

export interface MaglevPolicyOptions {
  /** Prime table size, at least 100 x N (default 65537, enough for 655 members). */
  readonly tableSize?: number;
}

/** A Maglev lookup table (NSDI 2016 §3.4) indexed by the flow's SipHash; weights honoured. */
export function maglevPolicy(hasher: FlowHasher, options: MaglevPolicyOptions = {}): Policy {
  const size = options.tableSize ?? MAGLEV_DEFAULT_TABLE_SIZE;
  return {
    name: 'maglev',
    weighted: true,
    assign(members) {
      const table = MaglevTable.build(members, hasher, size);
      return { members: table.members, pick: (key) => table.lookup(hasher.hash(key)) };
    },
  };
}
