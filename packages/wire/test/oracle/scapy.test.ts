/**
 * scapy as an oracle: craft.py builds frames with odd options and extension headers, and
 * reports what scapy reads in them. Our decoders must read the same values, our checksum
 * verification must agree with scapy's, and decode→encode must give the same bytes.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  decodeFrame,
  FrameDecoder,
  Icmpv4Message,
  Ipv4Address,
  Ipv4Packet,
  Ipv6Address,
  ipv4Options,
  ipv6Fragment,
  Layer,
  MacAddress,
  pseudoHeaderSum,
  Status,
  type TcpOption,
} from '../../src/index.js';
import { decompose } from './roundtrip.js';
import { env, oracle, runs } from './tools.js';

const PYTHON = env('SCAPY_PYTHON') ?? '/usr/bin/python3';
const CRAFT = fileURLToPath(new URL('./craft.py', import.meta.url));
const tool = oracle(
  'scapy oracle',
  runs(PYTHON, ['-c', 'import scapy.all']),
  `scapy not importable by ${PYTHON} (apt-get install python3-scapy)`,
);

interface ScapyOption {
  type: number;
  length: number | null;
  data: string;
}
interface ScapyTcpOption {
  kind: number;
  mss?: number;
  shift?: number;
  blocks?: Array<[number, number]>;
  tsval?: number;
  tsecr?: number;
  data?: string;
}
/** One frame of craft.py's output: its bytes and scapy's reading of them. */
interface ScapyFrame {
  name: string;
  hex: string;
  eth: { dst: string; src: string; type: number };
  tags: Array<{ tpid: number; pcp: number; dei: number; vid: number }>;
  etherType: number;
  arp?: { op: number; hwsrc: string; psrc: string; hwdst: string; pdst: string };
  ip?: {
    ihl: number;
    tos: number;
    len: number;
    id: number;
    flags: number;
    frag: number;
    ttl: number;
    proto: number;
    chksum: number;
    chksumOk: boolean;
    src: string;
    dst: string;
    options: ScapyOption[];
  };
  ipv6?: {
    tc: number;
    fl: number;
    plen: number;
    nh: number;
    hlim: number;
    src: string;
    dst: string;
    chain: Array<{
      type: number;
      nh: number;
      raw: string;
      routingType?: number;
      segleft?: number;
      offset?: number;
      m?: number;
      id?: number;
    }>;
  };
  tcp?: {
    sport: number;
    dport: number;
    seq: number;
    ack: number;
    dataofs: number;
    reserved: number;
    flags: number;
    window: number;
    chksum: number;
    urgptr: number;
    options: ScapyTcpOption[];
    payload: string;
  };
  udp?: { sport: number; dport: number; len: number; chksum: number; payload: string };
  icmp?: {
    type: number;
    code: number;
    chksum: number;
    chksumOk: boolean;
    id?: number;
    seq?: number;
    nexthopmtu?: number;
    unused?: number;
  };
  quoted?: {
    src: string;
    dst: string;
    proto: number;
    ihl: number;
    len: number;
    chksumOk: boolean;
    sport?: number;
    dport?: number;
    seq?: number;
  };
  icmpv6?: {
    type: number;
    code: number;
    cksum: number;
    id?: number;
    seq?: number;
    data?: string;
    tgt?: string;
    R?: number;
    S?: number;
    O?: number;
    options?: Array<{ type: number; len: number; lladdr?: string; data?: string }>;
  };
  /** The IPv6 pseudo-header destination scapy's in6_chksum uses (RFC 8200 §8.1). */
  pseudoDst?: string;
  /** Whether scapy finds the upper-layer checksum right. */
  l4ChksumOk?: boolean;
}

const hex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
const fromHex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'hex'));

/** Runs craft.py at collection time so that every frame becomes a named test. */
function craft(): ScapyFrame[] {
  if (!tool.available) return [];
  return JSON.parse(
    execFileSync(PYTHON, [CRAFT], {
      encoding: 'utf8',
      maxBuffer: 1 << 28,
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  ) as ScapyFrame[];
}

/** Our TCP options in scapy's shape: experimental options keep their ExID inside `data`. */
function asScapy(o: TcpOption): ScapyTcpOption {
  if ('exid' in o) {
    const exid =
      o.exidLength === 4 ? o.exid.toString(16).padStart(8, '0') : o.exid.toString(16).padStart(4, '0');
    return { kind: o.kind, data: exid + hex(o.data) };
  }
  if ('data' in o) return { kind: o.kind, data: hex(o.data) };
  if (o.kind === 0) return { kind: 0 };
  return o as ScapyTcpOption;
}

/** scapy lists the End of Option List that ends the options; our codec implies it. */
const withoutFinalEol = <T extends { kind: number }>(list: T[]): T[] =>
  list.at(-1)?.kind === 0 && !('padding' in (list.at(-1) as object)) ? list.slice(0, -1) : list;

/** IPv4 options up to and including the first End of Option List (scapy lists the padding too). */
function upToEol(options: ScapyOption[]): ScapyOption[] {
  const end = options.findIndex((o) => o.type === 0);
  return end < 0 ? options : options.slice(0, end + 1);
}

const frames = craft();

describe.skipIf(tool.skip)(tool.title, () => {
  it('crafts its frames with scapy', () => {
    expect(tool.available, `${PYTHON} cannot import scapy (apt-get install python3-scapy)`).toBe(true);
    expect(frames.length).toBeGreaterThanOrEqual(25);
  });

  it('scapy finds every checksum of its own frames right (the oracle is sane)', () => {
    for (const f of frames) {
      if (f.ip) expect(f.ip.chksumOk, f.name).toBe(true);
      if (f.icmp) expect(f.icmp.chksumOk, f.name).toBe(true);
      if (f.quoted) expect(f.quoted.chksumOk, f.name).toBe(true);
      if (f.l4ChksumOk !== undefined) expect(f.l4ChksumOk, f.name).toBe(true);
    }
  });

  describe.for(frames)('$name', (f) => {
    const bytes = fromHex(f.hex);
    const pseudoDst = f.pseudoDst === undefined ? undefined : Ipv6Address.parse(f.pseudoDst);

    it("decodes to scapy's field values, and our checksums verify where scapy's do", () => {
      const d = decompose(bytes, pseudoDst); // throws ChecksumError if a checksum does not verify
      const e = d.ethernet;
      expect(MacAddress.format(e.destination)).toBe(f.eth.dst);
      expect(MacAddress.format(e.source)).toBe(f.eth.src);
      expect(e.tags).toEqual(f.tags.map((t) => ({ tpid: t.tpid, pcp: t.pcp, dei: t.dei === 1, vid: t.vid })));
      expect(e.etherType).toBe(f.etherType);

      if (f.arp) {
        expect(d.arp).toEqual({
          kind: 'ethernet-ipv4',
          operation: f.arp.op,
          senderHardwareAddress: MacAddress.parse(f.arp.hwsrc),
          senderProtocolAddress: Ipv4Address.parse(f.arp.psrc),
          targetHardwareAddress: MacAddress.parse(f.arp.hwdst),
          targetProtocolAddress: Ipv4Address.parse(f.arp.pdst),
        });
      }

      if (f.ip) {
        const ip = d.ipv4!;
        expect(20 + ip.options.length).toBe(f.ip.ihl * 4);
        expect((ip.dscp << 2) | ip.ecn).toBe(f.ip.tos);
        expect(20 + ip.options.length + ip.payload.length).toBe(f.ip.len);
        expect(ip.identification).toBe(f.ip.id);
        // scapy's flags: MF = 1, DF = 2, the reserved ("evil") bit = 4.
        expect((ip.moreFragments ? 1 : 0) | (ip.dontFragment ? 2 : 0) | (ip.reservedFlag ? 4 : 0)).toBe(
          f.ip.flags,
        );
        expect(ip.fragmentOffset).toBe(f.ip.frag);
        expect(ip.ttl).toBe(f.ip.ttl);
        expect(ip.protocol).toBe(f.ip.proto);
        expect(ip.checksum).toBe(f.ip.chksum);
        expect(Ipv4Address.format(ip.source)).toBe(f.ip.src);
        expect(Ipv4Address.format(ip.destination)).toBe(f.ip.dst);
        const ours = ipv4Options(ip.options).map((o) => ({
          type: o.type,
          length: o.type <= 1 ? null : o.data.length + 2,
          data: hex(o.data),
        }));
        expect(ours).toEqual(upToEol(f.ip.options));
      }

      if (f.ipv6) {
        const ip = d.ipv6!;
        expect(ip.trafficClass).toBe(f.ipv6.tc);
        expect(ip.flowLabel).toBe(f.ipv6.fl);
        expect(ip.hopLimit).toBe(f.ipv6.hlim);
        expect(ip.source).toBe(Ipv6Address.parse(f.ipv6.src));
        expect(ip.destination).toBe(Ipv6Address.parse(f.ipv6.dst));
        const headerBytes = ip.extensionHeaders.reduce((n, h) => n + h.body.length + 2, 0);
        expect(headerBytes + ip.payload.length).toBe(f.ipv6.plen);
        // The chain: each header's type, its bytes after Next Header and length, and what follows.
        expect(ip.extensionHeaders.map((h) => ({ type: h.type, body: hex(h.body) }))).toEqual(
          f.ipv6.chain.map((h) => ({ type: h.type, body: h.raw.slice(4) })),
        );
        expect(ip.protocol).toBe(f.ipv6.chain.at(-1)?.nh ?? f.ipv6.nh);
        f.ipv6.chain.forEach((h, i) => {
          const body = ip.extensionHeaders[i]!.body;
          if (h.type === 44) {
            expect(ipv6Fragment.fromBody(body)).toEqual({
              fragmentOffset: h.offset,
              moreFragments: h.m === 1,
              identification: h.id,
            });
          }
          if (h.type === 43) expect([body[0], body[1]]).toEqual([h.routingType, h.segleft]);
        });
      }

      if (f.tcp) {
        const t = d.tcp!;
        expect(t.sourcePort).toBe(f.tcp.sport);
        expect(t.destinationPort).toBe(f.tcp.dport);
        expect(t.seq).toBe(f.tcp.seq);
        expect(t.ack).toBe(f.tcp.ack);
        expect(t.reserved ?? 0).toBe(f.tcp.reserved);
        expect(t.flags).toBe(f.tcp.flags);
        expect(t.window).toBe(f.tcp.window);
        expect(t.checksum).toBe(f.tcp.chksum);
        expect(t.urgentPointer).toBe(f.tcp.urgptr);
        expect(withoutFinalEol(t.options.map(asScapy))).toEqual(withoutFinalEol(f.tcp.options));
        expect(hex(t.payload)).toBe(f.tcp.payload);
      }

      if (f.udp) {
        const u = d.udp!;
        expect(u.sourcePort).toBe(f.udp.sport);
        expect(u.destinationPort).toBe(f.udp.dport);
        expect(8 + u.payload.length).toBe(f.udp.len);
        expect(u.checksum).toBe(f.udp.chksum);
        expect(hex(u.payload)).toBe(f.udp.payload);
      }

      if (f.icmp) {
        const m = d.icmpv4!;
        expect(m.code).toBe(f.icmp.code);
        expect(m.checksum).toBe(f.icmp.chksum);
        if (f.icmp.type === 8 || f.icmp.type === 0) {
          expect(m).toMatchObject({
            kind: f.icmp.type === 8 ? 'echo-request' : 'echo-reply',
            identifier: f.icmp.id,
            sequence: f.icmp.seq,
          });
        }
        if (f.icmp.type === 3) {
          expect(m.kind).toBe('destination-unreachable');
          if (m.kind === 'destination-unreachable') {
            expect(m.nextHopMtu).toBe(f.icmp.nexthopmtu);
            expect(m.unused ?? 0).toBe(f.icmp.unused);
          }
        }
      }

      if (f.quoted) {
        // The datagram an ICMP error quotes: a whole header, a cut payload (RFC 792).
        const message = new Icmpv4Message().wrap(bytes, 14 + f.ip!.ihl * 4);
        const inner = new Ipv4Packet();
        expect(message.quoted(inner)).toBe(Status.OK);
        expect(inner.quoted).toBe(true);
        expect(Ipv4Address.format(inner.source)).toBe(f.quoted.src);
        expect(Ipv4Address.format(inner.destination)).toBe(f.quoted.dst);
        expect(inner.protocol).toBe(f.quoted.proto);
        expect(inner.ihl).toBe(f.quoted.ihl);
        expect(inner.totalLength).toBe(f.quoted.len);
        expect(inner.verifyChecksum()).toBe(f.quoted.chksumOk);
        const tcpStart = inner.payloadOffset;
        const view = new DataView(bytes.buffer, bytes.byteOffset);
        expect([
          view.getUint16(tcpStart),
          view.getUint16(tcpStart + 2),
          view.getUint32(tcpStart + 4),
        ]).toEqual([f.quoted.sport, f.quoted.dport, f.quoted.seq]);
      }

      if (f.icmpv6) {
        const m = d.icmpv6!;
        expect(m.code).toBe(f.icmpv6.code);
        expect(m.checksum).toBe(f.icmpv6.cksum);
        switch (m.kind) {
          case 'echo-request':
          case 'echo-reply':
            expect(f.icmpv6.type).toBe(m.kind === 'echo-request' ? 128 : 129);
            expect([m.identifier, m.sequence, hex(m.data)]).toEqual([
              f.icmpv6.id,
              f.icmpv6.seq,
              f.icmpv6.data,
            ]);
            break;
          case 'neighbor-solicitation':
          case 'neighbor-advertisement': {
            expect(f.icmpv6.type).toBe(m.kind === 'neighbor-solicitation' ? 135 : 136);
            expect(m.target).toBe(Ipv6Address.parse(f.icmpv6.tgt!));
            if (m.kind === 'neighbor-advertisement')
              expect([m.router, m.solicited, m.override]).toEqual([
                f.icmpv6.R === 1,
                f.icmpv6.S === 1,
                f.icmpv6.O === 1,
              ]);
            const ours = m.options.map((o) =>
              o.kind === 'raw'
                ? { type: o.type, len: (o.data.length + 2) / 8, data: hex(o.data) }
                : {
                    type: o.kind === 'source-link-layer-address' ? 1 : 2,
                    len: 1,
                    lladdr: MacAddress.format(o.address),
                  },
            );
            expect(ours).toEqual(f.icmpv6.options);
            break;
          }
          default:
            throw new Error(`unexpected ICMPv6 ${m.kind}`);
        }
      }
    });

    it('is decoded by decodeFrame into the layers scapy found', () => {
      const decoder = new FrameDecoder();
      const layers = decodeFrame(bytes, decoder);
      expect(decoder.error()?.message).toBeUndefined();
      expect(decoder.status).toBe(Status.OK);
      const want =
        (f.tags.length > 0 ? Layer.VLAN : 0) |
        (f.arp ? Layer.ARP : 0) |
        (f.ip ? Layer.IPV4 : 0) |
        (f.ipv6 ? Layer.IPV6 : 0) |
        (f.tcp ? Layer.TCP : 0) |
        (f.udp ? Layer.UDP : 0) |
        (f.icmp ? Layer.ICMPV4 : 0) |
        (f.icmpv6 ? Layer.ICMPV6 : 0);
      expect(layers & ~(Layer.ETHERNET | Layer.FRAGMENT)).toBe(want);
      const fragmented =
        (f.ip !== undefined && (f.ip.frag !== 0 || (f.ip.flags & 1) !== 0)) ||
        (f.ipv6?.chain.some((h) => h.type === 44 && (h.offset !== 0 || h.m === 1)) ?? false);
      if (f.tcp) {
        const options = f.tcp.options;
        expect(decoder.tcp.headerLength).toBe(f.tcp.dataofs * 4);
        expect(decoder.tcp.mss).toBe(options.find((o) => o.kind === 2)?.mss ?? -1);
        expect(decoder.tcp.windowScale).toBe(options.find((o) => o.kind === 3)?.shift ?? -1);
        expect(decoder.tcp.sackPermitted).toBe(options.some((o) => o.kind === 4));
      }
      if (f.ipv6 && !fragmented) {
        expect(decoder.ipv6.upperLayerProtocol).toBe(f.ipv6.chain.at(-1)?.nh ?? f.ipv6.nh);
        expect(decoder.ipv6.extensionHeaderCount).toBe(f.ipv6.chain.length);
      }
      // A fragment header with offset 0 and M clear (an atomic fragment) is a whole datagram,
      // not a fragment (RFC 6946 §4), as MF clear and offset 0 is for IPv4.
      expect(decoder.has(Layer.FRAGMENT), 'Layer.FRAGMENT').toBe(fragmented);
    });

    it('re-encodes byte for byte (decode→encode, checksums kept)', () => {
      expect(hex(decompose(bytes, pseudoDst).reencoded)).toBe(f.hex);
    });
  });

  it("Ipv6Packet.pseudoHeaderSum() is the pseudo-header scapy's in6_chksum verifies with (RFC 8200 §8.1)", () => {
    const checked: string[] = [];
    const wrong: string[] = [];
    for (const f of frames) {
      if (f.pseudoDst === undefined || f.ipv6 === undefined) continue;
      const decoder = new FrameDecoder();
      decodeFrame(fromHex(f.hex), decoder);
      const ip = decoder.ipv6;
      const scapys = pseudoHeaderSum(
        { version: 6, source: Ipv6Address.parse(f.ipv6.src), destination: Ipv6Address.parse(f.pseudoDst) },
        ip.upperLayerProtocol,
        ip.upperLayerLength,
      );
      checked.push(f.name);
      // Sums may differ by multiples of 0xffff and still be the same one's complement value.
      if (ip.pseudoHeaderSum() % 0xffff !== scapys % 0xffff) wrong.push(f.name);
    }
    expect(checked.length).toBeGreaterThanOrEqual(6);
    expect(wrong).toEqual([]);
  });
});
