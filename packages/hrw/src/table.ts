/**
 * Bucket tables after glb-director's forwarding table: a control plane ranks every row once
 * from a membership snapshot, the data plane looks a key hash's row up. A row holds a
 * primary and a backup; member states (active, draining, filling) let a member leave or join
 * without breaking the flows it holds.
 */
import { InvalidArgumentError } from '@switchyard/wire';
import { type Member, MemberSet } from './rendezvous.js';

const LAYER = 'hrw-table';

/** A member's place in its life cycle (glb-director's proxy states). */
export const MemberState = {
  /** Ranked normally: primary where it scores first, backup where it scores second. */
  ACTIVE: 0,
  /** Keeps its existing flows, takes no new ones: where it would be primary it is backup. */
  DRAINING: 1,
  /**
   * Joining: takes new flows where it scores first, and the row's previous primary is its
   * backup so that flows established before it arrived get a second chance there. In
   * rendezvous hashing that previous primary is exactly the second-ranked member, so the
   * layout equals ACTIVE; the state tells the control plane not to start another change.
   */
  FILLING: 2,
} as const;
export type MemberState = (typeof MemberState)[keyof typeof MemberState];

/** A member with its state; `state` defaults to ACTIVE. */
export interface TableMember extends Member {
  readonly state?: MemberState;
}

export interface BucketTableOptions {
  /** Number of rows, a power of two in [1, 2^20]; default 2^16 (glb-director's size). */
  readonly rows?: number;
  /** Rendezvous seed; every balancer building the same table uses the same seed. */
  readonly seed?: number;
}

export const DEFAULT_TABLE_ROWS = 0x1_0000;
export const MAX_TABLE_ROWS = 0x10_0000;
/** Largest snapshot a table is built from (glb-director's limit as well). */
export const MAX_TABLE_MEMBERS = 256;
/** Build work bound: rows × members, about a second of scoring on a slow core. */
export const MAX_TABLE_WORK = 1 << 24;

/**
 * An immutable table of `rows` (primary, backup) pairs. Row r is the rendezvous ranking of
 * key r, adjusted for member states; `row(keyHash)` is the low bits of the key hash. A row
 * without a backup (a one-member table) stores its primary in both columns.
 */
export class BucketTable {
  readonly rows: number;
  readonly mask: number;
  readonly seed: number;
  /** The snapshot the table was built from, normalized (weight and state filled in). */
  readonly members: readonly Required<TableMember>[];
  /** Primary id per row. Shared with the data plane; do not write. */
  readonly primaries: Uint32Array;
  /** Backup id per row; equal to the primary when the row has none. */
  readonly backups: Uint32Array;

  private constructor(
    members: readonly Required<TableMember>[],
    rows: number,
    seed: number,
    primaries: Uint32Array,
    backups: Uint32Array,
  ) {
    this.members = members;
    this.rows = rows;
    this.mask = rows - 1;
    this.seed = seed;
    this.primaries = primaries;
    this.backups = backups;
  }

  /**
   * Builds the table from a membership snapshot. Pure: the same snapshot, rows and seed give
   * the same table on every balancer, whatever the order of `members`.
   */
  static build(members: readonly TableMember[], options: BucketTableOptions = {}): BucketTable {
    const rows = options.rows ?? DEFAULT_TABLE_ROWS;
    if (!Number.isInteger(rows) || rows < 1 || rows > MAX_TABLE_ROWS || (rows & (rows - 1)) !== 0) {
      throw new InvalidArgumentError(
        LAYER,
        'rows',
        `expected a power of two in [1, 2^20], got ${String(rows)}`,
      );
    }
    if (!Array.isArray(members) || members.length === 0) {
      throw new InvalidArgumentError(LAYER, 'members', 'a table needs at least one member');
    }
    if (members.length > MAX_TABLE_MEMBERS) {
      throw new InvalidArgumentError(LAYER, 'members', `at most ${MAX_TABLE_MEMBERS} members`);
    }
    if (rows * members.length > MAX_TABLE_WORK) {
      throw new InvalidArgumentError(LAYER, 'rows', `rows × members must be at most 2^24`);
    }
    const set = new MemberSet(members, options.seed === undefined ? {} : { seed: options.seed });
    const normalized = members.map((m, i): Required<TableMember> => {
      const state = m.state ?? MemberState.ACTIVE;
      if (state !== MemberState.ACTIVE && state !== MemberState.DRAINING && state !== MemberState.FILLING) {
        throw new InvalidArgumentError(LAYER, `members[${i}].state`, `unknown state ${String(state)}`);
      }
      return Object.freeze({ id: m.id, weight: set.weights[i]!, state });
    });
    const draining = normalized.map((m) => m.state === MemberState.DRAINING);
    const ids = set.ids;
    const primaries = new Uint32Array(rows);
    const backups = new Uint32Array(rows);
    const n = ids.length;
    for (let r = 0; r < rows; r++) {
      // One pass: the best and second-best overall, and the best member that is not draining.
      let b0 = -1;
      let s0 = 0;
      let b1 = -1;
      let s1 = 0;
      let bn = -1;
      let sn = 0;
      for (let i = 0; i < n; i++) {
        const s = set.scoreAt(r, i);
        const id = ids[i]!;
        if (b0 < 0 || s > s0 || (s === s0 && id < ids[b0]!)) {
          b1 = b0;
          s1 = s0;
          b0 = i;
          s0 = s;
        } else if (b1 < 0 || s > s1 || (s === s1 && id < ids[b1]!)) {
          b1 = i;
          s1 = s;
        }
        if (!draining[i] && (bn < 0 || s > sn || (s === sn && id < ids[bn]!))) {
          bn = i;
          sn = s;
        }
      }
      let p = b0;
      let b = b1;
      // glb-director: a draining member that would be primary is swapped to backup, so it
      // keeps the flows it holds (second chance) while the next member takes new ones.
      if (draining[b0] && bn >= 0) {
        p = bn;
        b = b0;
      }
      primaries[r] = ids[p]!;
      backups[r] = ids[b < 0 ? p : b]!;
    }
    return new BucketTable(Object.freeze(normalized), rows, set.seed, primaries, backups);
  }

  /** Row of a key hash: its low bits (the key hash is already a keyed, uniform hash). */
  row(keyHash: number): number {
    return keyHash & this.mask;
  }

  /** Primary for a key hash. */
  primary(keyHash: number): number {
    return this.primaries[keyHash & this.mask]!;
  }

  /** Backup for a key hash, or undefined in a one-member table. */
  backup(keyHash: number): number | undefined {
    const r = keyHash & this.mask;
    const b = this.backups[r]!;
    return b === this.primaries[r] ? undefined : b;
  }

  /** State of member `id` in this snapshot, or undefined when it is not a member. */
  stateOf(id: number): MemberState | undefined {
    return this.members.find((m) => m.id === id)?.state;
  }
}

/** The rows that differ between two tables, with the new contents: what a control plane publishes. */
export interface TableDiff {
  /** Row indices, ascending. */
  readonly rows: Uint32Array;
  /** New primary of each listed row. */
  readonly primaries: Uint32Array;
  /** New backup of each listed row (equal to the primary when none). */
  readonly backups: Uint32Array;
  /** Listed rows whose primary changed (new flows there go elsewhere). */
  readonly primaryChanged: number;
  /** Listed rows where only the backup changed. */
  readonly backupChanged: number;
}

/** The rows of `next` that differ from `prev`; both tables must have the same number of rows. */
export function diffTables(prev: BucketTable, next: BucketTable): TableDiff {
  if (prev.rows !== next.rows) {
    throw new InvalidArgumentError(LAYER, 'rows', `tables differ in size: ${prev.rows} and ${next.rows}`);
  }
  const changed: number[] = [];
  let primaryChanged = 0;
  for (let r = 0; r < prev.rows; r++) {
    const p = prev.primaries[r] !== next.primaries[r];
    if (p || prev.backups[r] !== next.backups[r]) {
      changed.push(r);
      if (p) primaryChanged++;
    }
  }
  const rows = Uint32Array.from(changed);
  return {
    rows,
    primaries: rows.map((r) => next.primaries[r]!),
    backups: rows.map((r) => next.backups[r]!),
    primaryChanged,
    backupChanged: changed.length - primaryChanged,
  };
}

/** Applies a diff in place to a copy of a table's columns (for example a shared buffer). */
export function applyTableDiff(primaries: Uint32Array, backups: Uint32Array, diff: TableDiff): void {
  if (primaries.length !== backups.length) {
    throw new InvalidArgumentError(LAYER, 'backups', 'primaries and backups differ in length');
  }
  const n = diff.rows.length;
  if (diff.primaries.length !== n || diff.backups.length !== n) {
    throw new InvalidArgumentError(LAYER, 'diff', 'rows, primaries and backups differ in length');
  }
  for (let i = 0; i < n; i++) {
    if (diff.rows[i]! >= primaries.length) {
      throw new InvalidArgumentError(
        LAYER,
        'diff.rows',
        `row ${diff.rows[i]} outside a ${primaries.length}-row table`,
      );
    }
  }
  for (let i = 0; i < n; i++) {
    const r = diff.rows[i]!;
    primaries[r] = diff.primaries[i]!;
    backups[r] = diff.backups[i]!;
  }
}

/** Something a membership change does that glb-director's state machine advises against. */
export type TransitionIssue =
  | { readonly kind: 'joined-without-filling'; readonly id: number }
  | { readonly kind: 'left-without-draining'; readonly id: number }
  | { readonly kind: 'several-changing'; readonly ids: readonly number[] };

/**
 * Checks a snapshot change against glb-director's proxy state machine: members join as
 * filling and leave after draining, and at most one member is not active at a time (a row
 * has one backup, so only one change can be covered by a second chance). Advisory: a failed
 * member has to leave without draining, and the table is correct either way.
 */
export function checkTransition(
  prev: readonly TableMember[],
  next: readonly TableMember[],
): TransitionIssue[] {
  const issues: TransitionIssue[] = [];
  const before = new Map(prev.map((m) => [m.id, m.state ?? MemberState.ACTIVE]));
  const after = new Set(next.map((m) => m.id));
  for (const m of next) {
    const state = m.state ?? MemberState.ACTIVE;
    if (!before.has(m.id) && state !== MemberState.FILLING)
      issues.push({ kind: 'joined-without-filling', id: m.id });
  }
  for (const [id, state] of before) {
    if (!after.has(id) && state !== MemberState.DRAINING) issues.push({ kind: 'left-without-draining', id });
  }
  const changing = next
    .filter((m) => (m.state ?? MemberState.ACTIVE) !== MemberState.ACTIVE)
    .map((m) => m.id);
  if (changing.length > 1) issues.push({ kind: 'several-changing', ids: changing });
  return issues;
}
