/** ARP rules (RFC 826, RFC 5227), one test per rule; expected frames are scapy's or a real kernel's bytes. */
import { ArpOperation, EtherType, ethernet, Ipv4Address, MacAddress, type VlanTag } from '@switchyard/wire';
import { describe, expect, it } from 'vitest';
import { ArpResponder, Verdict } from '../src/index.js';
import { kernelArpReply, kernelArpRequest } from './fixtures/kernel.js';
import {
  arpReplyForRealIp,
  arpReplyForVip,
  arpReplyToProbe,
  gratuitousArpRequest,
} from './fixtures/vectors.js';
import {
  arpFrame,
  CLIENT_IP,
  CLIENT_MAC,
  drain,
  events,
  hexOf,
  OTHER_IP,
  REAL_IP,
  REAL_MAC,
  ROGUE_MAC,
  responder,
  VIP,
  VMAC,
} from './helpers.js';

describe('ARP: answering', () => {
  it('answers a broadcast request for the VIP with the vMAC as sender MAC, from the real MAC', () => {
    const r = responder();
    expect(r.handleFrame(arpFrame({ tpa: VIP }), 0)).toBe(Verdict.ANSWERED);
    const out = drain(r);
    expect(out.map(hexOf)).toEqual([hexOf(arpReplyForVip)]);
  });

  it('answers a unicast request sent to the vMAC (a client re-validating a stale entry)', () => {
    const r = responder();
    expect(r.handleFrame(arpFrame({ tpa: VIP, ethDestination: VMAC }), 0)).toBe(Verdict.ANSWERED);
    expect(drain(r).map(hexOf)).toEqual([hexOf(arpReplyForVip)]);
  });

  it("answers a request flooded to another station's MAC: the Ethernet destination does not matter", () => {
    const r = responder();
    const frame = arpFrame({ tpa: VIP, ethDestination: MacAddress.parse('02:12:34:56:78:9a') });
    expect(r.handleFrame(frame, 0)).toBe(Verdict.ANSWERED);
    expect(drain(r).map(hexOf)).toEqual([hexOf(arpReplyForVip)]);
  });

  it('answers an RFC 5227 probe (sender IP 0.0.0.0) for the VIP with target IP 0.0.0.0, and learns nothing from it', () => {
    const r = responder();
    expect(r.handleFrame(arpFrame({ spa: 0, tpa: VIP }), 0)).toBe(Verdict.ANSWERED);
    expect(drain(r).map(hexOf)).toEqual([hexOf(arpReplyToProbe)]);
    expect(r.counters.probesAnswered).toBe(1);
    expect(r.neighbors.size).toBe(0);
  });

  it('does not answer for the real IP by default (the kernel does)', () => {
    const r = responder();
    expect(r.handleFrame(arpFrame({ tpa: REAL_IP }), 0)).toBe(Verdict.IGNORED);
    expect(drain(r)).toEqual([]);
    expect(r.counters.notOurs).toBe(1);
  });

  it('answers for the real IP with the real MAC when answerRealIp is set', () => {
    const r = responder({ answerRealIp: true });
    expect(r.handleFrame(arpFrame({ tpa: REAL_IP }), 0)).toBe(Verdict.ANSWERED);
    expect(drain(r).map(hexOf)).toEqual([hexOf(arpReplyForRealIp)]);
  });

  it("answers a real Linux kernel's request with exactly the bytes of the kernel's own reply", () => {
    const r = new ArpResponder({
      mac: MacAddress.parse('02:77:00:01:00:0b'),
      ipv4: Ipv4Address.parse('10.77.1.2'),
      answerRealIp: true,
    });
    expect(r.handleFrame(kernelArpRequest, 0)).toBe(Verdict.ANSWERED);
    expect(drain(r).map(hexOf)).toEqual([hexOf(kernelArpReply)]);
  });

  it('never answers for an address it does not own', () => {
    const r = responder({ answerRealIp: true });
    expect(r.handleFrame(arpFrame({ tpa: OTHER_IP }), 0)).toBe(Verdict.IGNORED);
    expect(drain(r)).toEqual([]);
    expect(r.counters.notOurs).toBe(1);
  });

  it('does not answer ARP replies, only requests', () => {
    const r = responder();
    const reply = arpFrame({ operation: ArpOperation.REPLY, tpa: VIP, tha: VMAC, ethDestination: VMAC });
    expect(r.handleFrame(reply, 0)).toBe(Verdict.IGNORED);
    expect(drain(r)).toEqual([]);
  });

  it('does not answer an announcement (sender IP = target IP): it is a claim, not a question', () => {
    const r = responder();
    expect(r.handleFrame(arpFrame({ spa: CLIENT_IP, tpa: CLIENT_IP }), 0)).toBe(Verdict.IGNORED);
    expect(drain(r)).toEqual([]);
  });
});

describe('ARP: who answers for a VIP', () => {
  it('a passive node leaves the answer to the active owner by default', () => {
    const r = responder({ vips: [{ address: VIP, vmac: VMAC }] });
    expect(r.handleFrame(arpFrame({ tpa: VIP }), 0)).toBe(Verdict.IGNORED);
    expect(drain(r)).toEqual([]);
    expect(r.counters.passive).toBe(1);
  });

  it("with answer: 'always' a passive node answers too", () => {
    const r = responder({ answer: 'always', vips: [{ address: VIP, vmac: VMAC }] });
    expect(r.handleFrame(arpFrame({ tpa: VIP }), 0)).toBe(Verdict.ANSWERED);
    expect(drain(r).map(hexOf)).toEqual([hexOf(arpReplyForVip)]);
  });

  it('a per-VIP answer policy overrides the responder default', () => {
    const r = responder({ answer: 'always', vips: [{ address: VIP, vmac: VMAC, answer: 'active' }] });
    expect(r.handleFrame(arpFrame({ tpa: VIP }), 0)).toBe(Verdict.IGNORED);
  });

  it('answers once it becomes active, and stops when it becomes passive', () => {
    const r = responder({ vips: [{ address: VIP, vmac: VMAC }], announce: { count: 0 } });
    r.setActive(VIP, true, 0);
    expect(r.handleFrame(arpFrame({ tpa: VIP }), 1)).toBe(Verdict.ANSWERED);
    r.setActive(VIP, false, 2);
    expect(r.handleFrame(arpFrame({ tpa: VIP }), 3)).toBe(Verdict.IGNORED);
    expect(drain(r)).toHaveLength(1);
  });

  it('stops answering for a removed VIP', () => {
    const r = responder();
    expect(r.removeVip(VIP)).toBe(true);
    expect(r.removeVip(VIP)).toBe(false);
    expect(r.handleFrame(arpFrame({ tpa: VIP }), 0)).toBe(Verdict.IGNORED);
    expect(r.counters.notOurs).toBe(1);
  });
});

describe('ARP: what is dropped', () => {
  it('ignores its own frames seen again on the packet socket', () => {
    const r = responder({ answerRealIp: true });
    expect(r.handleFrame(arpFrame({ sha: REAL_MAC, spa: REAL_IP, tpa: VIP }), 0)).toBe(Verdict.IGNORED);
    expect(r.counters.ownFrames).toBe(1);
    expect(drain(r)).toEqual([]);
  });

  it.each([
    { description: 'a group sender MAC', input: { sha: MacAddress.parse('01:00:5e:00:00:01'), tpa: VIP } },
    { description: 'a zero sender MAC', input: { sha: 0, ethSource: CLIENT_MAC, tpa: VIP } },
    { description: 'a broadcast sender IP', input: { spa: Ipv4Address.BROADCAST, tpa: VIP } },
    { description: 'a multicast sender IP', input: { spa: Ipv4Address.parse('224.0.0.1'), tpa: VIP } },
    { description: 'a multicast target IP', input: { tpa: Ipv4Address.parse('239.1.2.3') } },
    { description: 'a request for 0.0.0.0', input: { tpa: 0 } },
    { description: 'a reply from 0.0.0.0', input: { operation: ArpOperation.REPLY, spa: 0, tpa: VIP } },
  ])('refuses $description as invalid and sends nothing', ({ input }) => {
    const r = responder();
    expect(r.handleFrame(arpFrame(input), 0)).toBe(Verdict.INVALID);
    expect(r.counters.invalidAddress).toBe(1);
    expect(drain(r)).toEqual([]);
  });

  it('ignores ARP for other hardware or protocol types, and other operations', () => {
    const r = responder();
    const raw = arpFrame({ tpa: VIP });
    raw[14 + 1] = 0x86; // protocol type 0x86dd: not IPv4
    expect(r.handleFrame(raw, 0)).toBe(Verdict.IGNORED);
    expect(r.handleFrame(arpFrame({ operation: ArpOperation.RARP_REQUEST, tpa: VIP }), 0)).toBe(
      Verdict.IGNORED,
    );
    expect(r.counters.unsupported).toBe(2);
    expect(drain(r)).toEqual([]);
  });

  it('counts a truncated ARP packet and a runt frame as malformed', () => {
    const r = responder();
    expect(r.handleFrame(arpFrame({ tpa: VIP }).subarray(0, 14 + 20), 0)).toBe(Verdict.MALFORMED);
    expect(r.handleFrame(new Uint8Array(13), 0)).toBe(Verdict.MALFORMED);
    expect(r.counters.malformed).toBe(2);
    expect(r.counters.rxFrames).toBe(2);
  });

  it('classifies frames of other protocols as not its own', () => {
    const r = responder();
    const ipv4 = ethernet.encode({
      destination: VMAC,
      source: CLIENT_MAC,
      tags: [],
      etherType: EtherType.IPv4,
      payload: new Uint8Array(46),
    });
    expect(r.handleFrame(ipv4, 0)).toBe(Verdict.OTHER);
    expect(r.counters.other).toBe(1);
  });
});

describe('ARP: VLANs', () => {
  const tags: VlanTag[] = [{ tpid: 0x8100, pcp: 0, dei: false, vid: 5 }];

  it('answers on its VLAN with the same tag', () => {
    const r = responder({ tags });
    expect(r.handleFrame(arpFrame({ tpa: VIP, tags }), 0)).toBe(Verdict.ANSWERED);
    const reply = ethernet.decode(drain(r)[0]!).value;
    expect(reply.tags).toEqual(tags);
    expect(reply.source).toBe(REAL_MAC);
  });

  it('leaves untagged frames and frames of other VLANs alone', () => {
    const r = responder({ tags });
    expect(r.handleFrame(arpFrame({ tpa: VIP }), 0)).toBe(Verdict.OTHER);
    expect(r.handleFrame(arpFrame({ tpa: VIP, tags: [{ ...tags[0]!, vid: 6 }] }), 0)).toBe(Verdict.OTHER);
    expect(r.counters.otherVlan).toBe(2);
    expect(drain(r)).toEqual([]);
  });
});

describe('ARP: conflicts (RFC 5227 §2.4)', () => {
  it('a reply claiming the VIP from a foreign MAC raises a conflict and is defended with one announcement', () => {
    const r = responder();
    const claim = arpFrame({ operation: ArpOperation.REPLY, sha: ROGUE_MAC, spa: VIP, tpa: CLIENT_IP });
    expect(r.handleFrame(claim, 5)).toBe(Verdict.IGNORED);
    expect(events(r)).toEqual([
      {
        type: 'conflict',
        at: 5,
        address: VIP,
        role: 'vip',
        claimedBy: ROGUE_MAC,
        ethernetSource: ROGUE_MAC,
        via: 'arp-reply',
        defended: true,
      },
    ]);
    expect(drain(r).map(hexOf)).toEqual([hexOf(gratuitousArpRequest)]);
    expect(r.counters).toMatchObject({ conflicts: 1, defences: 1, announcements: 1 });
  });

  it('an announcement of the VIP by a foreign MAC is a conflict too', () => {
    const r = responder();
    r.handleFrame(arpFrame({ sha: ROGUE_MAC, spa: VIP, tpa: VIP }), 0);
    expect(events(r)).toMatchObject([{ type: 'conflict', via: 'arp-request', claimedBy: ROGUE_MAC }]);
  });

  it('defends at most once per DEFEND_INTERVAL of conflicts, then again after a quiet interval', () => {
    const r = responder({ defendIntervalNs: 10e9 });
    const claim = arpFrame({ sha: ROGUE_MAC, spa: VIP, tpa: VIP });
    r.handleFrame(claim, 0);
    r.handleFrame(claim, 5e9); // within 10 s of the last conflict: no second defence
    r.handleFrame(claim, 15e9 - 1); // 10 s minus 1 ns after the previous one
    r.handleFrame(claim, 25e9); // 10 s + 1 ns after the previous one
    expect(events(r).map((e) => e.type === 'conflict' && e.defended)).toEqual([true, false, false, true]);
    expect(drain(r)).toHaveLength(2);
  });

  it('a passive node reports a conflict but does not defend', () => {
    const r = responder({ vips: [{ address: VIP, vmac: VMAC }] });
    r.handleFrame(arpFrame({ sha: ROGUE_MAC, spa: VIP, tpa: VIP }), 0);
    expect(events(r)).toMatchObject([{ type: 'conflict', defended: false }]);
    expect(drain(r)).toEqual([]);
  });

  it('with defend: false the active owner only reports', () => {
    const r = responder({ defend: false });
    r.handleFrame(arpFrame({ sha: ROGUE_MAC, spa: VIP, tpa: VIP }), 0);
    expect(events(r)).toMatchObject([{ type: 'conflict', defended: false }]);
    expect(drain(r)).toEqual([]);
  });

  it('a foreign MAC using our real IP raises a conflict for the real address, without defence', () => {
    const r = responder();
    r.handleFrame(arpFrame({ sha: ROGUE_MAC, spa: REAL_IP, tpa: CLIENT_IP }), 0);
    expect(events(r)).toEqual([
      {
        type: 'conflict',
        at: 0,
        address: REAL_IP,
        role: 'real',
        claimedBy: ROGUE_MAC,
        ethernetSource: ROGUE_MAC,
        via: 'arp-request',
        defended: false,
      },
    ]);
    expect(drain(r)).toEqual([]);
  });

  it('a cluster peer announcing the VIP with the shared vMAC is not a conflict', () => {
    const r = responder();
    const peer = MacAddress.parse('02:00:00:00:00:0b');
    r.handleFrame(arpFrame({ ethSource: peer, sha: VMAC, spa: VIP, tpa: VIP }), 0);
    expect(events(r)).toEqual([]);
    expect(r.counters.conflicts).toBe(0);
    expect(drain(r)).toEqual([]);
  });

  it('reports a frame whose Ethernet source is our vMAC: the switch will learn it', () => {
    const r = responder();
    const frame = ethernet.encode({
      destination: CLIENT_MAC,
      source: VMAC,
      tags: [],
      etherType: EtherType.IPv4,
      payload: new Uint8Array(46),
    });
    expect(r.handleFrame(frame, 7)).toBe(Verdict.OTHER);
    expect(events(r)).toEqual([{ type: 'vmac-source', at: 7, vmac: VMAC }]);
    expect(r.counters.vmacSources).toBe(1);
  });
});

describe('ARP: learning (RFC 826 merge)', () => {
  it('learns a station that asks for one of our addresses', () => {
    const r = responder();
    r.handleFrame(arpFrame({ tpa: VIP }), 100);
    expect(r.neighbors.lookup(CLIENT_IP, 100)).toBe(CLIENT_MAC);
    expect(r.neighbors.counters.learned).toBe(1);
  });

  it('does not add stations talking to others, but updates one it already holds', () => {
    const r = responder();
    r.handleFrame(arpFrame({ tpa: OTHER_IP }), 0);
    expect(r.neighbors.size).toBe(0);
    r.handleFrame(arpFrame({ tpa: VIP }), 1);
    const moved = MacAddress.parse('02:00:00:00:00:98');
    r.handleFrame(arpFrame({ sha: moved, spa: CLIENT_IP, tpa: CLIENT_IP }), 2); // the client's gratuitous ARP
    expect(r.neighbors.lookup(CLIENT_IP, 2)).toBe(moved);
    expect(r.neighbors.counters.changed).toBe(1);
  });

  it('never learns its own VIP or real IP as a neighbor', () => {
    const r = responder();
    r.handleFrame(arpFrame({ ethSource: ROGUE_MAC, sha: ROGUE_MAC, spa: VIP, tpa: REAL_IP }), 0);
    r.handleFrame(arpFrame({ ethSource: ROGUE_MAC, sha: ROGUE_MAC, spa: REAL_IP, tpa: VIP }), 0);
    expect(r.neighbors.size).toBe(0);
  });
});
