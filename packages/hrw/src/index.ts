/**
 * Weighted rendezvous (highest random weight) hashing for Switchyard's director tier
 * (DESIGN.md mechanism C): every balancer scores every member for a flow's key hash, the
 * best is the primary and the second the backup. Bucket tables precompute that ranking per
 * row with glb-director's draining and filling states, and a replicated flow directory keeps
 * flow → (primary, backup, server) identical on every balancer through authenticated,
 * order-independent updates.
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict';
 * import { BucketTable, MemberState, primaryBackup, rank } from '@switchyard/hrw';
 *
 * const members = [{ id: 1 }, { id: 2 }, { id: 3, weight: 2 }];
 * const keyHash = 0x1234abcd; // from @switchyard/flowhash's keyed hash of the flow
 * const { primary, backup } = primaryBackup(keyHash, members);
 * assert.deepEqual(rank(keyHash, members, 2), [primary, backup]);
 *
 * // Without the primary, the backup takes over: nothing else moves.
 * assert.equal(primaryBackup(keyHash, members.filter((m) => m.id !== primary)).primary, backup);
 *
 * // A table row per low 16 bits of the key hash; draining moves a member to backup.
 * const table = BucketTable.build(members.map((m) => (m.id === primary ? { ...m, state: MemberState.DRAINING } : m)));
 * assert.notEqual(table.primary(keyHash), primary);
 * ```
 *
 * @packageDocumentation
 */
export type {
  DirectoryCounters,
  FlowDirectoryOptions,
  FlowRoute,
  MergeResult,
  ReceiveResult,
  ReceiveVerdict,
} from './directory.js';
export { compareEntries, FlowDirectory, MAX_DIRECTORY_CAPACITY } from './directory.js';
export type { FlowKey } from './flow-key.js';
export { FLOW_KEY_LENGTH, flowKey } from './flow-key.js';
export { unitHash } from './hash.js';
export type { DirectoryEntry, DirectoryMessage } from './message.js';
export {
  DIRECTORY_ENTRY_LENGTH,
  DIRECTORY_HEADER_LENGTH,
  DIRECTORY_MAX_ENTRIES,
  DIRECTORY_MESSAGE_TYPE_UPDATE,
  DIRECTORY_MESSAGE_VERSION,
  DirectoryOp,
  directoryMessage,
} from './message.js';
export type { Member } from './rendezvous.js';
export { MAX_MEMBERS, MemberSet, primaryBackup, rank, rankInto, score } from './rendezvous.js';
export type { BucketTableOptions, TableDiff, TableMember, TransitionIssue } from './table.js';
export {
  applyTableDiff,
  BucketTable,
  checkTransition,
  DEFAULT_TABLE_ROWS,
  diffTables,
  MAX_TABLE_MEMBERS,
  MAX_TABLE_ROWS,
  MAX_TABLE_WORK,
  MemberState,
} from './table.js';
