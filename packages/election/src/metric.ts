/**
 * Metrics: what a node announces for each VIP, lower is better. The cluster compares the
 * announced numbers, so nodes may run different metric functions and still agree on who
 * is best; ties go to the lower tiebreak, then the lower node id.
 */
import { IpAddress } from './ip.js';

/** What a metric function sees for one VIP. */
export interface MetricContext {
  readonly vip: IpAddress;
  /** The VIP's configured priority on this node, 0..255 (higher preferred; VRRP's sense). */
  readonly priority: number;
  /** The load figures the host last supplied with `setLoad` (empty until then). */
  readonly load: readonly number[];
  readonly nodeId: number;
}

/** Returns the node's metric for a VIP: an integer in [0, 2^32 - 1], lower is better. */
export type Metric = (ctx: MetricContext) => number;

/** Static priority: metric = 255 - priority, so priority 255 beats 100. */
export const priorityMetric: Metric = (ctx) => 255 - ctx.priority;

/**
 * A load figure the host supplies, lower is better (for example active connections or CPU
 * per mille); before the first `setLoad`, and for a missing figure, the worst metric.
 * Ties between equal loads go to priority: metric = load x 256 + (255 - priority), capped.
 */
export function loadMetric(index = 0): Metric {
  return (ctx) => {
    const load = ctx.load[index];
    if (load === undefined) return 0xffff_ffff;
    return Math.min(0xffff_ffff, load * 256 + (255 - ctx.priority));
  };
}

/**
 * A rendezvous score of (VIP, node): when `spread` is on, it breaks metric ties, so VIPs of
 * equal metric land on different nodes, the same on every node. FNV-1a over the VIP key and
 * the node id, then murmur3's fmix32 finalizer.
 */
export function spreadScore(vip: IpAddress, nodeId: number): number {
  let h = 0x811c9dc5;
  const text = `${IpAddress.key(vip)}/${nodeId}`;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
