/**
 * The sans-I/O data plane of a Switchyard node. So far it holds the local flow table that
 * `sticky` delivery relies on: bounded, idle-expiring, allocation-free per packet.
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict';
 * import { FlowKey } from '@switchyard/flowhash';
 * import { FlowTable } from '@switchyard/dataplane';
 *
 * const flows = new FlowTable({ capacity: 1024, idleTimeoutMs: 300_000, closingTimeoutMs: 30_000 });
 * const key = FlowKey.ipv4(0xc000020a, 0x0a000064, 40000, 80, 6); // 192.0.2.10:40000 > 10.0.0.100:80 tcp
 * const hash = 0x9e3779b9; // in real use: the flow's keyed SipHash
 * const slot = flows.insert(key, hash, 0);
 * assert.equal(flows.find(key, hash), slot);
 * assert.equal(flows.expire(300_000), 1);
 * ```
 *
 * @packageDocumentation
 */
export type { FlowTableCounters, FlowTableOptions } from './flow-table.js';
export { FLOW_TABLE_MAX_CAPACITY, FlowState, FlowTable } from './flow-table.js';
