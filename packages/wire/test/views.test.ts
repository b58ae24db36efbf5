/** Getters and setters of the zero-copy views, read and written in place. */
import { describe, expect, it } from 'vitest';
import {
  ArpPacket,
  arp,
  decodeFrame,
  EthernetFrame,
  FrameDecoder,
  Icmpv4Message,
  type Icmpv6Message,
  Ipv4Packet,
  Ipv6Packet,
  ipv4Options,
  Layer,
  MalformedError,
  parseTcpOptions,
  summarizeFrame,
  TcpSegment,
  tcp,
  UdpDatagram,
} from '../src/index.js';
import {
  arpPkt,
  CLIENT,
  CLIENT_MAC,
  EtherType,
  eth,
  icmp4,
  icmp6,
  ip4,
  ip6,
  tcpSeg,
  udpDgram,
  VIP,
  VMAC,
} from './build.js';
import { checkRoundTrip, hex, toHex, withoutChecksum } from './helpers.js';

describe('EthernetFrame', () => {
  it('reads and rewrites addresses, tags and the EtherType in place', () => {
    const f = new EthernetFrame().wrap(
      eth(EtherType.IPv4, new Uint8Array(4), [{ tpid: 0x8100, pcp: 0, dei: false, vid: 7 }]),
    );
    expect(f.isDestinationGroup).toBe(false);
    expect(f.isLengthField).toBe(false);
    f.destination = 0xffff_ffff_ffff;
    f.source = VMAC;
    f.setTci(0, 0xe00a);
    f.etherType = EtherType.IPv6;
    expect([f.destination, f.source, f.vid(0), f.tci(0) >> 13, f.etherType, f.isDestinationGroup]).toEqual([
      0xffff_ffff_ffff,
      VMAC,
      10,
      7,
      EtherType.IPv6,
      true,
    ]);
    expect(f.slice().length).toBe(f.length);
    expect(f.headerLength).toBe(18);
  });
  it('treats a value below 0x0600 as an 802.3 length', () => {
    expect(new EthernetFrame().wrap(eth(46, new Uint8Array(46))).isLengthField).toBe(true);
  });
});

describe('ArpPacket', () => {
  it('turns a request into a reply in place', () => {
    const bytes = arpPkt({
      kind: 'ethernet-ipv4',
      operation: 1,
      senderHardwareAddress: CLIENT_MAC,
      senderProtocolAddress: CLIENT,
      targetHardwareAddress: 0,
      targetProtocolAddress: VIP,
    });
    const p = new ArpPacket().wrap(bytes);
    p.operation = 2;
    p.targetHardwareAddress = p.senderHardwareAddress;
    p.targetProtocolAddress = p.senderProtocolAddress;
    p.senderHardwareAddress = VMAC;
    p.senderProtocolAddress = VIP;
    expect(arp.decode(bytes).value).toEqual({
      kind: 'ethernet-ipv4',
      operation: 2,
      senderHardwareAddress: VMAC,
      senderProtocolAddress: VIP,
      targetHardwareAddress: CLIENT_MAC,
      targetProtocolAddress: CLIENT,
    });
  });
  it('keeps other hardware types raw and drops Ethernet padding', () => {
    const raw = hex('0006 0800 06 04 0001 aabbccddeeff 0a000001 000000000000 0a000002 0000');
    const p = new ArpPacket().wrap(raw);
    expect([p.isEthernetIpv4, p.hardwareType, p.length]).toEqual([false, 6, 28]);
    const d = new FrameDecoder();
    decodeFrame(eth(EtherType.ARP, raw), d);
    expect(summarizeFrame(d)).toMatch(/ARP htype 6 ptype 0x800 op 1$/);
  });
  it('summarizes replies and other operations', () => {
    const d = new FrameDecoder();
    const reply = {
      kind: 'ethernet-ipv4' as const,
      operation: 2,
      senderHardwareAddress: VMAC,
      senderProtocolAddress: VIP,
      targetHardwareAddress: CLIENT_MAC,
      targetProtocolAddress: CLIENT,
    };
    decodeFrame(eth(EtherType.ARP, arpPkt(reply)), d);
    expect(summarizeFrame(d)).toMatch(/ARP 10\.77\.0\.50 is-at 02:53:59:00:00:01$/);
    decodeFrame(eth(EtherType.ARP, arpPkt({ ...reply, operation: 3 })), d);
    expect(summarizeFrame(d)).toMatch(/ARP op 3 10\.77\.0\.50 > 10\.77\.0\.1$/);
  });
  it('fails at ARP in decodeFrame when the addresses are cut', () => {
    const d = new FrameDecoder();
    decodeFrame(eth(EtherType.ARP, hex('0001 0800 06 04 0001')), d);
    expect(d.failedLayer).toBe(Layer.ARP);
  });
});

describe('Ipv4Packet', () => {
  it('exposes the header fields and lists options', () => {
    const rr = Uint8Array.of(1, 7, 7, 4, 0, 0, 0, 0, 0, 0, 0, 0);
    const p = new Ipv4Packet().wrap(ip4(17, new Uint8Array(3), { options: rr, dscp: 46, ecn: 1 }));
    expect([p.version, p.ihl, p.headerLength, p.totalLength, p.dscp, p.ecn, p.reservedFlag]).toEqual([
      4,
      8,
      32,
      35,
      46,
      1,
      false,
    ]);
    expect(ipv4Options(p.options())).toEqual([
      { type: 1, data: new Uint8Array(0) },
      { type: 7, data: Uint8Array.of(4, 0, 0, 0, 0) },
      { type: 0, data: new Uint8Array(0) },
    ]);
    expect(() => ipv4Options(Uint8Array.of(7, 9, 0, 0))).toThrow(MalformedError);
  });
  it('keeps a quoted datagram whose payload is cut', () => {
    const quoted = ip4(6, tcpSeg(2)).subarray(0, 28);
    const p = new Ipv4Packet();
    expect(p.check(quoted)).not.toBe(0);
    expect(p.checkQuoted(quoted)).toBe(0);
    expect([p.quoted, p.totalLength, p.payloadLength]).toEqual([true, 40, 8]);
    expect(p.check(ip4(6, tcpSeg(2)))).toBe(0);
    expect(p.quoted).toBe(false);
  });
});

describe('Ipv6Packet', () => {
  it('walks to the upper layer and rewrites the hop limit', () => {
    const ah = { type: 51, body: new Uint8Array(10) }; // RFC 4302: (len + 2) * 4 = 12 bytes
    const bytes = ip6(17, udpDgram(6), [ah]);
    const p = new Ipv6Packet().wrap(bytes);
    expect([p.version, p.trafficClass, p.flowLabel, p.upperLayerProtocol, p.upperLayerHeaderOffset]).toEqual([
      6, 0, 0x12345, 17, 52,
    ]);
    p.hopLimit = 1;
    expect(p.hopLimit).toBe(1);
    expect(p.payload().length).toBe(12 + 11);
    expect(p.fragmentOffset).toBe(0);
    expect(p.fragmentIdentification).toBe(0);
    checkRoundTrip(
      {
        encodingLength: (r) => (r === undefined ? 0 : ip6Len(r)),
        encode: (r, b, o) => ip6Enc(r, b, o),
        decode: (b, o, e) => ip6Dec(b, o, e),
      },
      ip6DecodeValue(bytes),
    );
  });
  it('stops the walk when an extension header is cut short', () => {
    const bytes = ip6(59, new Uint8Array(0), [{ type: 60, body: new Uint8Array(6) }]).subarray(0, 44);
    bytes[5] = 4;
    expect(new Ipv6Packet().check(bytes)).not.toBe(0);
  });
});

import { type Ipv6Repr, ipv6 } from '../src/index.js';

const ip6Len = (r: Ipv6Repr) => ipv6.encodingLength(r);
const ip6Enc = (r: Ipv6Repr, b?: Uint8Array, o?: number) => ipv6.encode(r, b, o);
const ip6Dec = (b: Uint8Array, o?: number, e?: number) => ipv6.decode(b, o, e);
const ip6DecodeValue = (b: Uint8Array) => ipv6.decode(b).value;

describe('TcpSegment', () => {
  it('reads flags and the data offset', () => {
    const s = new TcpSegment().wrap(tcpSeg(0x001 | 0x004 | 0x010, { options: [{ kind: 4 }] }));
    expect([s.fin, s.rst, s.syn, s.ackFlag, s.dataOffset, s.reserved, s.urgentPointer]).toEqual([
      true,
      true,
      false,
      true,
      6,
      0,
      0,
    ]);
    expect(s.mss).toBe(-1); // the walk stops at the End of Option List after SACK-permitted
  });
  it('keeps non-zero bytes after End of Option List so the header round-trips', () => {
    const seg = hex('9c40 0050 00000001 00000000 7002 faf0 0000 0000 0204 05b4 00 aa 00 00');
    const { value } = tcp.decode(seg, 0, seg.length, { verifyChecksums: false });
    expect(value.options).toEqual([
      { kind: 2, mss: 1460 },
      { kind: 0, padding: Uint8Array.of(0xaa, 0, 0) },
    ]);
    expect(toHex(tcp.encode(value, undefined, 0, { computeChecksums: false }))).toBe(toHex(seg));
  });
  it('encodes 32-bit ExIDs (RFC 6994 §3)', () => {
    const pseudo = { version: 4 as const, source: CLIENT, destination: VIP };
    const bytes = tcp.encode(
      {
        sourcePort: 1,
        destinationPort: 2,
        seq: 0,
        ack: 0,
        flags: 2,
        window: 0,
        urgentPointer: 0,
        options: [{ kind: 254, exid: 0x12345678, exidLength: 4, data: Uint8Array.of(9) }],
        payload: new Uint8Array(0),
      },
      undefined,
      0,
      { pseudo },
    );
    expect(toHex(bytes.subarray(20, 28))).toBe('fe0712345678' + '0900');
    // Read back with the 16-bit ExID of RFC 6994; the rest is data.
    expect(parseTcpOptions(bytes, 20, 28)).toEqual([
      { kind: 254, exid: 0x1234, exidLength: 2, data: Uint8Array.of(0x56, 0x78, 9) },
    ]);
    expect(() =>
      tcp.encode(
        {
          sourcePort: 1,
          destinationPort: 2,
          seq: 0,
          ack: 0,
          flags: 2,
          window: 0,
          urgentPointer: 0,
          options: [{ kind: 254, exid: -1, exidLength: 4, data: new Uint8Array(0) }],
          payload: new Uint8Array(0),
        },
        undefined,
        0,
        { pseudo },
      ),
    ).toThrow();
  });
  it('round-trips an explicit EOL with padding via checkRoundTrip', () => {
    const pseudo = { version: 4 as const, source: CLIENT, destination: VIP };
    checkRoundTrip(
      {
        encodingLength: tcp.encodingLength,
        encode: (v, b, o) => tcp.encode(v, b, o, { pseudo }),
        decode: (b, o, e) => tcp.decode(b, o, e, { pseudo }),
      },
      {
        sourcePort: 1,
        destinationPort: 2,
        seq: 0,
        ack: 0,
        flags: 2,
        window: 0,
        urgentPointer: 0,
        options: [{ kind: 1 }, { kind: 0, padding: Uint8Array.of(5, 0) }],
        payload: new Uint8Array(0),
      },
      withoutChecksum,
    );
  });
});

describe('UdpDatagram and ICMP views', () => {
  it('reads the UDP length field', () => {
    expect(new UdpDatagram().wrap(udpDgram()).lengthField).toBe(11);
  });
  it('fills ICMP checksums', () => {
    const m4 = new Icmpv4Message().wrap(
      icmp4({ kind: 'echo-request', code: 0, identifier: 1, sequence: 2, data: Uint8Array.of(1, 2, 3) }),
    );
    m4.checksum = 0;
    m4.fillChecksum();
    expect(m4.verifyChecksum()).toBe(true);
    const frame = eth(
      EtherType.IPv6,
      ip6(58, icmp6({ kind: 'echo-request', code: 0, identifier: 1, sequence: 2, data: new Uint8Array(5) })),
    );
    const d = new FrameDecoder();
    decodeFrame(frame, d);
    const m6: Icmpv6Message = d.icmpv6;
    m6.checksum = 0;
    m6.fillChecksum(d.ipv6.pseudoHeaderSum());
    expect(m6.verifyChecksum(d.ipv6.pseudoHeaderSum())).toBe(true);
    expect([m6.identifier, m6.sequence, m6.ndpOptionsOffset]).toEqual([1, 2, -1]);
  });
});
