import { MacAddress, readPcap } from '@switchyard/wire';
import { describe, expect, it } from 'vitest';
import { Duration, PcapTracer, Simulator } from '../src/index.js';
import { frame, mac, tagOf } from './helpers.js';

/**
 * Four hosts on a switch over lossy, jittery, duplicating, reordering cables. The traffic
 * is fixed (host i sends tag t to host (i + t) % 4 every 50 µs), so only the seed decides
 * what the cables do.
 */
function scenario(seed: number) {
  const sim = new Simulator({ seed });
  const sw = sim.createSwitch({ ports: 4 });
  const conditions = {
    delayNs: Duration.us(20),
    jitterNs: Duration.us(40),
    loss: 0.1,
    duplicate: 0.02,
    reorder: 0.02,
    reorderDelayNs: Duration.us(100),
  };
  const hosts = [0, 1, 2, 3].map((i) => sim.attach(sw.port(i), { mac: mac(i + 1), conditions }));
  const received = new Set<number>();
  for (const h of hosts) h.onReceive((f) => received.add(tagOf(f)));
  const tracer = sim.trace(sw.ports, { epochNs: 1_700_000_000_000_000_000n });
  const sent: number[] = [];
  for (let t = 0; t < 400; t++) {
    const from = t % 4;
    const to = (from + 1 + (t % 3)) % 4;
    const dst = t < 8 ? MacAddress.BROADCAST : mac(to + 1); // broadcasts first so the switch learns
    sim.scheduler.at(t * Duration.us(50), () => {
      hosts[from]!.send(frame(mac(from + 1), dst, t));
    });
    sent.push(t);
  }
  sim.runUntilIdle();
  const lost = sent.filter((t) => !received.has(t));
  return { pcap: tracer.toBytes(), lost, frames: tracer.frames };
}

describe('determinism', () => {
  it('gives byte-identical pcaps for the same seed', () => {
    const one = scenario(2024);
    const two = scenario(2024);
    expect(one.frames).toBeGreaterThan(500);
    expect(Buffer.from(one.pcap).equals(Buffer.from(two.pcap))).toBe(true);
    expect(one.lost).toEqual(two.lost);
  });

  it('gives a different loss pattern for a different seed', () => {
    const one = scenario(2024);
    const other = scenario(2025);
    expect(one.lost.length).toBeGreaterThan(0);
    expect(other.lost).not.toEqual(one.lost);
    expect(Buffer.from(one.pcap).equals(Buffer.from(other.pcap))).toBe(false);
  });
});

describe('PcapTracer', () => {
  it('writes a pcap with virtual-time timestamps that wire can read back', () => {
    const sim = new Simulator({ seed: 1 });
    const [a, b] = sim.pair({ mac: mac(1) }, { mac: mac(2) }, { delayNs: Duration.us(3) });
    b.onReceive(() => {});
    const tracer = sim.trace([b], { epochNs: 1_000_000_000n });
    sim.scheduler.at(Duration.ms(1), () => a.send(frame(mac(1), mac(2), 9)));
    sim.runUntilIdle();
    const file = readPcap(tracer.toBytes());
    expect(file.nanosecond).toBe(true);
    expect(file.linkType).toBe(1);
    expect(file.records.length).toBe(1);
    expect(file.records[0]!.timestampNs).toBe(1_000_000_000n + BigInt(Duration.ms(1) + Duration.us(3)));
    expect(tagOf(file.records[0]!.data)).toBe(9);
  });

  it.each([
    { directions: ['rx', 'tx'] as const, expected: 2 },
    { directions: ['rx'] as const, expected: 1 },
    { directions: ['tx'] as const, expected: 1 },
  ])('records directions $directions', ({ directions, expected }) => {
    const sim = new Simulator({ seed: 1 });
    const [a, b] = sim.pair({ mac: mac(1) }, { mac: mac(2) });
    b.onReceive(() => {});
    const tracer = new PcapTracer({ directions }).capture(a, b);
    a.send(frame(mac(1), mac(2)));
    sim.runUntilIdle();
    expect(tracer.frames).toBe(expected);
  });

  it('cuts frames at the snap length and stops on request', () => {
    const sim = new Simulator({ seed: 1 });
    const [a, b] = sim.pair({ mac: mac(1) }, { mac: mac(2) });
    b.onReceive(() => {});
    const tracer = sim.trace([a], { snapLength: 20 });
    a.send(frame(mac(1), mac(2), 1));
    tracer.stop();
    a.send(frame(mac(1), mac(2), 2));
    sim.runUntilIdle();
    const rec = readPcap(tracer.toBytes()).records;
    expect(rec.length).toBe(1);
    expect(rec[0]!.data.length).toBe(20);
    expect(rec[0]!.originalLength).toBe(60);
  });
});
