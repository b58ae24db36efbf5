/** Neighbor Discovery rules for IPv6 VIPs (RFC 4861, RFC 6980), one test per rule. */
import { EtherType, ethernet, IpProtocol, Ipv6Address, icmpv6, ipv6, MacAddress } from '@switchyard/wire';
import { describe, expect, it } from 'vitest';
import { ArpResponder, Verdict } from '../src/index.js';
import { kernelNeighborAdvertisement, kernelNeighborSolicitation } from './fixtures/kernel.js';
import { naForVip, naForVipNoOverride, naToAllNodes } from './fixtures/vectors.js';
import {
  CLIENT_IP6,
  CLIENT_MAC,
  drain,
  events,
  hexOf,
  ndpFrame,
  REAL_IP6,
  REAL_MAC,
  ROGUE_MAC,
  responder,
  VIP,
  VIP6,
  VMAC,
} from './helpers.js';

describe('NDP: answering', () => {
  it('answers a solicitation for the VIP with a solicited advertisement carrying the vMAC, from the real MAC', () => {
    const r = responder();
    expect(r.handleFrame(ndpFrame({ target: VIP6 }), 0)).toBe(Verdict.ANSWERED);
    expect(drain(r).map(hexOf)).toEqual([hexOf(naForVip)]);
  });

  it('sets the Override flag as configured', () => {
    const r = responder({ override: false });
    r.handleFrame(ndpFrame({ target: VIP6 }), 0);
    expect(drain(r).map(hexOf)).toEqual([hexOf(naForVipNoOverride)]);
  });

  it('answers a unicast solicitation to the VIP without a source link-layer option at the frame source', () => {
    const r = responder();
    const nud = ndpFrame({ target: VIP6, destination: VIP6, ethDestination: VMAC, options: [] });
    expect(r.handleFrame(nud, 0)).toBe(Verdict.ANSWERED);
    expect(drain(r).map(hexOf)).toEqual([hexOf(naForVip)]);
  });

  it('answers a DAD probe (source ::) for the VIP to all nodes with S=0', () => {
    const r = responder();
    expect(r.handleFrame(ndpFrame({ source: 0n, target: VIP6 }), 0)).toBe(Verdict.ANSWERED);
    expect(drain(r).map(hexOf)).toEqual([hexOf(naToAllNodes)]);
    expect(r.counters.probesAnswered).toBe(1);
  });

  it('does not answer for the real IPv6 address by default', () => {
    const r = responder();
    expect(r.handleFrame(ndpFrame({ target: REAL_IP6 }), 0)).toBe(Verdict.IGNORED);
    expect(r.counters.notOurs).toBe(1);
    expect(drain(r)).toEqual([]);
  });

  it("answers a real Linux kernel's solicitation for the real address with the kernel's own advertisement bytes", () => {
    const r = new ArpResponder({
      mac: MacAddress.parse('02:77:00:01:00:0b'),
      ipv6: Ipv6Address.parse('fd00:77:1::2'),
      answerRealIp: true,
    });
    expect(r.handleFrame(kernelNeighborSolicitation, 0)).toBe(Verdict.ANSWERED);
    expect(drain(r).map(hexOf)).toEqual([hexOf(kernelNeighborAdvertisement)]);
  });

  it('never answers for an address it does not own', () => {
    const r = responder({ answerRealIp: true });
    expect(r.handleFrame(ndpFrame({ target: Ipv6Address.parse('fd00:77::99') }), 0)).toBe(Verdict.IGNORED);
    expect(drain(r)).toEqual([]);
  });

  it('a passive node leaves IPv6 VIPs to the active owner', () => {
    const r = responder({ vips: [{ address: VIP6, vmac: VMAC }] });
    expect(r.handleFrame(ndpFrame({ target: VIP6 }), 0)).toBe(Verdict.IGNORED);
    expect(r.counters.passive).toBe(1);
    expect(drain(r)).toEqual([]);
  });

  it('ignores a solicitation sent to another solicited-node group than the target’s', () => {
    const r = responder();
    const frame = ndpFrame({ target: VIP6, destination: Ipv6Address.solicitedNode(CLIENT_IP6) });
    expect(r.handleFrame(frame, 0)).toBe(Verdict.IGNORED);
    expect(r.counters.misaddressed).toBe(1);
    expect(drain(r)).toEqual([]);
  });

  it('answers on its VLAN with the tag, a valid checksum and the vMAC', () => {
    const tags = [{ tpid: 0x8100, pcp: 3, dei: false, vid: 42 }];
    const r = responder({ tags });
    expect(r.handleFrame(ndpFrame({ target: VIP6, tags }), 0)).toBe(Verdict.ANSWERED);
    const frame = ethernet.decode(drain(r)[0]!).value;
    expect(frame.tags).toEqual(tags);
    const packet = ipv6.decode(frame.payload).value;
    expect(packet.hopLimit).toBe(255);
    const na = icmpv6.decode(packet.payload, 0, packet.payload.length, {
      pseudo: { version: 6, source: packet.source, destination: packet.destination },
    }).value; // throws ChecksumError if the checksum is wrong
    expect(na).toMatchObject({
      kind: 'neighbor-advertisement',
      router: false,
      solicited: true,
      override: true,
      target: VIP6,
      options: [{ kind: 'target-link-layer-address', address: VMAC }],
    });
  });

  it('learns the solicitor of one of our addresses from its source link-layer option', () => {
    const r = responder();
    r.handleFrame(ndpFrame({ target: VIP6 }), 9);
    expect(r.neighbors.lookup(CLIENT_IP6, 9)).toBe(CLIENT_MAC);
  });
});

describe('NDP: validation (RFC 4861 §7.1)', () => {
  it.each([254, 64, 1])('drops a solicitation with hop limit %i', (hopLimit) => {
    const r = responder();
    expect(r.handleFrame(ndpFrame({ target: VIP6, hopLimit }), 0)).toBe(Verdict.INVALID);
    expect(r.counters.hopLimit).toBe(1);
    expect(drain(r)).toEqual([]);
  });

  it('drops an advertisement with hop limit below 255 before looking at it', () => {
    const r = responder();
    const claim = ndpFrame({
      target: VIP6,
      hopLimit: 254,
      ethSource: ROGUE_MAC,
      na: {},
      options: [{ kind: 'target-link-layer-address', address: ROGUE_MAC }],
    });
    expect(r.handleFrame(claim, 0)).toBe(Verdict.INVALID);
    expect(events(r)).toEqual([]);
  });

  it('drops a bad checksum, unless checksum verification is off', () => {
    const strict = responder();
    expect(strict.handleFrame(ndpFrame({ target: VIP6, corruptChecksum: true }), 0)).toBe(Verdict.INVALID);
    expect(strict.counters.checksumErrors).toBe(1);
    const lax = responder({ verifyChecksums: false });
    expect(lax.handleFrame(ndpFrame({ target: VIP6, corruptChecksum: true }), 0)).toBe(Verdict.ANSWERED);
  });

  it('drops a non-zero ICMP code', () => {
    expect(responder().handleFrame(ndpFrame({ target: VIP6, code: 1 }), 0)).toBe(Verdict.INVALID);
  });

  it('drops a multicast target', () => {
    const target = Ipv6Address.parse('ff02::1');
    const frame = ndpFrame({ target, destination: Ipv6Address.solicitedNode(target) });
    expect(responder().handleFrame(frame, 0)).toBe(Verdict.INVALID);
  });

  it('drops a DAD probe carrying a source link-layer option, or not sent to a solicited-node group', () => {
    const r = responder();
    const withOption = ndpFrame({
      source: 0n,
      target: VIP6,
      options: [{ kind: 'source-link-layer-address', address: CLIENT_MAC }],
    });
    expect(r.handleFrame(withOption, 0)).toBe(Verdict.INVALID);
    expect(r.handleFrame(ndpFrame({ source: 0n, target: VIP6, destination: VIP6 }), 0)).toBe(Verdict.INVALID);
    expect(drain(r)).toEqual([]);
  });

  it('drops a solicitation whose source link-layer option is a group address', () => {
    const frame = ndpFrame({
      target: VIP6,
      options: [{ kind: 'source-link-layer-address', address: MacAddress.parse('33:33:00:00:00:01') }],
    });
    expect(responder().handleFrame(frame, 0)).toBe(Verdict.INVALID);
  });

  it('drops a solicited advertisement sent to a multicast address', () => {
    const frame = ndpFrame({
      target: CLIENT_IP6,
      destination: Ipv6Address.parse('ff02::1'),
      na: { solicited: true },
    });
    expect(responder().handleFrame(frame, 0)).toBe(Verdict.INVALID);
  });

  it('drops fragmented neighbor discovery (RFC 6980 §5)', () => {
    const r = responder();
    expect(r.handleFrame(ndpFrame({ target: VIP6, fragment: true }), 0)).toBe(Verdict.INVALID);
    expect(r.counters.fragments).toBe(1);
  });

  it('counts a truncated solicitation and a broken IPv6 header as malformed', () => {
    const r = responder();
    const frame = ndpFrame({ target: VIP6, options: [] }); // 14 + 40 + 24 bytes
    const short = frame.slice(0, frame.length - 8);
    short[14 + 5] = 16; // payload length 16: a 16-byte "solicitation"
    expect(r.handleFrame(short, 0)).toBe(Verdict.MALFORMED);
    const v4InV6 = frame.slice();
    v4InV6[14] = 0x45;
    expect(r.handleFrame(v4InV6, 0)).toBe(Verdict.MALFORMED);
    expect(r.counters.malformed).toBe(2);
  });

  it('leaves other ICMPv6 and other IPv6 traffic alone', () => {
    const r = responder();
    const echo = icmpv6.encode(
      { kind: 'echo-request', code: 0, identifier: 1, sequence: 1, data: new Uint8Array(8) },
      undefined,
      0,
      { pseudo: { version: 6, source: CLIENT_IP6, destination: VIP6 } },
    );
    const packet = (protocol: number, payload: Uint8Array) =>
      ethernet.encode({
        destination: VMAC,
        source: CLIENT_MAC,
        tags: [],
        etherType: EtherType.IPv6,
        payload: ipv6.encode({
          trafficClass: 0,
          flowLabel: 0,
          hopLimit: 64,
          source: CLIENT_IP6,
          destination: VIP6,
          extensionHeaders: [],
          protocol,
          payload,
        }),
      });
    expect(r.handleFrame(packet(IpProtocol.ICMPV6, echo), 0)).toBe(Verdict.OTHER);
    expect(r.handleFrame(packet(IpProtocol.TCP, new Uint8Array(20)), 0)).toBe(Verdict.OTHER);
    expect(r.handleFrame(packet(IpProtocol.ICMPV6, new Uint8Array(0)), 0)).toBe(Verdict.OTHER);
    expect(r.counters.other).toBe(3);
  });

  it('ignores its own neighbor discovery frames', () => {
    const r = responder();
    expect(r.handleFrame(ndpFrame({ target: VIP6, ethSource: REAL_MAC }), 0)).toBe(Verdict.IGNORED);
    expect(r.counters.ownFrames).toBe(1);
  });
});

describe('NDP: conflicts', () => {
  it('an advertisement binding the VIP to a foreign MAC raises a conflict and is defended with an unsolicited NA', () => {
    const r = responder();
    const claim = ndpFrame({
      source: Ipv6Address.parse('fe80::66'),
      target: VIP6,
      destination: Ipv6Address.parse('ff02::1'),
      ethSource: ROGUE_MAC,
      na: { override: true },
      options: [{ kind: 'target-link-layer-address', address: ROGUE_MAC }],
    });
    expect(r.handleFrame(claim, 3)).toBe(Verdict.IGNORED);
    expect(events(r)).toEqual([
      {
        type: 'conflict',
        at: 3,
        address: VIP6,
        role: 'vip',
        claimedBy: ROGUE_MAC,
        ethernetSource: ROGUE_MAC,
        via: 'neighbor-advertisement',
        defended: true,
      },
    ]);
    expect(drain(r).map(hexOf)).toEqual([hexOf(naToAllNodes)]);
  });

  it('a solicitation from the VIP with a foreign source link-layer address is a conflict', () => {
    const r = responder();
    const claim = ndpFrame({
      source: VIP6,
      target: CLIENT_IP6,
      ethSource: ROGUE_MAC,
      options: [{ kind: 'source-link-layer-address', address: ROGUE_MAC }],
    });
    r.handleFrame(claim, 0);
    expect(events(r)).toMatchObject([{ type: 'conflict', address: VIP6, via: 'neighbor-solicitation' }]);
  });

  it('a foreign claim on the real IPv6 address is a conflict for the real address', () => {
    const r = responder();
    const na = ndpFrame({
      target: REAL_IP6,
      ethSource: ROGUE_MAC,
      na: {},
      destination: Ipv6Address.parse('ff02::1'),
      options: [{ kind: 'target-link-layer-address', address: ROGUE_MAC }],
    });
    const ns = ndpFrame({
      source: REAL_IP6,
      target: CLIENT_IP6,
      ethSource: ROGUE_MAC,
      options: [{ kind: 'source-link-layer-address', address: ROGUE_MAC }],
    });
    r.handleFrame(na, 0);
    r.handleFrame(ns, 0);
    expect(events(r)).toMatchObject([
      { type: 'conflict', role: 'real', address: REAL_IP6, via: 'neighbor-advertisement', defended: false },
      { type: 'conflict', role: 'real', address: REAL_IP6, via: 'neighbor-solicitation', defended: false },
    ]);
    expect(drain(r)).toEqual([]);
  });

  it('a peer advertising the VIP with the shared vMAC is not a conflict', () => {
    const r = responder();
    const peer = ndpFrame({
      source: VIP6,
      target: VIP6,
      destination: Ipv6Address.parse('ff02::1'),
      ethSource: MacAddress.parse('02:00:00:00:00:0b'),
      na: {},
      options: [{ kind: 'target-link-layer-address', address: VMAC }],
    });
    expect(r.handleFrame(peer, 0)).toBe(Verdict.IGNORED);
    expect(events(r)).toEqual([]);
  });

  it('IPv4 and IPv6 VIPs are distinct: a claim on one does not defend the other', () => {
    const r = responder();
    const claim = ndpFrame({
      target: VIP6,
      ethSource: ROGUE_MAC,
      na: {},
      destination: Ipv6Address.parse('ff02::1'),
      options: [{ kind: 'target-link-layer-address', address: ROGUE_MAC }],
    });
    r.handleFrame(claim, 0);
    const [e] = events(r);
    expect(e).toMatchObject({ address: VIP6 });
    expect(e).not.toMatchObject({ address: VIP });
  });
});

describe('NDP: learning from advertisements (RFC 4861 §7.2.5)', () => {
  const advert = (mac: MacAddress, flags: { solicited?: boolean; override?: boolean }, withOption = true) =>
    ndpFrame({
      source: CLIENT_IP6,
      target: CLIENT_IP6,
      destination: REAL_IP6,
      na: flags,
      options: withOption ? [{ kind: 'target-link-layer-address', address: mac }] : [],
    });

  it('discards an advertisement for a neighbor it holds no entry for', () => {
    const r = responder();
    r.handleFrame(advert(CLIENT_MAC, { solicited: true }), 0);
    expect(r.neighbors.size).toBe(0);
  });

  it('with Override replaces a known entry; without it keeps the old MAC', () => {
    const r = responder();
    r.handleFrame(ndpFrame({ target: VIP6 }), 0); // learns the client
    const moved = MacAddress.parse('02:00:00:00:00:98');
    r.handleFrame(advert(moved, { override: false }), 1);
    expect(r.neighbors.lookup(CLIENT_IP6, 1)).toBe(CLIENT_MAC);
    r.handleFrame(advert(moved, { override: true }), 2);
    expect(r.neighbors.lookup(CLIENT_IP6, 2)).toBe(moved);
  });

  it('a solicited advertisement without an option confirms a known entry', () => {
    const r = responder({ neighbors: { lifetimeNs: 100 } });
    r.handleFrame(ndpFrame({ target: VIP6 }), 0);
    r.handleFrame(advert(CLIENT_MAC, { solicited: true }, false), 90);
    expect(r.neighbors.lookup(CLIENT_IP6, 150)).toBe(CLIENT_MAC);
    expect(r.neighbors.lookup(CLIENT_IP6, 190)).toBeUndefined();
  });

  it('drops an advertisement whose target link-layer option is a group address', () => {
    const frame = advert(MacAddress.parse('01:00:5e:00:00:01'), {});
    expect(responder().handleFrame(frame, 0)).toBe(Verdict.INVALID);
  });
});
