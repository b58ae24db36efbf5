import { EtherType, ethernet } from '@switchyard/wire';
import { describe, expect, it } from 'vitest';
import { type SansIoEndpoint, Simulator } from '../src/index.js';
import { frame, mac } from './helpers.js';

describe('SimLink', () => {
  it('refuses to send without a cable', () => {
    const sim = new Simulator({ seed: 1 });
    const l = sim.createLink({ mac: mac(1), name: 'eth0' });
    expect(l.name).toBe('eth0');
    expect(l.cable).toBeUndefined();
    expect(l.send(frame(mac(1), mac(2)))).toBe(false);
    expect(l.counters.txDrops).toBe(1);
  });

  it('allows 802.1Q tags on top of the MTU', () => {
    const sim = new Simulator({ seed: 1 });
    const [a, b] = sim.pair({ mac: mac(1), mtu: 100 }, { mac: mac(2) });
    let got = 0;
    b.onReceive(() => got++);
    const tagged = ethernet.encode({
      destination: mac(2),
      source: mac(1),
      tags: [{ tpid: EtherType.VLAN, pcp: 0, dei: false, vid: 10 }],
      etherType: EtherType.IPv4,
      payload: new Uint8Array(100),
    });
    expect(a.send(tagged)).toBe(true);
    sim.runUntilIdle();
    expect(got).toBe(1);
  });

  it.each([
    { description: 'a MAC over 48 bits', options: { mac: 2 ** 48 } },
    { description: 'an MTU under 68', options: { mac: 1, mtu: 67 } },
    { description: 'a fractional MTU', options: { mac: 1, mtu: 1500.5 } },
  ])('rejects $description', ({ options }) => {
    expect(() => new Simulator({ seed: 1 }).createLink(options)).toThrow(/netsim/);
  });

  it('taps see tx and rx and can be removed', () => {
    const sim = new Simulator({ seed: 1 });
    const [a, b] = sim.pair({ mac: mac(1) }, { mac: mac(2) });
    b.onReceive(() => {});
    const seen: string[] = [];
    const remove = a.addTap((_f, dir, now) => seen.push(`${dir}@${now}`));
    b.addTap((_f, dir) => seen.push(`b:${dir}`));
    a.send(frame(mac(1), mac(2)));
    sim.runUntilIdle();
    remove();
    a.send(frame(mac(1), mac(2)));
    sim.runUntilIdle();
    expect(seen).toEqual(['tx@0', 'b:rx', 'b:rx']);
  });
});

describe('Host', () => {
  /** Echoes each frame back once, and pings itself on a timer. */
  class Echo implements SansIoEndpoint {
    out: Uint8Array[] = [];
    timeouts: number[] = [];
    next: number | undefined = 1000;
    wake: (() => void) | undefined;
    handleFrame(f: Uint8Array): void {
      const copy = f.slice();
      copy.copyWithin(0, 6, 12);
      this.out.push(copy);
    }
    pollTransmit(): Uint8Array | undefined {
      return this.out.shift();
    }
    pollTimeout(): number | undefined {
      return this.next;
    }
    handleTimeout(now: number): void {
      this.timeouts.push(now);
      this.next = this.timeouts.length < 3 ? now + 1000 : undefined;
    }
    setWaker(wake: () => void): void {
      this.wake = wake;
    }
  }

  it('feeds frames and timeouts to a sans-I/O endpoint and sends its output', () => {
    const sim = new Simulator({ seed: 1 });
    const [a, b] = sim.pair({ mac: mac(1) }, { mac: mac(2) });
    const echo = new Echo();
    const host = sim.host(b, echo);
    const back: number[] = [];
    a.onReceive(() => back.push(sim.now));
    a.send(frame(mac(1), mac(2)));
    sim.runUntil(500);
    expect(back).toEqual([0]);
    // Output produced outside a handler goes out after wake().
    echo.out.push(frame(mac(2), mac(1)));
    echo.wake?.();
    host.wake(); // deduplicated
    sim.runUntilIdle();
    expect(back).toEqual([0, 500]);
    expect(echo.timeouts).toEqual([1000, 2000, 3000]);
    host.detach();
    host.wake();
    a.send(frame(mac(1), mac(2)));
    sim.runUntilIdle();
    expect(back.length).toBe(2);
    expect(b.counters.rxDrops).toBe(1);
  });
});
