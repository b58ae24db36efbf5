/**
 * Heartbeats and per-VIP active/passive election for a flood cluster (DESIGN.md mechanism A),
 * sans-I/O: an authenticated heartbeat codec on EtherType 0x88B5 (HMAC-SHA256, key rotation,
 * anti-replay counter), a membership view, and a role per VIP decided by a pluggable metric,
 * with preemption, hold time, re-evaluation, graceful handover and split-brain resolution.
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict';
 * import { KeyRing } from '@switchyard/wire';
 * import { HeartbeatMessage, heartbeat, IpAddress, Role } from '@switchyard/election';
 *
 * const keys = new KeyRing([{ id: 1, secret: new Uint8Array(32).fill(7) }]);
 * const bytes = heartbeat.seal({ flags: 0, keyId: 1, clusterId: 42, nodeId: 1, mac: 0x02_00_00_00_00_01,
 *   ip: IpAddress.parse('10.0.0.1'), bootId: 7, counter: 1n, intervalUs: 10_000, solicit: 0, loads: [],
 *   claims: [{ vip: IpAddress.parse('192.0.2.10'), role: Role.ACTIVE, term: 1, metric: 55, tiebreak: 0 }] }, keys);
 * const m = new HeartbeatMessage().wrap(bytes);
 * assert.equal(m.verify(keys), 'ok');
 * bytes[20] ^= 1;                                  // one flipped bit: the tag no longer verifies
 * assert.equal(m.verify(keys), 'bad-tag');
 * ```
 *
 * @packageDocumentation
 */
export type {
  ElectionCounters,
  ElectionEvent,
  ElectionOptions,
  MemberInfo,
  Membership,
  VipConfig,
  VipStatus,
} from './election.js';
export { ElectionNode, LeaveReason, RoleReason } from './election.js';
export type { HeartbeatRepr, VipClaim } from './heartbeat.js';
export {
  ClaimField,
  HEARTBEAT_CLAIM_LENGTH,
  HEARTBEAT_ETHERTYPE,
  HEARTBEAT_HEADER_LENGTH,
  HEARTBEAT_MAX_CLAIMS,
  HEARTBEAT_MAX_LOADS,
  HEARTBEAT_VERSION,
  HeartbeatField,
  HeartbeatFlag,
  HeartbeatMessage,
  heartbeat,
  heartbeatGroupMac,
  Role,
  roleName,
} from './heartbeat.js';
export { IpAddress } from './ip.js';
export type { Metric, MetricContext } from './metric.js';
export { loadMetric, priorityMetric, spreadScore } from './metric.js';
