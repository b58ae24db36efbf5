/**
 * Real captures (fixtures/vectors.ts, each with its `tcpdump -XX` dump): every frame decodes
 * to the layers and field values tcpdump printed, every checksum the kernel wrote verifies and
 * is the one our encoders compute, and decode→encode gives back the captured bytes.
 */
import { describe, expect, it } from 'vitest';
import {
  decodeFrame,
  FrameDecoder,
  Ipv4Address,
  Ipv6Address,
  icmpv4,
  ipv4Options,
  Layer,
  MacAddress,
  Status,
  TcpFlag,
  tcp,
  udp,
} from '../src/index.js';
import * as v from './fixtures/vectors.js';
import { decompose } from './oracle/roundtrip.js';

const E = Layer.ETHERNET;
const V4 = E | Layer.IPV4;
const V6 = E | Layer.IPV6;
const A4 = Ipv4Address.parse('10.77.1.1');
const B4 = Ipv4Address.parse('10.77.1.2');
const A6 = Ipv6Address.parse('fd00:77:1::1');
const B6 = Ipv6Address.parse('fd00:77:1::2');

type Check = (d: FrameDecoder) => void;
const rows: Array<[name: keyof typeof v.vectors, layers: number, check?: Check]> = [
  [
    'arpRequest',
    E | Layer.ARP,
    (d) => {
      expect(d.ethernet.destination).toBe(MacAddress.BROADCAST);
      expect([d.arp.operation, d.arp.senderProtocolAddress, d.arp.targetProtocolAddress]).toEqual([
        1,
        A4,
        B4,
      ]);
    },
  ],
  [
    'arpReply',
    E | Layer.ARP,
    (d) =>
      expect([d.arp.operation, MacAddress.format(d.arp.senderHardwareAddress)]).toEqual([
        2,
        '02:77:00:01:00:0b',
      ]),
  ],
  [
    'arpProbeUnicast',
    E | Layer.ARP,
    (d) => expect(MacAddress.isMulticast(d.ethernet.destination)).toBe(false),
  ],
  [
    'arpGratuitous',
    E | Layer.ARP,
    (d) => expect(d.arp.senderProtocolAddress).toBe(d.arp.targetProtocolAddress),
  ],
  [
    'icmpEchoRequest',
    V4 | Layer.ICMPV4,
    (d) => expect([d.icmpv4.type, d.ipv4.dontFragment, d.icmpv4.dataLength]).toEqual([8, true, 56]),
  ],
  ['icmpEchoReply', V4 | Layer.ICMPV4, (d) => expect([d.icmpv4.type, d.ipv4.source]).toEqual([0, B4])],
  [
    'icmpEchoRequestRecordRoute',
    V4 | Layer.ICMPV4,
    (d) => {
      expect(d.ipv4.ihl).toBe(15);
      expect(ipv4Options(d.ipv4.options()).map((o) => o.type)).toEqual([1, 7]);
    },
  ],
  [
    'icmpEchoReplyRecordRoute',
    V4 | Layer.ICMPV4,
    (d) => expect(ipv4Options(d.ipv4.options()).map((o) => o.type)).toContain(7),
  ],
  [
    'icmpEchoRequestTimestamp',
    V4 | Layer.ICMPV4,
    (d) => expect(ipv4Options(d.ipv4.options())[0]?.type).toBe(68),
  ],
  [
    'icmpEchoReplyTimestamp',
    V4 | Layer.ICMPV4,
    (d) => expect(ipv4Options(d.ipv4.options())[0]?.type).toBe(68),
  ],
  [
    'icmpPortUnreachable',
    V4 | Layer.ICMPV4,
    (d) => {
      expect([d.icmpv4.type, d.icmpv4.code]).toEqual([3, 3]);
      const { value } = icmpv4.decode(d.icmpv4.slice());
      expect(value.kind).toBe('destination-unreachable');
    },
  ],
  [
    'icmpFragmentationNeeded',
    V4 | Layer.ICMPV4,
    (d) => {
      expect([d.icmpv4.type, d.icmpv4.code, d.icmpv4.nextHopMtu]).toEqual([3, 4, 1280]);
      const quoted = new FrameDecoder().ipv4;
      expect(d.icmpv4.quoted(quoted)).toBe(Status.OK);
      expect([quoted.quoted, quoted.totalLength, Ipv4Address.format(quoted.source)]).toEqual([
        true,
        1428,
        '10.77.2.1',
      ]);
    },
  ],
  [
    'ipv4FragmentFirst',
    V4 | Layer.FRAGMENT | Layer.ICMPV4,
    (d) => expect([d.ipv4.moreFragments, d.ipv4.fragmentOffset]).toEqual([true, 0]),
  ],
  [
    'ipv4FragmentMiddle',
    V4 | Layer.FRAGMENT,
    (d) => expect([d.ipv4.moreFragments, d.ipv4.fragmentOffset]).toEqual([true, 69]),
  ],
  [
    'ipv4FragmentLast',
    V4 | Layer.FRAGMENT,
    (d) => expect([d.ipv4.moreFragments, d.ipv4.fragmentOffset]).toEqual([false, 138]),
  ],
  [
    'tcpSynLinux',
    V4 | Layer.TCP,
    (d) => {
      expect(d.tcp.isConnectionRequest).toBe(true);
      expect([d.tcp.mss, d.tcp.windowScale, d.tcp.sackPermitted]).toEqual([1460, 10, true]);
    },
  ],
  [
    'tcpSynAckLinux',
    V4 | Layer.TCP,
    (d) => expect([d.tcp.flags, d.tcp.isConnectionRequest]).toEqual([TcpFlag.SYN | TcpFlag.ACK, false]),
  ],
  [
    'tcpAck',
    V4 | Layer.TCP,
    (d) => expect([d.tcp.flags, d.tcp.payloadLength, d.tcp.headerLength]).toEqual([TcpFlag.ACK, 0, 32]),
  ],
  [
    'tcpDataPsh',
    V4 | Layer.TCP,
    (d) => {
      expect(d.tcp.payloadLength).toBe(35);
      expect(new TextDecoder().decode(d.tcp.payload())).toMatch(/^GET \//);
    },
  ],
  ['tcpDataResponse', V4 | Layer.TCP, (d) => expect(d.tcp.payloadLength).toBe(70)],
  ['tcpFin', V4 | Layer.TCP, (d) => expect(d.tcp.fin).toBe(true)],
  [
    'tcpRst',
    V4 | Layer.TCP,
    (d) => expect([d.tcp.rst, d.tcp.seq, d.tcp.window, d.tcp.sourcePort]).toEqual([true, 0, 0, 81]),
  ],
  [
    'tcpSackDupAck',
    V4 | Layer.TCP,
    (d) => {
      const { value } = tcp.decode(d.tcp.slice(), 0, undefined, { verifyChecksums: false });
      const sack = value.options.find((o) => o.kind === 5) as { blocks: unknown[] } | undefined;
      expect(sack?.blocks).toHaveLength(3);
    },
  ],
  ['tcpSynEcn', V4 | Layer.TCP, (d) => expect(d.tcp.flags).toBe(TcpFlag.SYN | TcpFlag.ECE | TcpFlag.CWR)],
  ['tcpSynAckEcn', V4 | Layer.TCP, (d) => expect(d.tcp.flags).toBe(TcpFlag.SYN | TcpFlag.ACK | TcpFlag.ECE)],
  [
    'tcpSynExperimentalOption',
    V4 | Layer.TCP,
    (d) => {
      const { value } = tcp.decode(d.tcp.slice(), 0, undefined, { verifyChecksums: false });
      expect(value.options.at(-1)).toEqual({
        kind: 254,
        exid: 0xf989,
        exidLength: 2,
        data: new Uint8Array(0),
      });
    },
  ],
  [
    'tcpSynAckFastOpenCookie',
    V4 | Layer.TCP,
    (d) => {
      const { value } = tcp.decode(d.tcp.slice(), 0, undefined, { verifyChecksums: false });
      const exp = value.options.find((o) => o.kind === 254) as { exid: number; data: Uint8Array } | undefined;
      expect([exp?.exid, exp?.data.length]).toEqual([0xf989, 8]);
    },
  ],
  [
    'tcpSynUnknownOption',
    V4 | Layer.TCP,
    (d) => {
      const { value } = tcp.decode(d.tcp.slice(), 0, undefined, { verifyChecksums: false });
      expect(value.options).toContainEqual({ kind: 99, data: Uint8Array.of(0xde, 0xad, 0xbe, 0xef) });
    },
  ],
  [
    'udpDatagram',
    V4 | Layer.UDP,
    (d) =>
      expect([d.udp.sourcePort, d.udp.destinationPort, new TextDecoder().decode(d.udp.payload())]).toEqual([
        42000,
        7777,
        'hello',
      ]),
  ],
  [
    'udpZeroChecksum',
    V4 | Layer.UDP,
    (d) => {
      expect(d.udp.checksum).toBe(0);
      expect(d.udp.verifyChecksum(d.ipv4.pseudoHeaderSum(), 4)).toBe(true); // RFC 768: none computed
    },
  ],
  [
    'icmpv6EchoRequest',
    V6 | Layer.ICMPV6,
    (d) => expect([d.icmpv6.type, d.ipv6.source, d.ipv6.destination]).toEqual([128, A6, B6]),
  ],
  ['icmpv6EchoReply', V6 | Layer.ICMPV6, (d) => expect(d.icmpv6.type).toBe(129)],
  [
    'ndpNeighborSolicitation',
    V6 | Layer.ICMPV6,
    (d) => {
      expect([d.icmpv6.type, d.icmpv6.targetAddress]).toEqual([135, B6]);
      expect(Ipv6Address.format(d.ipv6.destination)).toBe(Ipv6Address.format(Ipv6Address.solicitedNode(B6)));
    },
  ],
  [
    'ndpNeighborAdvertisement',
    V6 | Layer.ICMPV6,
    (d) => expect([d.icmpv6.type, d.icmpv6.solicited, d.icmpv6.override]).toEqual([136, true, true]),
  ],
  ['ndpNeighborSolicitationUnicast', V6 | Layer.ICMPV6, (d) => expect(d.icmpv6.type).toBe(135)],
  [
    'ndpNeighborAdvertisementNoOptions',
    V6 | Layer.ICMPV6,
    (d) => expect([d.icmpv6.type, d.icmpv6.length]).toEqual([136, 24]),
  ],
  [
    'mldv2Report',
    V6 | Layer.ICMPV6,
    (d) => {
      expect([d.ipv6.nextHeader, d.ipv6.extensionHeaderCount, d.icmpv6.type]).toEqual([0, 1, 143]);
    },
  ],
  ['icmpv6PacketTooBig', V6 | Layer.ICMPV6, (d) => expect([d.icmpv6.type, d.icmpv6.mtu]).toEqual([2, 1280])],
  [
    'ipv6FragmentFirst',
    V6 | Layer.FRAGMENT | Layer.ICMPV6,
    (d) => expect([d.ipv6.moreFragments, d.ipv6.fragmentOffset]).toEqual([true, 0]),
  ],
  [
    'ipv6FragmentLast',
    V6 | Layer.FRAGMENT,
    (d) => {
      expect(d.ipv6.moreFragments).toBe(false);
      expect(d.ipv6.fragmentOffset).toBeGreaterThan(0);
    },
  ],
  [
    'ipv6DestinationOptions',
    V6 | Layer.UDP,
    (d) => expect([d.ipv6.nextHeader, d.ipv6.upperLayerProtocol]).toEqual([60, 17]),
  ],
  [
    'ipv6SegmentRouting',
    V6 | Layer.UDP,
    (d) => {
      expect(d.ipv6.nextHeader).toBe(43);
      // RFC 8200 §8.1: the checksum covers the final destination, Segment List[0].
      expect(d.udp.verifyChecksum(d.ipv6.pseudoHeaderSum(), 6)).toBe(true);
    },
  ],
  [
    'ipv6RoutingType0',
    V6 | Layer.UDP,
    (d) => expect([d.ipv6.nextHeader, d.ipv6.finalDestination === d.ipv6.destination]).toEqual([43, false]),
  ],
  [
    'icmpv6ParameterProblem',
    V6 | Layer.ICMPV6,
    (d) => expect([d.icmpv6.type, d.icmpv6.restOfHeader]).toEqual([4, 42]),
  ],
  ['tcp6Syn', V6 | Layer.TCP, (d) => expect(d.tcp.isConnectionRequest).toBe(true)],
  ['udp6Datagram', V6 | Layer.UDP],
  [
    'vlan8021q',
    V4 | Layer.VLAN | Layer.ICMPV4,
    (d) => {
      expect([d.ethernet.tagCount, d.ethernet.tpid(0), d.ethernet.vid(0), d.ethernet.tci(0) >> 13]).toEqual([
        1, 0x8100, 10, 5,
      ]);
    },
  ],
  [
    'vlanQinQ',
    V4 | Layer.VLAN | Layer.ICMPV4,
    (d) => {
      expect([d.ethernet.tpid(0), d.ethernet.vid(0), d.ethernet.tpid(1), d.ethernet.vid(1)]).toEqual([
        0x88a8, 100, 0x8100, 200,
      ]);
    },
  ],
];

/** Verifies every checksum the decoded layers carry. */
function checksumsVerify(d: FrameDecoder): boolean {
  const pseudo = d.has(Layer.IPV4) ? d.ipv4.pseudoHeaderSum() : d.ipv6.pseudoHeaderSum();
  if (d.has(Layer.IPV4) && !d.ipv4.verifyChecksum()) return false;
  if (d.has(Layer.TCP) && !d.tcp.verifyChecksum(pseudo)) return false;
  if (d.has(Layer.UDP) && !d.udp.verifyChecksum(pseudo, d.has(Layer.IPV6) ? 6 : 4)) return false;
  if (d.has(Layer.ICMPV4) && !d.has(Layer.FRAGMENT) && !d.icmpv4.verifyChecksum()) return false;
  if (d.has(Layer.ICMPV6) && !d.has(Layer.FRAGMENT) && !d.icmpv6.verifyChecksum(pseudo)) return false;
  return true;
}

describe('real captures', () => {
  it('cover every vector the fixture exports', () => {
    expect(rows.map(([name]) => name).sort()).toEqual(Object.keys(v.vectors).sort());
  });

  const d = new FrameDecoder();
  describe.each(rows)('%s', (name, layers, check) => {
    const frame = v.vectors[name];

    it('decodes to the layers and fields tcpdump printed', () => {
      expect(decodeFrame(frame, d)).toBe(layers);
      expect(d.status).toBe(Status.OK);
      check?.(d);
    });

    it('carries checksums that verify', () => {
      decodeFrame(frame, d);
      expect(checksumsVerify(d)).toBe(true);
    });

    it('re-encodes to the captured bytes', () => {
      decodeFrame(frame, d);
      const finalDestination = d.has(Layer.IPV6) ? d.ipv6.finalDestination : undefined;
      const parts = decompose(frame, finalDestination);
      expect(Buffer.from(parts.reencoded).toString('hex')).toBe(Buffer.from(frame).toString('hex'));
      // Our encoders compute the same transport checksums as the kernel did.
      const pseudo = parts.ipv4
        ? { version: 4 as const, source: parts.ipv4.source, destination: parts.ipv4.destination }
        : parts.ipv6 && {
            version: 6 as const,
            source: parts.ipv6.source,
            destination: finalDestination ?? parts.ipv6.destination,
          };
      if (parts.tcp && pseudo)
        expect(tcp.decode(tcp.encode(parts.tcp, undefined, 0, { pseudo })).value.checksum).toBe(
          parts.tcp.checksum,
        );
      if (parts.udp && pseudo && parts.udp.checksum !== 0) {
        expect(udp.decode(udp.encode(parts.udp, undefined, 0, { pseudo })).value.checksum).toBe(
          parts.udp.checksum,
        );
      }
      if (parts.icmpv4)
        expect(icmpv4.decode(icmpv4.encode(parts.icmpv4)).value.checksum).toBe(parts.icmpv4.checksum);
    });
  });
});

describe('examples/sample.pcap (the demo capture)', () => {
  it('decodes every frame with no malformed frame and no bad checksum', async () => {
    const { readFileSync } = await import('node:fs');
    const { describePcap } = await import('../examples/decode-pcap.js');
    const lines = describePcap(readFileSync(new URL('../examples/sample.pcap', import.meta.url)));
    expect(lines.at(-1)).toMatch(/^\d+ frames, 0 malformed$/);
    expect(lines.filter((l) => l.includes('bad checksum'))).toEqual([]);
    expect(lines.length).toBeGreaterThan(20);
  });
});
