/**
 * PollLoop driving real links: frames reach the handler, and an interface that goes down
 * (the packet socket reports ENETDOWN with POLLERR) does not make the loop spin.
 */
import { testFrame } from '@switchyard/netsim/compliance';
import { describe, expect, it } from 'vitest';
import { AfPacketLink, PollLoop } from '../src/index.js';
import { netnsSkipReason, sleep, until, vethPairSuite } from './lab.js';

const skip = netnsSkipReason();
if (skip !== undefined) console.warn(`skipping PollLoop netns tests: ${skip}`);

describe.skipIf(skip !== undefined)('PollLoop with AfPacketLink', () => {
  const { lab, ns } = vethPairSuite();

  it('delivers frames, and keeps blocking (no busy loop) after the interface goes down and up', async () => {
    const a = new AfPacketLink({ interface: 'va', netns: ns.a });
    const b = new AfPacketLink({ interface: 'vb', netns: ns.b, driver: 'manual' });
    let got = 0;
    b.onReceive(() => {
      got++;
    });
    const loop = new PollLoop({ maxBlockMs: 20 });
    loop.add(b);
    const running = loop.run();
    for (let i = 0; i < 5; i++) a.send(testFrame(a.mac, b.mac, i, 80));
    a.flush();
    await until(() => got >= 5);
    expect(got).toBe(5);

    lab.exec(ns.b, ['ip', 'link', 'set', 'vb', 'down']);
    const before = loop.polls;
    await sleep(300);
    // Blocking polls: ~15 in 300 ms. A socket error left pending would make it thousands.
    expect(loop.polls - before).toBeLessThan(100);
    expect(b.counters.socketErrors).toBe(1);
    expect(b.lastSocketError).toBe(100); // ENETDOWN
    lab.exec(ns.b, ['ip', 'link', 'set', 'vb', 'up']);
    // The kernel raises the veth carriers asynchronously; frames sent before are dropped.
    const up = (n: string, dev: string) =>
      (lab.linkJson(n, dev) as { operstate?: string }).operstate === 'UP';
    expect(await until(() => up(ns.a, 'va') && up(ns.b, 'vb'))).toBe(true);
    a.send(testFrame(a.mac, b.mac, 9, 80));
    a.flush();
    await until(() => got >= 6);
    expect(got).toBe(6);

    loop.stop();
    await running;
    loop.remove(b);
    a.close();
    b.close();
  });

  it('the reactor driver clears the error too: no busy loop while the interface is down', async () => {
    const b = new AfPacketLink({ interface: 'vb', netns: ns.b });
    b.onReceive(() => {});
    await sleep(20);
    lab.exec(ns.b, ['ip', 'link', 'set', 'vb', 'down']);
    await sleep(20);
    const cpu = process.cpuUsage();
    await sleep(300);
    const used = process.cpuUsage(cpu);
    lab.exec(ns.b, ['ip', 'link', 'set', 'vb', 'up']);
    expect(b.counters.socketErrors).toBe(1);
    // A spinning reactor burns the whole 300 ms (user + system); a blocked one next to nothing.
    expect((used.user + used.system) / 1000).toBeLessThan(150);
    b.close();
    await b.released();
  });
});
