/**
 * The "must show" list of the election issue, on netsim with fixed seeds: one active per
 * VIP at every instant, spreading, failover and graceful handover times, no spurious
 * failover under 5 % loss, partitions without flapping, metric-driven moves that respect
 * the hold time.
 */
import { describe, expect, it } from 'vitest';
import { IpAddress, loadMetric, Role, RoleReason, spreadScore } from '../src/index.js';
import { Cluster, ms, vip4, vip6 } from './cluster.js';

const I = ms(10);
const K = 3;
const VIPS = [vip4(1), vip4(2), vip6(3), vip4(4)];
/** Node (i % n) + 1 is preferred for VIP i: VIPs spread over the nodes. */
const spreadPriority = (nodes: number) => (n: number, i: number) => (n - 1 === i % nodes ? 200 : 100 + n);

/** Asserts exactly one active per VIP at the end of every instant in [from, until]. */
function expectOneActiveThroughout(
  c: Cluster,
  until: number,
  expected?: (vipIndex: number) => number,
): number {
  let checks = 0;
  c.runChecking(until, () => {
    for (const [i, v] of c.vips.entries()) {
      const actives = c.actives(v);
      if (actives.length !== 1 || (expected !== undefined && actives[0] !== expected(i)))
        throw new Error(`at ${c.sim.now} ns VIP ${IpAddress.format(v)} has actives [${actives}]`);
    }
    checks++;
  });
  return checks;
}

describe('one active per VIP, spread over the nodes', () => {
  for (const [nodes, seed] of [
    [3, 11],
    [5, 12],
    [7, 13],
  ] as const) {
    it(`${nodes} nodes, ${VIPS.length} VIPs: exactly one active per VIP at every instant after convergence`, () => {
      const c = new Cluster({ seed, nodes, vips: VIPS, priority: spreadPriority(nodes) });
      c.startAll();
      c.sim.runFor(K * I + ms(1)); // INIT listens k intervals, then decides
      const checks = expectOneActiveThroughout(c, c.sim.now + ms(3000), (i) => (i % nodes) + 1);
      expect(checks).toBeGreaterThan(1000);
      // A node active for one VIP and passive for another.
      const n1 = c.node(1).node;
      expect(n1.role(VIPS[0]!)).toBe(Role.ACTIVE);
      expect(n1.role(VIPS[1]!)).toBe(Role.PASSIVE);
      // Converged once: one INIT decision per node and VIP, nothing after.
      expect(c.roleEvents().length).toBe(nodes * VIPS.length);
      expect(c.log.filter((e) => e.event.type === 'leave')).toEqual([]);
    });
  }

  it('spread mode: equal priorities, VIPs land where the rendezvous score says, on several nodes', () => {
    const vips = Array.from({ length: 8 }, (_, i) => vip4(10 + i));
    const c = new Cluster({ seed: 5, nodes: 4, vips, options: () => ({ spread: true }) });
    c.startAll();
    c.sim.runFor(K * I + ms(1));
    const owners = vips.map((v) => {
      let best = 1;
      for (let n = 2; n <= 4; n++) if (spreadScore(v, n) < spreadScore(v, best)) best = n;
      return best;
    });
    expectOneActiveThroughout(c, c.sim.now + ms(500), (i) => owners[i]!);
    expect(new Set(owners).size).toBeGreaterThan(1);
  });

  it('without spreading, equal metrics go to the lowest node id', () => {
    const c = new Cluster({ seed: 6, nodes: 3, vips: VIPS });
    c.startAll();
    c.sim.runFor(K * I + ms(1));
    expectOneActiveThroughout(c, c.sim.now + ms(200), () => 1);
  });
});

describe('failover', () => {
  it('kill the active: a successor is active within dead interval + one heartbeat (20 seeded kills)', () => {
    for (let seed = 100; seed < 120; seed++) {
      const nodes = 3 + (seed % 3);
      const c = new Cluster({ seed, nodes, vips: VIPS, priority: spreadPriority(nodes) });
      c.startAll();
      c.sim.runFor(ms(200) + c.sim.random.below(I));
      const victim = 1; // active for VIPS[0] (and VIPS[3] when 3 nodes)
      const killedAt = c.sim.now;
      c.kill(victim);
      c.sim.runFor(ms(200));
      for (const [i, v] of VIPS.entries()) {
        if ((i % nodes) + 1 !== victim) continue;
        const t = c.takeoverAfter(v, killedAt, victim);
        expect(t, `seed ${seed} vip ${i}`).toBeDefined();
        expect(t!.event.at - killedAt).toBeLessThanOrEqual(K * I + I);
        expect(t!.event.at - killedAt).toBeGreaterThan((K - 1) * I); // it waited for the dead interval
        // The successor is the next best: highest priority among the living (100 + n).
        expect(t!.node).toBe(nodes);
        expect(c.actives(v)).toEqual([nodes]);
      }
      for (const v of VIPS) expect(c.actives(v)).toHaveLength(1);
    }
  });

  it('graceful stop: the successor takes over within one heartbeat interval', () => {
    for (let seed = 200; seed < 210; seed++) {
      const c = new Cluster({ seed, nodes: 4, vips: VIPS, priority: spreadPriority(4) });
      c.startAll();
      c.sim.runFor(ms(200) + c.sim.random.below(I));
      const stoppedAt = c.sim.now;
      c.stop(2); // active for VIPS[1]
      c.sim.runFor(ms(50));
      const t = c.takeoverAfter(VIPS[1]!, stoppedAt, 2)!;
      expect(t.event.reason).toBe(RoleReason.VACANT);
      expect(t.event.at - stoppedAt).toBeLessThan(I);
      expect(t.event.at - stoppedAt).toBeLessThan(ms(0.2)); // one propagation through the switch
      const leaves = c.log.filter((e) => e.event.type === 'leave');
      expect(leaves.map((e) => (e.event.type === 'leave' ? e.event.reason : ''))).toEqual([
        'stopped',
        'stopped',
        'stopped',
      ]);
      for (const v of VIPS) expect(c.actives(v)).toHaveLength(1);
    }
  });
});

describe('5 % loss on every link, k = 3', () => {
  const LONG = ms(60_000); // 6,000 heartbeat intervals per node
  const lossy = (solicit: boolean) => {
    const c = new Cluster({
      seed: 77,
      nodes: 5,
      vips: VIPS,
      priority: spreadPriority(5),
      conditions: { loss: 0.05, delayNs: ms(0.05), jitterNs: ms(0.01) },
      options: () => ({ solicit }),
    });
    c.startAll();
    c.sim.runFor(ms(100));
    const settled = c.log.length;
    c.sim.runFor(LONG);
    return { c, after: c.log.slice(settled) };
  };

  it('no spurious failover and no spurious leave over a long run', { timeout: 180_000 }, () => {
    const { c, after } = lossy(true);
    expect(after).toEqual([]);
    for (const [i, v] of VIPS.entries()) expect(c.actives(v)).toEqual([(i % 5) + 1]);
    const lost = c.switches[0]!.ports.reduce((s, p) => s + (p.cable?.stats.lost ?? 0), 0);
    expect(lost).toBeGreaterThan(5_000); // the loss was real
    const solicits = c.nodes.reduce((s, n) => s + n.node.counters.solicitsSent, 0);
    expect(solicits).toBeGreaterThan(0); // and overdue heartbeats were asked for
  });

  it('the same run without soliciting overdue peers does see spurious leaves (why solicit exists)', {
    timeout: 180_000,
  }, () => {
    const { after } = lossy(false);
    expect(after.filter((e) => e.event.type === 'leave').length).toBeGreaterThan(0);
  });
});

describe('partition and heal', () => {
  const run = (options: { preempt: boolean; loss?: number; seed: number }) => {
    const c = new Cluster({
      seed: options.seed,
      nodes: 5,
      split: 3,
      vips: VIPS,
      priority: spreadPriority(5),
      conditions: { loss: options.loss ?? 0, delayNs: ms(0.05), jitterNs: ms(0.01) },
      options: () => ({ preempt: options.preempt, holdTimeNs: ms(2000), reevaluationIntervalNs: ms(500) }),
    });
    c.startAll();
    c.sim.runFor(ms(100));
    const cutAt = c.sim.now;
    const healAt = cutAt + ms(1000);
    c.sim.partition({ cables: [c.trunk!], fromNs: cutAt, untilNs: healAt });
    c.sim.runUntil(healAt - 1);
    // Both sides have an active for every VIP: {1,2,3} and {4,5}.
    for (const v of VIPS) expect(c.actives(v)).toHaveLength(2);
    return { c, healAt };
  };

  it('exactly one active per VIP within one interval of the heal, then no flapping (preemption off)', () => {
    const { c, healAt } = run({ preempt: false, seed: 31 });
    const before = c.roleEvents().length;
    c.sim.runUntil(healAt + I + ms(0.2));
    for (const v of VIPS) expect(c.actives(v)).toHaveLength(1);
    const stepDowns = c.roleEvents().slice(before);
    // One step-down per VIP, each by the outranked side, at once.
    expect(stepDowns).toHaveLength(VIPS.length);
    for (const e of stepDowns) expect(e.event.reason).toBe(RoleReason.OUTRANKED);
    expectOneActiveThroughout(c, healAt + ms(10_000));
    expect(c.roleEvents().length).toBe(before + VIPS.length);
  });

  it('the higher term wins: the side that failed over keeps the VIP', () => {
    const { c, healAt } = run({ preempt: false, seed: 32 });
    c.sim.runUntil(healAt + ms(50));
    // VIPS[0] belonged to node 1 (side A); side B (4, 5) elected node 5 with a higher term.
    expect(c.actives(VIPS[0]!)).toEqual([5]);
    // VIPS[3] belonged to node 4 (side B); side A elected node 3.
    expect(c.actives(VIPS[3]!)).toEqual([3]);
  });

  it('with preemption: after the heal each VIP moves at most once more, never before the hold time', () => {
    const { c, healAt } = run({ preempt: true, seed: 33 });
    c.sim.runUntil(healAt + I + ms(0.2));
    const afterHeal = c.roleEvents().length;
    // Longest time any VIP spent with no active node (a handover is break-before-make).
    const vacantSince = new Map<string, number>();
    let longestVacancy = 0;
    c.runChecking(healAt + ms(10_000), (now) => {
      for (const v of VIPS) {
        const n = c.actives(v).length;
        if (n > 1) throw new Error(`two actives at ${now}`);
        const key = IpAddress.key(v);
        const from = vacantSince.get(key);
        if (n === 0 && from === undefined) vacantSince.set(key, now);
        if (n === 1 && from !== undefined) {
          longestVacancy = Math.max(longestVacancy, now - from);
          vacantSince.delete(key);
        }
      }
    });
    const moves = c.roleEvents().slice(afterHeal);
    const handovers = moves.filter((e) => e.event.reason === RoleReason.PREEMPTED);
    // The better node gets each VIP back once; nothing moves twice.
    expect(handovers.length).toBeLessThanOrEqual(VIPS.length);
    expect(handovers.length).toBeGreaterThan(0);
    for (const e of handovers) {
      // Not before the hold time: the releasing node had been active at least that long.
      const became = c
        .roleEvents(e.event.vip)
        .filter((x) => x.node === e.node && x.event.to === Role.ACTIVE && x.event.at < e.event.at)
        .at(-1)!;
      expect(e.event.at - became.event.at).toBeGreaterThanOrEqual(ms(2000));
    }
    const perVip = new Map<string, number>();
    for (const e of handovers)
      perVip.set(IpAddress.key(e.event.vip), (perVip.get(IpAddress.key(e.event.vip)) ?? 0) + 1);
    for (const n of perVip.values()) expect(n).toBe(1);
    // Break-before-make: a handover leaves a VIP unowned for about one trip through the switch.
    expect(longestVacancy).toBeGreaterThan(0);
    expect(longestVacancy).toBeLessThan(ms(0.2));
    for (const [i, v] of VIPS.entries()) expect(c.actives(v)).toEqual([(i % 5) + 1]);
  });

  it('with 5 % loss: one active per VIP after the heal, and it stays so', () => {
    const { c, healAt } = run({ preempt: false, loss: 0.05, seed: 34 });
    c.sim.runUntil(healAt + 5 * I);
    const before = c.roleEvents().length;
    expectOneActiveThroughout(c, healAt + ms(20_000));
    expect(c.roleEvents().length).toBe(before);
  });
});

describe('metric and re-evaluation', () => {
  const HOLD = ms(2000);
  const REEVAL = ms(500);
  const build = (seed: number) => {
    const c = new Cluster({
      seed,
      nodes: 3,
      vips: [vip4(1)],
      options: () => ({ metric: loadMetric(0), holdTimeNs: HOLD, reevaluationIntervalNs: REEVAL }),
    });
    c.startAll();
    c.setLoad(1, [10]);
    c.setLoad(2, [20]);
    c.setLoad(3, [30]);
    c.sim.runFor(K * I + ms(1));
    expect(c.actives(vip4(1))).toEqual([1]);
    return c;
  };

  it('a load change moves the active role at the next re-evaluation after the hold time, not before', () => {
    const c = build(41);
    const since = c.node(1).node.roles()[0]!.since;
    c.sim.runFor(ms(100));
    const changedAt = c.sim.now;
    c.setLoad(1, [50]); // node 2 (20) is now the best
    let twoActive = false;
    c.runChecking(since + HOLD + REEVAL + ms(100), () => {
      if (c.actives(vip4(1)).length > 1) twoActive = true;
    });
    const [release, takeover] = c.roleEvents(vip4(1)).filter((e) => e.event.at > changedAt);
    expect(release!.event).toMatchObject({
      reason: RoleReason.PREEMPTED,
      from: Role.ACTIVE,
      to: Role.PASSIVE,
    });
    expect(release!.node).toBe(1);
    // Not before the hold time; at the first re-evaluation tick after it.
    expect(release!.event.at).toBeGreaterThanOrEqual(since + HOLD);
    expect(release!.event.at).toBeLessThan(since + HOLD + REEVAL);
    expect(takeover!.node).toBe(2);
    expect(takeover!.event.at - release!.event.at).toBeLessThan(ms(0.2));
    expect(twoActive).toBe(false);
  });

  it('after the hold time, a change moves it at the next re-evaluation tick (within one interval of it)', () => {
    const c = build(42);
    const since = c.node(1).node.roles()[0]!.since;
    c.sim.runUntil(since + HOLD + ms(120));
    const changedAt = c.sim.now;
    c.setLoad(1, [50]);
    c.sim.runFor(REEVAL + ms(50));
    const [release] = c.roleEvents(vip4(1)).filter((e) => e.event.at > changedAt);
    // Ticks are at since + j x REEVAL: the next one after the change.
    const nextTick = since + Math.ceil((changedAt - since) / REEVAL) * REEVAL;
    expect(release!.event.at).toBe(nextTick);
    expect(c.actives(vip4(1))).toEqual([2]);
  });

  it('a change that is not strictly better does not move anything', () => {
    const c = build(43);
    c.setLoad(2, [10]); // ties node 1: the node id alone never moves a VIP
    c.sim.runFor(HOLD * 3);
    expect(c.actives(vip4(1))).toEqual([1]);
    expect(c.roleEvents(vip4(1)).filter((e) => e.event.reason === RoleReason.PREEMPTED)).toEqual([]);
  });

  it('preemption off: a better node that joins later stays passive', () => {
    for (const preempt of [false, true]) {
      const c = new Cluster({
        seed: 44,
        nodes: 3,
        vips: [vip4(1)],
        priority: (n) => 100 + n,
        options: () => ({ preempt, holdTimeNs: ms(200), reevaluationIntervalNs: ms(100) }),
      });
      c.start(1);
      c.start(2);
      c.sim.runFor(ms(100));
      expect(c.actives(vip4(1))).toEqual([2]);
      c.start(3); // priority 103, the best
      c.sim.runFor(ms(1000));
      expect(c.node(3).node.role(vip4(1))).toBe(preempt ? Role.ACTIVE : Role.PASSIVE);
      expect(c.actives(vip4(1))).toEqual([preempt ? 3 : 2]);
    }
  });
});
