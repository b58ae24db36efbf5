/** The `manual` driver (what workers use): wait() reports ready / woken / timeout; drain() never blocks. */
import { testFrame } from '@switchyard/netsim/compliance';
import { describe, expect, it } from 'vitest';
import { AfPacketLink, LinkError, TapLink } from '../src/index.js';
import { C, libc } from '../src/sys.js';
import { netnsSkipReason, sleep, vethPairSuite } from './lab.js';

const skip = netnsSkipReason();
if (skip !== undefined) console.warn(`skipping manual-driver tests: ${skip}`);

describe.skipIf(skip !== undefined)('manual driver', () => {
  const { ns } = vethPairSuite();

  it('AfPacketLink: timeout, then woken by an eventfd, then ready with the frame', async () => {
    const a = new AfPacketLink({ interface: 'va', netns: ns.a, driver: 'manual' });
    const b = new AfPacketLink({ interface: 'vb', netns: ns.b, driver: 'manual' });
    const got: number[] = [];
    b.onReceive((f) => {
      got.push(f.length);
    });
    const sys = libc();
    const wake = sys.eventfd(0, C.EFD_NONBLOCK | C.EFD_CLOEXEC);
    expect(b.wait(10, wake)).toBe('timeout');
    sys.write(wake, new Uint8Array(new BigUint64Array([1n]).buffer), 8);
    expect(b.wait(1000, wake)).toBe('woken');
    sys.read(wake, new Uint8Array(8), 8);
    expect(b.drain()).toBe(0);
    a.send(testFrame(a.mac, b.mac, 1, 80));
    a.flush();
    expect(b.wait(1000)).toBe('ready');
    await sleep(5);
    expect(b.drain()).toBe(1);
    expect(got).toEqual([94]);
    sys.close(wake);
    a.close();
    b.close();
    expect(() => b.wait(0)).toThrow(LinkError);
    expect(() => b.setFilter(undefined)).toThrow(/closed/);
    expect(() => b.setUnicastMembership(0x02_00_00_00_00_01)).toThrow(/closed/);
    expect(b.drain()).toBe(0);
    expect(b.flush()).toBe(0);
    expect(b.refreshStatistics().kernelPackets).toBe(1);
  });

  it('TapLink: reads in batches, counts drops without a handler, refuses writes after close', async () => {
    const tap = new TapLink({ name: 'tm', netns: ns.b, driver: 'manual' });
    const wire = new AfPacketLink({ interface: 'tm', netns: ns.b, driver: 'manual' });
    expect(tap.wait(10)).toBe('timeout');
    for (let i = 0; i < 5; i++) wire.send(testFrame(wire.mac, tap.mac, i));
    wire.flush();
    expect(tap.wait(1000)).toBe('ready');
    await sleep(5);
    expect(tap.drain(2)).toBe(2); // the batch limit
    expect(tap.counters.rxDrops).toBe(2); // no handler yet
    const got: number[] = [];
    tap.onReceive((f) => got.push(new DataView(f.buffer, f.byteOffset).getUint32(14)));
    expect(tap.drain()).toBe(3);
    expect(got).toEqual([2, 3, 4]);
    expect(tap.sendBatch([testFrame(tap.mac, wire.mac, 9), new Uint8Array(4)])).toBe(1);
    tap.close();
    tap.close();
    expect(() => tap.wait(0)).toThrow(LinkError);
    expect(tap.send(testFrame(tap.mac, wire.mac, 1))).toBe(false);
    expect(tap.drain()).toBe(0);
    wire.close();
  });
});
