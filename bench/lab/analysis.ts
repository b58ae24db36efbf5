/**
 * What the failover benchmark derives from its raw records: the client-visible gap from the
 * probes, and split-brain intervals from the nodes' logged state changes.
 */
import type { ProbeRecord } from './clients.js';

/**
 * The client-visible gap: the longest run of failed probes, measured from the start of the
 * last probe that succeeded before it to the start of the first that succeeded after it (so
 * it includes one probe interval). 0 when no probe failed.
 */
export function longestGap(probes: readonly ProbeRecord[]): { gapMs: number; failed: number; from?: number } {
  const sorted = [...probes].sort((a, b) => a.at - b.at);
  let best = 0;
  let from: number | undefined;
  let lastOk: number | undefined;
  let failedRun = 0;
  for (const p of sorted) {
    if (!p.ok) {
      failedRun++;
      continue;
    }
    if (failedRun > 0 && lastOk !== undefined && p.at - lastOk > best) {
      best = p.at - lastOk;
      from = lastOk;
    }
    failedRun = 0;
    lastOk = p.at;
  }
  if (failedRun > 0 && lastOk !== undefined) {
    // Never recovered within the probe's time: the gap runs to the last probe.
    const last = sorted[sorted.length - 1]!.at;
    if (last - lastOk > best) {
      best = last - lastOk;
      from = lastOk;
    }
  }
  return { gapMs: best, failed: sorted.filter((p) => !p.ok).length, ...(from === undefined ? {} : { from }) };
}

/** A state change a node logged: master/active or not, at an instant (epoch ms). */
export interface RoleChange {
  node: number;
  at: number;
  master: boolean;
}

export interface Outage {
  /** When a node stopped counting (epoch ms): killed, or cut off from the segment. */
  from: number;
  to: number;
  node: number;
}

/**
 * Split-brain: stretches of time in which two or more of `nodes` were master at once while
 * alive and on the segment (outside their outages), between `since` and `until`. Returns how
 * many such stretches there were and their total length.
 */
export function splitBrain(
  nodes: readonly number[],
  changes: readonly RoleChange[],
  outages: readonly Outage[],
  since: number,
  until: number,
): { events: number; overlapMs: number } {
  const masterAt = (node: number, t: number) => {
    let m = false;
    for (const c of changes) if (c.node === node && c.at <= t) m = c.master;
    return m && !outages.some((o) => o.node === node && o.from <= t && t < o.to);
  };
  const instants = [
    ...new Set([since, ...changes.map((c) => c.at), ...outages.flatMap((o) => [o.from, o.to])]),
  ]
    .filter((t) => t >= since && t < until)
    .sort((a, b) => a - b);
  let events = 0;
  let overlapMs = 0;
  let inside = false;
  for (let i = 0; i < instants.length; i++) {
    const t = instants[i]!;
    const dual = nodes.filter((n) => masterAt(n, t)).length >= 2;
    if (dual) {
      if (!inside) events++;
      overlapMs += (instants[i + 1] ?? until) - t;
    }
    inside = dual;
  }
  return { events, overlapMs };
}
