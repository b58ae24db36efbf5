import { MacAddress } from '@switchyard/wire';
import { describe, expect, it } from 'vitest';
import { Duration, type LinkConditions, Simulator } from '../src/index.js';
import { frame, mac, tagOf } from './helpers.js';

/** Sends `n` frames a→b, one every `gapNs`, and returns [tag, arrival time] pairs. */
function run(conditions: LinkConditions, n: number, gapNs = Duration.us(10), seed = 1) {
  const sim = new Simulator({ seed });
  const [a, b] = sim.pair({ mac: mac(1) }, { mac: mac(2) }, conditions);
  const arrivals: Array<[number, number]> = [];
  b.onReceive((f) => arrivals.push([tagOf(f), sim.now]));
  for (let i = 0; i < n; i++) sim.scheduler.at(i * gapNs, () => a.send(frame(mac(1), mac(2), i)));
  sim.runUntilIdle();
  const cable = a.cable!;
  return { arrivals, stats: cable.ab.stats, sim, cable, a, b };
}

describe('cables', () => {
  it('delays by the propagation delay', () => {
    const { arrivals } = run({ delayNs: Duration.ms(2) }, 3);
    expect(arrivals).toEqual([
      [0, Duration.ms(2)],
      [1, Duration.ms(2) + Duration.us(10)],
      [2, Duration.ms(2) + Duration.us(20)],
    ]);
  });

  it('adds jitter within [0, jitter] without reordering', () => {
    const { arrivals } = run({ delayNs: Duration.ms(1), jitterNs: Duration.ms(1) }, 200);
    expect(arrivals.map(([t]) => t)).toEqual([...Array(200).keys()]);
    const extra = arrivals.map(([i, at]) => at - i * Duration.us(10) - Duration.ms(1));
    expect(Math.min(...extra)).toBeGreaterThanOrEqual(0);
    expect(new Set(extra).size).toBeGreaterThan(50);
  });

  it('loses about the configured fraction', () => {
    const { arrivals, stats } = run({ loss: 0.2 }, 5000);
    expect(stats.lost + stats.delivered).toBe(5000);
    expect(arrivals.length).toBe(stats.delivered);
    expect(stats.lost).toBeGreaterThan(900);
    expect(stats.lost).toBeLessThan(1100);
  });

  it('duplicates frames', () => {
    const { arrivals, stats } = run({ duplicate: 0.5 }, 1000);
    expect(arrivals.length).toBe(1000 + stats.duplicated);
    expect(stats.duplicated).toBeGreaterThan(400);
  });

  it('reorders held-back frames', () => {
    const { arrivals, stats } = run({ reorder: 0.1, reorderDelayNs: Duration.us(25) }, 500);
    expect(arrivals.length).toBe(500);
    expect(stats.reordered).toBeGreaterThan(20);
    const tags = arrivals.map(([t]) => t);
    expect(tags).not.toEqual([...tags].sort((x, y) => x - y));
  });

  it('serializes at the line rate and tail-drops past the queue limit', () => {
    // 60-byte frames at 4.8 Mbit/s take 100 µs each; ten sent at once.
    const sim = new Simulator({ seed: 1 });
    const [a, b] = sim.pair(
      { mac: mac(1) },
      { mac: mac(2) },
      { bandwidthBps: 4_800_000, queueLimitBytes: 300 },
    );
    const at: number[] = [];
    b.onReceive(() => at.push(sim.now));
    for (let i = 0; i < 10; i++) a.send(frame(mac(1), mac(2), i));
    sim.runUntilIdle();
    // Queue limit 300 bytes in the transmitter (in service plus waiting): 5 frames fit.
    expect(at).toEqual([1, 2, 3, 4, 5].map((k) => k * Duration.us(100)));
    expect(a.cable!.ab.stats.queueDrops).toBe(5);
  });

  it('applies per-direction conditions and changes them at run time', () => {
    const sim = new Simulator({ seed: 1 });
    const [a, b] = sim.pair({ mac: mac(1) }, { mac: mac(2) }, { ab: { delayNs: 100 }, ba: { delayNs: 300 } });
    const times: number[] = [];
    a.onReceive(() => times.push(sim.now));
    b.onReceive(() => times.push(sim.now));
    a.send(frame(mac(1), mac(2)));
    b.send(frame(mac(2), mac(1)));
    sim.runUntilIdle();
    expect(times).toEqual([100, 300]);
    a.cable!.setConditions({ delayNs: 50 });
    expect(a.cable!.ab.conditions.delayNs).toBe(50);
    a.cable!.setConditions({ ba: { delayNs: 7 } });
    expect(a.cable!.ba.conditions.delayNs).toBe(7);
    expect(a.cable!.ab.conditions.delayNs).toBe(50);
  });

  it.each([
    { description: 'loss above 1', c: { loss: 1.5 } },
    { description: 'negative delay', c: { delayNs: -1 } },
    { description: 'NaN duplicate', c: { duplicate: Number.NaN } },
    { description: 'infinite bandwidth', c: { bandwidthBps: Number.POSITIVE_INFINITY } },
  ])('rejects $description', ({ c }) => {
    const sim = new Simulator({ seed: 1 });
    expect(() => sim.pair({ mac: mac(1) }, { mac: mac(2) }, c)).toThrow(/netsim/);
  });

  describe('partitions', () => {
    it('drops exactly the frames that cross the cut while it lasts', () => {
      // 10 µs between frames, 25 µs delay: frames sent in [t - 25 µs, t] are in flight at t.
      const from = Duration.us(500);
      const until = Duration.us(1000);
      const delay = Duration.us(25);
      const gap = Duration.us(10);
      const sim = new Simulator({ seed: 1 });
      const sw = sim.createSwitch({ ports: 3 });
      const a = sim.attach(sw.port(0), { mac: mac(1) });
      const b = sim.attach(sw.port(1), { mac: mac(2), conditions: { delayNs: delay } });
      const c = sim.attach(sw.port(2), { mac: mac(3) });
      const atB: number[] = [];
      const atC: number[] = [];
      b.onReceive((f) => atB.push(tagOf(f)));
      c.onReceive((f) => atC.push(tagOf(f)));
      sim.partition({ cables: [b.cable!], fromNs: from, untilNs: until });
      const n = 200;
      for (let i = 0; i < n; i++)
        sim.scheduler.at(i * gap, () => a.send(frame(mac(1), MacAddress.BROADCAST, i)));
      sim.runUntilIdle();
      // A frame leaves the switch toward b at i * gap and arrives delay later; it is dropped
      // iff [send, arrival] overlaps [from, until) (sent while cut, or in flight when the cut began).
      const crosses = (i: number) => i * gap < until && i * gap + delay >= from;
      const expected = [...Array(n).keys()].filter((i) => !crosses(i));
      expect(atB).toEqual(expected);
      expect(b.cable!.stats.partitionDrops).toBe(n - expected.length);
      expect(atC).toEqual([...Array(n).keys()]); // the uncut port saw everything
      expect(b.cable!.isCut).toBe(false);
    });

    it('cuts both directions and can stay cut', () => {
      const sim = new Simulator({ seed: 1 });
      const [a, b] = sim.pair({ mac: mac(1) }, { mac: mac(2) });
      let got = 0;
      a.onReceive(() => got++);
      b.onReceive(() => got++);
      sim.partition({ cables: [a.cable!], fromNs: 0 });
      sim.runFor(1);
      a.send(frame(mac(1), mac(2)));
      b.send(frame(mac(2), mac(1)));
      a.cable!.cut(); // idempotent
      sim.runUntilIdle();
      expect(got).toBe(0);
      expect(a.cable!.isCut).toBe(true);
      expect(() => sim.partition({ cables: [], fromNs: 10, untilNs: 5 })).toThrow(/heal before/);
    });
  });
});
