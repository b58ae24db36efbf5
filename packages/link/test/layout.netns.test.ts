/**
 * Every hand-coded struct layout checked against what the kernel does with it, on a veth
 * pair in namespaces this run creates (never against the constants themselves).
 */

import { testFrame } from '@switchyard/netsim/compliance';
import { EtherType, ethernet, MacAddress } from '@switchyard/wire';
import { describe, expect, it } from 'vitest';
import {
  AfPacketLink,
  buildFilter,
  configureInterface,
  type FrameInfo,
  interfaceInfo,
  PacketType,
} from '../src/index.js';
import { netnsSkipReason, settleOn, sleep, vethPairSuite } from './lab.js';

const skip = netnsSkipReason();
if (skip !== undefined) console.warn(`skipping struct layout tests against the kernel: ${skip}`);

interface Got {
  bytes: Uint8Array;
  info: FrameInfo;
}

function collect(link: AfPacketLink): Got[] {
  const got: Got[] = [];
  link.onReceive((f, info) => {
    got.push({ bytes: f.slice(), info: { ...info } });
  });
  return got;
}

describe.skipIf(skip !== undefined)('struct layouts against the kernel', () => {
  const { lab, ns } = vethPairSuite(9000);

  async function pair(optsB: Partial<ConstructorParameters<typeof AfPacketLink>[0]> = {}) {
    const a = new AfPacketLink({ interface: 'va', netns: ns.a });
    const b = new AfPacketLink({ interface: 'vb', netns: ns.b, ...optsB });
    return {
      a,
      b,
      settle: () => settleOn(() => b.counters.rxFrames + b.counters.rxDrops),
      close: async () => {
        a.close();
        b.close();
        await Promise.all([a.released(), b.released()]);
      },
    };
  }

  it('ifreq: SIOCGIFINDEX/MTU/HWADDR/FLAGS return what `ip link` shows', () => {
    const info = interfaceInfo('vb', ns.b);
    const ip = lab.linkJson(ns.b, 'vb');
    expect(info.index).toBe(ip.ifindex);
    expect(info.mtu).toBe(9000);
    expect(MacAddress.format(info.mac)).toBe(ip.address);
    expect(info.flags & 1).toBe(1); // IFF_UP
  });

  it('ifreq: SIOCSIFMTU/HWADDR/ADDR/NETMASK/FLAGS are what `ip` then reports', () => {
    lab.exec(ns.b, ['ip', 'link', 'add', 'dm', 'type', 'veth', 'peer', 'name', 'dn']);
    configureInterface(
      'dm',
      {
        mac: MacAddress.parse('02:aa:bb:cc:dd:ee'),
        mtu: 1280,
        ipv4: { address: 0x0a0b0c0d, prefixLength: 20 },
        up: true,
      },
      ns.b,
    );
    const ip = lab.linkJson(ns.b, 'dm');
    expect(ip.mtu).toBe(1280);
    expect(ip.address).toBe('02:aa:bb:cc:dd:ee');
    expect(ip.flags).toContain('UP');
    const addr = JSON.parse(lab.exec(ns.b, ['ip', '-j', '-4', 'addr', 'show', 'dev', 'dm']))[0].addr_info[0];
    expect(addr).toMatchObject({ local: '10.11.12.13', prefixlen: 20 });
    configureInterface('dm', { up: false }, ns.b);
    expect(lab.linkJson(ns.b, 'dm').flags).not.toContain('UP');
  });

  it('tpacket3_hdr + sockaddr_ll: lengths, mac offset, pkttype, ifindex and timestamp of each frame', async () => {
    const p = await pair();
    const got = collect(p.b);
    const before = Date.now() / 1000;
    const frames = [
      testFrame(p.a.mac, p.b.mac, 1, 46), // to b's own MAC: HOST
      testFrame(p.a.mac, MacAddress.BROADCAST, 2, 333), // BROADCAST
      testFrame(p.a.mac, MacAddress.parse('01:00:5e:01:02:03'), 3, 1000), // MULTICAST
      testFrame(p.a.mac, MacAddress.parse('02:99:00:00:00:01'), 4, 8000), // OTHERHOST
    ];
    for (const f of frames) expect(p.a.send(f)).toBe(true);
    await p.settle();
    expect(got.map((g) => g.info.packetType)).toEqual([
      PacketType.HOST,
      PacketType.BROADCAST,
      PacketType.MULTICAST,
      PacketType.OTHERHOST,
    ]);
    got.forEach((g, i) => {
      expect(g.bytes).toEqual(frames[i]);
      expect(g.info.length).toBe(frames[i]!.length);
      expect(g.info.wireLength).toBe(frames[i]!.length);
      expect(g.info.truncated).toBe(false);
      expect(g.info.ifindex).toBe(p.b.ifindex);
      expect(g.info.sec).toBeGreaterThanOrEqual(Math.floor(before) - 1);
      expect(g.info.sec).toBeLessThanOrEqual(Date.now() / 1000 + 1);
      expect(g.info.nsec).toBeLessThan(1e9);
    });
    await p.close();
  });

  it('raw handler: info.offset/length locate the frame inside the ring', async () => {
    const p = await pair();
    const seen: Uint8Array[] = [];
    p.b.onReceiveRaw((ring, info) => {
      seen.push(ring.slice(info.offset, info.offset + info.length));
    });
    const f = testFrame(p.a.mac, p.b.mac, 9, 200);
    p.a.send(f);
    await p.settle();
    expect(seen).toEqual([f]);
    await p.close();
  });

  it('tpacket_block_desc: num_pkts/offset_to_first_pkt/seq_num walk blocks of the size asked for', async () => {
    // 4 KiB blocks hold two 1500-byte frames: 10 frames need at least 5 blocks.
    const p = await pair({ ring: { blockSize: 4096, blockCount: 16 } });
    const got = collect(p.b);
    for (let i = 0; i < 10; i++) p.a.send(testFrame(p.a.mac, p.b.mac, i, 1500));
    await p.settle();
    expect(got.map((g) => new DataView(g.bytes.buffer).getUint32(14))).toEqual([...Array(10).keys()]);
    expect(p.b.counters.blocks).toBeGreaterThanOrEqual(5);
    const seqs = [...new Set(got.map((g) => g.info.blockSeq))];
    expect(seqs.length).toBe(p.b.counters.blocks);
    for (let i = 1; i < seqs.length; i++) expect(seqs[i]).toBe(seqs[i - 1]! + 1);
    await p.close();
  });

  it('tpacket_block_desc: a frame larger than a block is clamped and reported truncated', async () => {
    const p = await pair({ ring: { blockSize: 4096, blockCount: 4 } });
    const got = collect(p.b);
    const f = testFrame(p.a.mac, p.b.mac, 5, 6000);
    p.a.send(f);
    await p.settle();
    expect(got).toHaveLength(1);
    expect(got[0]!.info.truncated).toBe(true);
    expect(got[0]!.info.wireLength).toBe(f.length);
    expect(got[0]!.info.length).toBeLessThan(4096);
    expect(got[0]!.bytes).toEqual(f.subarray(0, got[0]!.info.length));
    expect(p.b.counters.truncated).toBe(1);
    await p.close();
  });

  it('tpacket_req3: tp_retire_blk_tov decides how long a lone frame waits in a block', async () => {
    // The time a lone frame waits for the block to retire. The first frame's arrival marks a
    // retire-timer expiry; the second, sent at once, waits for the next one, whatever the load.
    const latency = async (tov: number) => {
      const p = await pair({ ring: { retireTimeoutMs: tov } });
      let at = 0;
      p.b.onReceive(() => {
        at = performance.now();
      });
      const arrival = async (seq: number) => {
        at = 0;
        const t0 = performance.now();
        p.a.send(testFrame(p.a.mac, p.b.mac, seq));
        while (at === 0 && performance.now() - t0 < 5000) await sleep(1);
        return at - t0;
      };
      await arrival(1);
      const waited = await arrival(2);
      await p.close();
      return waited;
    };
    expect(await latency(1)).toBeLessThan(150);
    expect(await latency(300)).toBeGreaterThan(150);
  });

  it('packet_mreq: PACKET_MR_UNICAST puts the vMAC in the device unicast list; PROMISC raises promiscuity', async () => {
    const vmac = MacAddress.parse('02:53:59:00:00:01');
    const b = new AfPacketLink({ interface: 'vb', netns: ns.b, unicastMacs: [vmac] });
    const fdb = lab.exec(ns.b, ['bridge', 'fdb', 'show', 'dev', 'vb']);
    expect(fdb).toContain('02:53:59:00:00:01');
    // veth has no unicast filter (no IFF_UNICAST_FLT): the kernel itself goes promiscuous for the extra MAC.
    expect(lab.linkJson(ns.b, 'vb').promiscuity).toBe(1);
    b.setUnicastMembership(vmac, false);
    expect(lab.exec(ns.b, ['bridge', 'fdb', 'show', 'dev', 'vb'])).not.toContain('02:53:59:00:00:01');
    expect(lab.linkJson(ns.b, 'vb').promiscuity).toBe(0);
    b.close();
    await b.released();
    const c = new AfPacketLink({ interface: 'vb', netns: ns.b });
    expect(lab.linkJson(ns.b, 'vb').promiscuity).toBe(1);
    c.close();
    await c.released();
    expect(lab.linkJson(ns.b, 'vb').promiscuity).toBe(0);
  });

  it('tpacket_stats_v3: packets count every frame, drops the ones a full ring refused', async () => {
    const a = new AfPacketLink({ interface: 'va', netns: ns.a });
    // Manual driver, never drained while the burst arrives: 2 blocks of 4 KiB fill up.
    const b = new AfPacketLink({
      interface: 'vb',
      netns: ns.b,
      driver: 'manual',
      ring: { blockSize: 4096, blockCount: 2 },
    });
    b.onReceive(() => {});
    for (let i = 0; i < 40; i++) a.send(testFrame(a.mac, b.mac, i, 500));
    a.flush();
    await sleep(50);
    let delivered = 0;
    for (let i = 0; i < 4; i++) delivered += b.drain();
    const c = b.refreshStatistics();
    expect(c.kernelPackets).toBe(40);
    expect(c.kernelDrops).toBeGreaterThan(0);
    expect(delivered + c.kernelDrops).toBe(40);
    expect(c.kernelFreezes).toBeGreaterThanOrEqual(1);
    expect(b.refreshStatistics().kernelPackets).toBe(40); // accumulated across the kernel's reset
    a.close();
    b.close();
    await a.released();
  });

  it('mmsghdr/msghdr/iovec: one sendmmsg carries a batch of distinct frames, in order', async () => {
    const p = await pair();
    const got = collect(p.b);
    const frames = Array.from({ length: 64 }, (_, i) => testFrame(p.a.mac, p.b.mac, i, 46 + i * 13));
    expect(p.a.sendBatch(frames)).toBe(64);
    const batches = p.a.counters.txBatches;
    await p.settle();
    expect(p.a.counters.txBatches).toBe(batches + 1); // the full queue went out in one call
    expect(got.map((g) => g.bytes)).toEqual(frames);
    await p.close();
  });

  it('sock_fprog/sock_filter: an EtherType filter passes only that EtherType', async () => {
    const p = await pair({ filter: buildFilter({ etherTypes: [EtherType.ARP, 0x88b6] }) });
    const got = collect(p.b);
    const types = [0x88b5, 0x88b6, 0x0800, 0x0806, 0x88b6, 0x86dd];
    types.forEach((t, i) => {
      p.a.send(
        ethernet.encode({
          destination: p.b.mac,
          source: p.a.mac,
          tags: [],
          etherType: t,
          payload: new Uint8Array(46).fill(i),
        }),
      );
    });
    await p.settle();
    expect(got.map((g) => (g.bytes[12]! << 8) | g.bytes[13]!)).toEqual([0x88b6, 0x0806, 0x88b6]);
    p.b.setFilter(undefined);
    p.a.send(testFrame(p.a.mac, p.b.mac, 1));
    await p.settle();
    expect(got).toHaveLength(4);
    await p.close();
  });

  it('sock_filter: a destination filter passes only the listed MACs', async () => {
    const vmac = MacAddress.parse('02:53:59:00:00:01');
    const p = await pair({ filter: buildFilter({ destinations: [vmac, MacAddress.BROADCAST] }) });
    const got = collect(p.b);
    const dsts = [
      vmac,
      MacAddress.parse('02:53:59:00:00:02'),
      MacAddress.BROADCAST,
      MacAddress.parse('03:53:59:00:00:01'),
    ];
    dsts.forEach((d, i) => {
      p.a.send(testFrame(p.a.mac, d, i));
    });
    await p.settle();
    expect(got.map((g) => MacAddress.read(g.bytes, 0))).toEqual([vmac, MacAddress.BROADCAST]);
    await p.close();
  });

  it('tp_vlan_tci: a stripped 802.1Q tag is reported, and put back by default', async () => {
    const tagged = ethernet.encode({
      destination: MacAddress.parse('02:00:00:00:00:02'),
      source: MacAddress.parse('02:00:00:00:00:01'),
      tags: [{ tpid: 0x8100, pcp: 5, dei: false, vid: 42 }],
      etherType: 0x88b5,
      payload: new Uint8Array(50).fill(7),
    });
    for (const vlan of ['reinsert', 'strip'] as const) {
      const p = await pair({ vlan });
      const got = collect(p.b);
      p.a.send(tagged);
      await p.settle();
      expect(got).toHaveLength(1);
      const g = got[0]!;
      expect(g.info.vlanValid).toBe(true);
      expect(g.info.vlanTci).toBe((5 << 13) | 42);
      expect(g.info.vlanTpid).toBe(0x8100);
      if (vlan === 'reinsert') {
        expect(g.bytes).toEqual(tagged);
        expect(g.info.vlanReinserted).toBe(true);
      } else {
        expect(g.bytes.length).toBe(tagged.length - 4);
        expect((g.bytes[12]! << 8) | g.bytes[13]!).toBe(0x88b5);
      }
      await p.close();
    }
  });

  it('tp_status: a local UDP sender gives CSUMNOTREADY, and frames it sends on its side are PACKET_OUTGOING', async () => {
    lab.exec(ns.a, ['ip', 'addr', 'add', '10.66.0.1/24', 'dev', 'va']);
    lab.exec(ns.b, ['ip', 'addr', 'add', '10.66.0.2/24', 'dev', 'vb']);
    const p = await pair();
    const got = collect(p.b);
    const outgoing = p.a.counters.outgoingIgnored;
    lab.exec(ns.a, ['bash', '-c', 'echo hello > /dev/udp/10.66.0.2/9']);
    await p.settle();
    const udp = got.filter((g) => (g.bytes[12]! << 8) + g.bytes[13]! === 0x0800 && g.bytes[23] === 17);
    expect(udp).toHaveLength(1);
    expect(udp[0]!.info.checksumNotReady).toBe(true);
    expect(p.b.counters.checksumNotReady).toBeGreaterThanOrEqual(1);
    // a's socket saw the kernel's ARP request and the UDP datagram leave: skipped as outgoing.
    expect(p.a.counters.outgoingIgnored - outgoing).toBeGreaterThanOrEqual(2);
    await p.close();
    lab.exec(ns.a, ['ip', 'addr', 'flush', 'dev', 'va']);
    lab.exec(ns.b, ['ip', 'addr', 'flush', 'dev', 'vb']);
  });

  it('a filter built with excludeOutgoing keeps the frames the host sends out of the ring (the kernel drops them)', async () => {
    lab.exec(ns.a, ['ip', 'addr', 'add', '10.66.0.1/24', 'dev', 'va']);
    lab.exec(ns.b, ['ip', 'addr', 'add', '10.66.0.2/24', 'dev', 'vb']);
    const a = new AfPacketLink({
      interface: 'va',
      netns: ns.a,
      filter: buildFilter({ excludeOutgoing: true }),
    });
    const b = new AfPacketLink({ interface: 'vb', netns: ns.b });
    const gotA = collect(a);
    collect(b);
    lab.exec(ns.a, ['bash', '-c', 'echo hello > /dev/udp/10.66.0.2/9']);
    await settleOn(() => b.counters.rxFrames);
    await settleOn(() => a.counters.rxFrames);
    // b received a's ARP request and datagram; a sent them, and its ring never held them.
    expect(b.counters.rxFrames).toBeGreaterThanOrEqual(2);
    expect(a.counters.outgoingIgnored).toBe(0);
    expect(gotA.filter((g) => g.info.packetType === PacketType.OUTGOING)).toHaveLength(0);
    // b's reply to the ARP request still reaches a: only outgoing frames are filtered.
    expect(gotA.some((g) => (g.bytes[12]! << 8) + g.bytes[13]! === 0x0806)).toBe(true);
    a.close();
    b.close();
    await Promise.all([a.released(), b.released()]);
    lab.exec(ns.a, ['ip', 'addr', 'flush', 'dev', 'va']);
    lab.exec(ns.b, ['ip', 'addr', 'flush', 'dev', 'vb']);
  });
});
