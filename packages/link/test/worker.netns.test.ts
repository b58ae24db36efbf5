/**
 * The worker-thread harness on a real interface: two receive workers in one PACKET_FANOUT
 * hash group split a multi-flow stream (every flow to exactly one worker, none lost),
 * counters cross through shared memory, control messages both ways, and close returns at
 * once although the worker is blocked in poll().
 */
import { readdirSync, readlinkSync } from 'node:fs';
import { EtherType, ethernet, IpProtocol, Ipv4Address, ipv4, udp } from '@switchyard/wire';
import { describe, expect, it } from 'vitest';
import { AfPacketLink, ReceiveWorker } from '../src/index.js';
import { netnsSkipReason, sleep, vethPairSuite } from './lab.js';

const skip = netnsSkipReason();
if (skip !== undefined) console.warn(`skipping receive-worker tests: ${skip}`);

const script = new URL('./fixtures/flow-worker.mjs', import.meta.url);
const execArgv: string[] = [];
const FLOWS = 64;
const PER_FLOW = 50;

function udpFrame(src: number, dst: number, sourcePort: number, seq: number): Uint8Array {
  const source = Ipv4Address.parse('10.70.0.1');
  const destination = Ipv4Address.parse('10.70.0.2');
  const payload = new Uint8Array(32);
  new DataView(payload.buffer).setUint32(0, seq);
  const datagram = udp.encode({ sourcePort, destinationPort: 9, payload }, undefined, 0, {
    pseudo: { version: 4, source, destination },
  });
  return ethernet.encode({
    destination: dst,
    source: src,
    tags: [],
    etherType: EtherType.IPv4,
    payload: ipv4.encode({
      dscp: 0,
      ecn: 0,
      identification: seq & 0xffff,
      dontFragment: true,
      moreFragments: false,
      fragmentOffset: 0,
      ttl: 64,
      protocol: IpProtocol.UDP,
      source,
      destination,
      options: new Uint8Array(0),
      payload: datagram,
    }),
  });
}

function socketFds(): number {
  return readdirSync('/proc/self/fd').filter((fd) => {
    try {
      return readlinkSync(`/proc/self/fd/${fd}`).startsWith('socket:');
    } catch {
      return false;
    }
  }).length;
}

describe.skipIf(skip !== undefined)('receive workers', () => {
  const { ns } = vethPairSuite();

  it('two fanout workers split a multi-flow stream: each flow to one worker, every frame counted once', async () => {
    const sockets = socketFds();
    const options = {
      link: { interface: 'vb', netns: ns.b, fanout: { group: 0x5a1 } },
      counterSlots: FLOWS,
      execArgv,
    };
    const workers = await Promise.all([
      ReceiveWorker.start(script, options),
      ReceiveWorker.start(script, options),
    ]);
    const sender = new AfPacketLink({ interface: 'va', netns: ns.a });
    const dst = workers[0]!.interface.mac;
    let seq = 0;
    for (let round = 0; round < PER_FLOW; round++) {
      for (let f = 0; f < FLOWS; f++) sender.send(udpFrame(sender.mac, dst, 10_000 + f, seq++));
      sender.flush();
      if (round % 10 === 9) await sleep(1);
    }
    const total = FLOWS * PER_FLOW;
    const deadline = Date.now() + 5000;
    while (workers.reduce((s, w) => s + w.counters().rxFrames, 0) < total && Date.now() < deadline)
      await sleep(10);
    const perWorker = workers.map((w) => w.userCounters());
    const rx = workers.map((w) => w.counters().rxFrames);
    expect(rx[0]! + rx[1]!).toBe(total);
    expect(rx[0]).toBeGreaterThan(0);
    expect(rx[1]).toBeGreaterThan(0);
    for (let slot = 0; slot < FLOWS; slot++) {
      const counts = perWorker.map((c) => c[slot]!);
      // PACKET_FANOUT_HASH: a flow never splits.
      expect(counts.filter((n) => n > 0)).toEqual([PER_FLOW]);
    }
    sender.close();
    const t0 = performance.now();
    await Promise.all(workers.map((w) => w.close()));
    expect(performance.now() - t0).toBeLessThan(1000);
    await sender.released();
    expect(socketFds()).toBe(sockets);
  });

  it('exchanges control messages, sends from the worker, and closes promptly while blocked in poll', async () => {
    // Idle waits of 10 s: a close that returns well before that woke the worker's poll().
    const w = await ReceiveWorker.start(script, {
      link: { interface: 'vb', netns: ns.b },
      execArgv,
      idleWaitMs: 10_000,
    });
    const peer = new AfPacketLink({ interface: 'va', netns: ns.a });
    const seen: Uint8Array[] = [];
    peer.onReceive((f) => {
      seen.push(f.slice());
    });
    const replies: unknown[] = [];
    w.onMessage((m) => replies.push(m));
    const frame = udpFrame(w.interface.mac, peer.mac, 7, 1);
    w.post({ type: 'reply', frame });
    const deadline = Date.now() + 3000;
    while ((replies.length === 0 || seen.length === 0) && Date.now() < deadline) await sleep(5);
    expect(replies).toEqual([{ echo: { type: 'reply', frame }, rx: 0 }]);
    expect(seen).toEqual([frame]);
    expect(w.counters().txFrames).toBe(1);
    await sleep(300); // the worker is now parked in poll() for up to 10 s
    const t0 = performance.now();
    await w.close();
    expect(performance.now() - t0).toBeLessThan(3000);
    expect(() => w.post({ type: 'late' })).toThrow(/closing/);
    peer.close();
    await peer.released();
  });

  it('rejects with the worker link error (missing interface)', async () => {
    await expect(
      ReceiveWorker.start(script, { link: { interface: 'nosuch0', netns: ns.b }, execArgv }),
    ).rejects.toMatchObject({
      name: 'NoSuchInterfaceError',
      code: 'ERR_LINK_NO_INTERFACE',
    });
  });
});
