/**
 * Flow keys and flow-to-member hashing for a layer-4 switch: the 5-tuple of IPv4/IPv6 TCP
 * and UDP packets (and of the flow an ICMP error quotes), the claimed additive formulas
 * `additive3`/`additive5`, a keyed SipHash-2-4 flow hash, jump consistent hash and Maglev
 * lookup tables, all behind one `Policy` interface.
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict';
 * import { FlowHasher, FlowKey, Protocol, additive3, maglevPolicy } from '@switchyard/flowhash';
 * import { Ipv4Address } from '@switchyard/wire';
 *
 * const key = FlowKey.ipv4(Ipv4Address.parse('10.0.0.1'), Ipv4Address.parse('10.0.0.2'), 40000, 80, Protocol.TCP);
 * // (167772161 + 167772162 + 80) % 3 = 335544403 % 3 = 1
 * assert.equal(additive3(key, 3), 1);
 *
 * const hasher = new FlowHasher({ key: new Uint8Array(16).fill(7) }); // the cluster key, from config
 * const owners = maglevPolicy(hasher).assign([{ id: 1 }, { id: 2 }, { id: 3 }]); // off the hot path
 * const owner = owners.members[owners.pick(key)]!.id; // per packet: no allocation
 * assert.ok([1, 2, 3].includes(owner));
 * ```
 *
 * @packageDocumentation
 */
export { ADDITIVE_MAX_MEMBERS, additive3, additive3Sum, additive5, additive5Sum } from './additive.js';
export {
  encodeFlowKey,
  FLOW_KEY_IPV4_LENGTH,
  FLOW_KEY_IPV6_LENGTH,
  FlowHasher,
  type FlowHasherOptions,
} from './flow-hasher.js';
export { extractFlowKey, FlowKey, FlowKeyExtractor, FlowKeyStatus, Protocol } from './flow-key.js';
export { JUMP_MAX_BUCKETS, jumpHash } from './jump.js';
export {
  isPrime,
  MAGLEV_DEFAULT_TABLE_SIZE,
  MAGLEV_MAX_TABLE_SIZE,
  MAGLEV_SIZE_FACTOR,
  type MaglevBackend,
  MaglevTable,
  nextPrime,
  populateMaglev,
} from './maglev.js';
export { checkMembers, MAX_MEMBERS, type Member } from './members.js';
export {
  type Assignment,
  additive3Policy,
  additive5Policy,
  jumpPolicy,
  keyedModuloPolicy,
  type MaglevPolicyOptions,
  maglevPolicy,
  type Policy,
} from './policy.js';
export { SIPHASH_KEY_LENGTH, SipHash24 } from './siphash.js';
