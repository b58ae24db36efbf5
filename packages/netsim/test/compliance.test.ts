import {
  type ComplianceCase,
  type LinkHarness,
  linkComplianceCases,
  runLinkCompliance,
  testFrame,
} from '@switchyard/netsim/compliance';
import { describe, expect, it } from 'vitest';
import { Duration, type FrameHandler, type Link, type LinkCounters, Simulator } from '../src/index.js';
import { mac } from './helpers.js';

/** The vitest adapter: one `it` per case. */
function complianceSuite(
  name: string,
  harness: LinkHarness,
  cases: readonly ComplianceCase[] = linkComplianceCases,
) {
  describe(`Link compliance: ${name}`, () => {
    for (const c of cases) it(c.name, () => c.run(harness));
  });
}

complianceSuite('netsim back-to-back pair', {
  createPair() {
    const sim = new Simulator({ seed: 11 });
    const [a, b] = sim.pair({ mac: mac(1) }, { mac: mac(2) });
    return { a, b, settle: async () => void sim.runUntilIdle() };
  },
});

complianceSuite('netsim pair with delay, jitter and a bandwidth limit', {
  createPair() {
    const sim = new Simulator({ seed: 12 });
    const [a, b] = sim.pair(
      { mac: mac(1), mtu: 9000 },
      { mac: mac(2), mtu: 9000 },
      { delayNs: Duration.ms(1), jitterNs: Duration.us(300), bandwidthBps: 1e9, queueLimitBytes: 1 << 20 },
    );
    return { a, b, settle: async () => void sim.runUntilIdle() };
  },
});

complianceSuite('netsim hosts through a learning switch', {
  createPair() {
    const sim = new Simulator({ seed: 13 });
    const sw = sim.createSwitch({ ports: 8 });
    const a = sim.attach(sw.port(0), { mac: mac(1) });
    const b = sim.attach(sw.port(5), { mac: mac(2) });
    return {
      a,
      b,
      settle: async () => void sim.runUntilIdle(),
      dispose: () => {
        a.close();
        b.close();
      },
    };
  },
});

/** A link that forgets to copy on send: the suite must catch it. */
class SharingLink implements Link {
  readonly mtu = 1500;
  readonly counters: LinkCounters = {
    rxFrames: 0,
    rxBytes: 0,
    txFrames: 0,
    txBytes: 0,
    rxDrops: 0,
    txDrops: 0,
  };
  closed = false;
  peer: SharingLink | undefined;
  handler: FrameHandler | undefined;
  queue: Uint8Array[] = [];
  constructor(readonly mac: number) {}
  send(frame: Uint8Array): boolean {
    this.counters.txFrames++;
    this.counters.txBytes += frame.length;
    this.peer?.queue.push(frame); // bug: no copy, no MTU check
    return true;
  }
  onReceive(handler: FrameHandler | undefined): void {
    this.handler = handler;
  }
  close(): void {
    this.closed = true;
  }
  flush(): void {
    for (const f of this.queue.splice(0)) {
      this.counters.rxFrames++;
      this.counters.rxBytes += f.length;
      this.handler?.(f);
    }
  }
}

describe('runLinkCompliance', () => {
  it('passes every case for a netsim pair', async () => {
    const results = await runLinkCompliance({
      createPair() {
        const sim = new Simulator({ seed: 1 });
        const [a, b] = sim.pair({ mac: mac(1) }, { mac: mac(2) });
        return { a, b, settle: async () => void sim.runUntilIdle() };
      },
    });
    expect(results.filter((r) => !r.passed)).toEqual([]);
    expect(results.length).toBe(linkComplianceCases.length);
  });

  it('fails a link that keeps the caller buffer and ignores the MTU', async () => {
    const results = await runLinkCompliance({
      createPair() {
        const a = new SharingLink(mac(1));
        const b = new SharingLink(mac(2));
        a.peer = b;
        b.peer = a;
        return {
          a,
          b,
          settle: async () => {
            a.flush();
            b.flush();
          },
        };
      },
    });
    const failed = results.filter((r) => !r.passed).map((r) => r.name);
    expect(failed).toContain('lets the sender reuse its buffer as soon as send returns');
    expect(failed).toContain('refuses a frame over the MTU and a runt, counting txDrops');
    expect(results.find((r) => !r.passed)?.error).toBeInstanceOf(Error);
  });

  it('builds test frames with the tag in the first payload word', () => {
    const f = testFrame(mac(1), mac(2), 0x01020304, 2);
    expect(f.length).toBe(16);
    expect(testFrame(mac(1), mac(2), 5).subarray(14, 18)).toEqual(new Uint8Array([0, 0, 0, 5]));
  });
});
