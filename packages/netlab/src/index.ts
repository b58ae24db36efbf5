/**
 * Declarative network labs on Linux for tests and benchmarks: hosts are network namespaces,
 * links are veth pairs into Linux bridges that live in namespaces of their own, with
 * addresses, routes, sysctls and processes; names unique per run; teardown guaranteed on
 * `destroy`, process exit, SIGINT/SIGTERM/SIGHUP, and by `sweepStaleLabs` after a SIGKILL.
 *
 * @example
 * ```ts
 * import { createLab } from '@switchyard/netlab';
 *
 * await using lab = await createLab({
 *   bridges: [{ name: 'seg' }],
 *   hosts: [
 *     { name: 'a', links: [{ bridge: 'seg', address: '10.99.0.1/24' }] },
 *     { name: 'b', links: [{ bridge: 'seg', address: '10.99.0.2/24' }] },
 *   ],
 * });
 * const { stdout } = await lab.exec('a', ['ip', '-br', 'addr', 'show', 'dev', 'eth0']);
 * console.log(stdout); // eth0@if3  UP  10.99.0.1/24 fe80::.../64
 * ```
 *
 * @packageDocumentation
 */
export type { SweepResult } from './cleanup.js';
export { classifyNamespaces, liveLabCount, sweepStaleLabs } from './cleanup.js';
export type { CommandFailure } from './errors.js';
export { CommandError, NetlabError, NetlabErrorCode } from './errors.js';
export type {
  CreateLabOptions,
  ExecOptions,
  ExecResult,
  LabFdbEntry,
  LabInterface,
  LossInjector,
  LossOptions,
  SpawnOptions,
} from './lab.js';
export { createLab, Lab } from './lab.js';
export type { ParsedNamespaceName } from './names.js';
export { IFNAMSIZ, MAX_NODE_NAME_LENGTH, NAMESPACE_NAME, parseNamespaceName } from './names.js';
export type { FdbEntry, InterfaceState, Neighbor } from './parse.js';
export { parseFdb, parseInterfaces, parseNeighbors } from './parse.js';
export type { OutputStream, ProcessExit } from './process.js';
export { LabProcess } from './process.js';
export { canCreateNamespaces } from './run.js';
export type {
  BridgeLinkSpec,
  BridgeSpec,
  HostSpec,
  LabPlan,
  LabSpec,
  PlannedInterface,
  PlannedNode,
  PlanStep,
  RouteSpec,
  VethEndSpec,
  VethSpec,
} from './spec.js';
export { MAX_INTERFACES_PER_HOST, MAX_NODES, planLab } from './spec.js';
