/**
 * What tshark should print for a frame spec: one list of values per display field, in the
 * order tshark meets them (a quoted datagram inside an ICMP error adds a second `ip.src`).
 * Numbers compare numerically (tshark prints some in hex), IPv6 addresses by value.
 */

import { Ipv4Address, MacAddress, tcpOptionsLength } from '../../src/index.js';
import {
  type FrameSpec,
  type Ipv4Spec,
  type Ipv6Ext,
  type Ipv6Spec,
  ipv4OptionBytes,
  ipv4OptLength,
  ipv6OptionBytes,
  type L4,
  l4Protocol,
  paddedIpv6Options,
} from './frames.js';

export type FieldValue = number | boolean | string | bigint;

/** Checksum status values of tshark's `*.checksum.status` fields (epan/proto.h). */
export const ChecksumStatus = { BAD: 0, GOOD: 1, UNVERIFIED: 2, NOT_PRESENT: 3 } as const;

/** Every field we ask tshark for and compare (besides frame.number and the expert fields). */
export const COMPARED_FIELDS = [
  'frame.protocols',
  'eth.dst',
  'eth.src',
  'eth.type',
  'vlan.id',
  'vlan.priority',
  'vlan.dei',
  'vlan.etype',
  'ieee8021ad.id',
  'ieee8021ad.priority',
  'ieee8021ad.dei',
  'arp.hw.type',
  'arp.proto.type',
  'arp.opcode',
  'arp.src.hw_mac',
  'arp.src.proto_ipv4',
  'arp.dst.hw_mac',
  'arp.dst.proto_ipv4',
  'ip.version',
  'ip.hdr_len',
  'ip.dsfield.dscp',
  'ip.dsfield.ecn',
  'ip.len',
  'ip.id',
  'ip.flags.rb',
  'ip.flags.df',
  'ip.flags.mf',
  'ip.frag_offset',
  'ip.ttl',
  'ip.proto',
  'ip.checksum.status',
  'ip.src',
  'ip.dst',
  'ip.opt.type',
  'ip.opt.len',
  'ip.opt.ptr',
  'ip.opt.ra',
  'ipv6.tclass',
  'ipv6.flow',
  'ipv6.plen',
  'ipv6.nxt',
  'ipv6.hlim',
  'ipv6.src',
  'ipv6.dst',
  'ipv6.hopopts.nxt',
  'ipv6.hopopts.len',
  'ipv6.dstopts.nxt',
  'ipv6.dstopts.len',
  'ipv6.opt.type',
  'ipv6.routing.nxt',
  'ipv6.routing.len',
  'ipv6.routing.type',
  'ipv6.routing.segleft',
  'ipv6.fraghdr.nxt',
  'ipv6.fraghdr.offset',
  'ipv6.fraghdr.more',
  'ipv6.fraghdr.ident',
  'tcp.srcport',
  'tcp.dstport',
  'tcp.seq',
  'tcp.ack_raw',
  'tcp.hdr_len',
  'tcp.flags',
  'tcp.window_size_value',
  'tcp.urgent_pointer',
  'tcp.checksum.status',
  'tcp.len',
  'tcp.option_kind',
  'tcp.option_len',
  'tcp.options.mss_val',
  'tcp.options.wscale.shift',
  'tcp.options.sack_le',
  'tcp.options.sack_re',
  'tcp.options.timestamp.tsval',
  'tcp.options.timestamp.tsecr',
  'tcp.options.experimental.exid',
  'udp.srcport',
  'udp.dstport',
  'udp.length',
  'udp.checksum.status',
  'icmp.type',
  'icmp.code',
  'icmp.checksum.status',
  'icmp.ident',
  'icmp.seq',
  'icmp.mtu',
  'icmpv6.type',
  'icmpv6.code',
  'icmpv6.checksum.status',
  'icmpv6.echo.identifier',
  'icmpv6.echo.sequence_number',
  'icmpv6.nd.ns.target_address',
  'icmpv6.nd.na.target_address',
  'icmpv6.nd.na.flag.r',
  'icmpv6.nd.na.flag.s',
  'icmpv6.nd.na.flag.o',
  'icmpv6.opt.type',
  'icmpv6.opt.length',
  'icmpv6.opt.linkaddr',
] as const;
export type ComparedField = (typeof COMPARED_FIELDS)[number];

export class Expected {
  readonly fields = new Map<ComparedField, FieldValue[]>();
  add(field: ComparedField, ...values: FieldValue[]): void {
    const list = this.fields.get(field);
    if (list === undefined) this.fields.set(field, [...values]);
    else list.push(...values);
  }
  get(field: ComparedField): FieldValue[] {
    return this.fields.get(field) ?? [];
  }
}

const PROTOCOL_NAMES: Record<Ipv6Ext['kind'], string> = {
  hbh: 'ipv6.hopopts',
  dst: 'ipv6.dstopts',
  routing: 'ipv6.routing',
  fragment: 'ipv6.fraghdr',
};

export function expectFrame(s: FrameSpec): Expected {
  const e = new Expected();
  const net = s.net;
  const etherType = net.kind === 'arp' ? 0x0806 : net.kind === 'ipv4' ? 0x0800 : 0x86dd;
  const protocols = ['eth', 'ethertype'];
  e.add('eth.dst', MacAddress.format(s.destination));
  e.add('eth.src', MacAddress.format(s.source));
  e.add('eth.type', s.tags[0]?.tpid ?? etherType);
  s.tags.forEach((t, i) => {
    if (t.tpid === 0x88a8) {
      e.add('ieee8021ad.id', t.vid);
      e.add('ieee8021ad.priority', t.pcp);
      e.add('ieee8021ad.dei', t.dei ? 1 : 0);
      protocols.push('ieee8021ad', 'ethertype');
    } else {
      e.add('vlan.id', t.vid);
      e.add('vlan.priority', t.pcp);
      e.add('vlan.dei', t.dei);
      e.add('vlan.etype', s.tags[i + 1]?.tpid ?? etherType);
      protocols.push('vlan', 'ethertype');
    }
  });
  if (net.kind === 'arp') {
    const a = net.arp;
    protocols.push('arp');
    e.add('arp.hw.type', 1);
    e.add('arp.proto.type', 0x0800);
    e.add('arp.opcode', a.operation);
    e.add('arp.src.hw_mac', MacAddress.format(a.senderHardwareAddress));
    e.add('arp.src.proto_ipv4', Ipv4Address.format(a.senderProtocolAddress));
    e.add('arp.dst.hw_mac', MacAddress.format(a.targetHardwareAddress));
    e.add('arp.dst.proto_ipv4', Ipv4Address.format(a.targetProtocolAddress));
  } else if (net.kind === 'ipv4') {
    expectIpv4(net.ip, e, protocols, false);
  } else {
    expectIpv6(net.ip, e, protocols);
  }
  e.add('frame.protocols', protocols.join(':'));
  return e;
}

function l4Length(l4: L4): number {
  switch (l4.kind) {
    case 'tcp':
      return 20 + ((tcpOptionsLength(l4.repr.options) + 3) & ~3) + l4.repr.payload.length;
    case 'udp':
      return 8 + l4.payload.length;
    case 'raw':
      return l4.data.length;
    default:
      return -1; // not needed
  }
}

export function ipv4TotalLength(s: Ipv4Spec): number {
  const optionsLength = ipv4OptionBytes(s.options).length;
  let payload: number;
  switch (s.l4.kind) {
    case 'icmpv4':
      payload =
        8 +
        (s.l4.repr.kind === 'echo-request' || s.l4.repr.kind === 'echo-reply' ? s.l4.repr.data.length : 0);
      break;
    case 'icmpv4-unreachable':
      payload = 8 + ipv4TotalLength(s.l4.inner);
      break;
    default:
      payload = l4Length(s.l4);
  }
  return 20 + optionsLength + payload;
}

function expectIpv4(s: Ipv4Spec, e: Expected, protocols: string[], inError: boolean): void {
  protocols.push('ip');
  const optionBytes = ipv4OptionBytes(s.options);
  e.add('ip.version', 4);
  e.add('ip.hdr_len', 20 + optionBytes.length);
  e.add('ip.dsfield.dscp', s.dscp);
  e.add('ip.dsfield.ecn', s.ecn);
  e.add('ip.len', ipv4TotalLength(s));
  e.add('ip.id', s.identification);
  e.add('ip.flags.rb', s.reservedFlag);
  e.add('ip.flags.df', s.dontFragment);
  e.add('ip.flags.mf', s.moreFragments);
  e.add('ip.frag_offset', s.fragmentOffset);
  e.add('ip.ttl', s.ttl);
  e.add('ip.proto', l4Protocol(s.l4));
  e.add('ip.checksum.status', ChecksumStatus.GOOD);
  e.add('ip.src', Ipv4Address.format(s.source));
  e.add('ip.dst', Ipv4Address.format(s.destination));
  let used = 0;
  for (const o of s.options) {
    e.add('ip.opt.type', o.type);
    used += ipv4OptLength(o);
    if (o.type === 0) break; // End of Option List: the rest is padding
    if (o.type === 1) continue;
    e.add('ip.opt.len', ipv4OptLength(o));
    if (o.type === 7 || o.type === 68) e.add('ip.opt.ptr', o.pointer);
    if (o.type === 148) e.add('ip.opt.ra', o.value);
  }
  // Padding after the last option starts with an End of Option List.
  if (used < optionBytes.length && s.options.at(-1)?.type !== 0) e.add('ip.opt.type', 0);
  if (s.fragmentOffset !== 0) return; // a later fragment: tshark shows data only
  expectL4(s.l4, e, protocols, inError);
}

function expectIpv6(s: Ipv6Spec, e: Expected, protocols: string[]): void {
  protocols.push('ipv6');
  const protocol = l4Protocol(s.l4);
  const typeOf = (h: Ipv6Ext | undefined): number =>
    h === undefined ? protocol : { hbh: 0, dst: 60, routing: 43, fragment: 44 }[h.kind];
  let plen = l4Length(s.l4);
  if (plen < 0) plen = icmpv6Length(s.l4);
  e.add('ip.version', 6);
  e.add('ipv6.tclass', s.trafficClass);
  e.add('ipv6.flow', s.flowLabel);
  e.add('ipv6.nxt', typeOf(s.ext[0]));
  e.add('ipv6.hlim', s.hopLimit);
  e.add('ipv6.src', s.source);
  e.add('ipv6.dst', s.destination);
  // After the fragment header of a real fragment tshark shows data only.
  let fragmented = false;
  s.ext.forEach((h, i) => {
    if (fragmented) {
      plen += extensionLength(h);
      return;
    }
    protocols.push(PROTOCOL_NAMES[h.kind]);
    const next = typeOf(s.ext[i + 1]);
    switch (h.kind) {
      case 'hbh':
      case 'dst': {
        const options = paddedIpv6Options(h.options).map(ipv6OptionBytes);
        const length = extensionLength(h);
        plen += length;
        const prefix = h.kind === 'hbh' ? 'ipv6.hopopts' : 'ipv6.dstopts';
        e.add(`${prefix}.nxt`, next);
        e.add(`${prefix}.len`, length / 8 - 1);
        for (const o of options) e.add('ipv6.opt.type', o[0]!);
        break;
      }
      case 'routing':
        plen += 4 + h.data.length;
        e.add('ipv6.routing.nxt', next);
        e.add('ipv6.routing.len', (4 + h.data.length) / 8 - 1);
        e.add('ipv6.routing.type', h.routingType);
        e.add('ipv6.routing.segleft', h.segmentsLeft);
        break;
      case 'fragment':
        plen += 8;
        e.add('ipv6.fraghdr.nxt', next);
        e.add('ipv6.fraghdr.offset', h.fragmentOffset);
        e.add('ipv6.fraghdr.more', h.moreFragments);
        e.add('ipv6.fraghdr.ident', h.identification);
        // A first fragment still shows the headers after it; a later one is all data.
        fragmented = h.fragmentOffset !== 0;
        break;
    }
  });
  e.add('ipv6.plen', plen);
  if (!fragmented) expectL4(s.l4, e, protocols, false);
}

function extensionLength(h: Ipv6Ext): number {
  switch (h.kind) {
    case 'hbh':
    case 'dst':
      return 2 + paddedIpv6Options(h.options).reduce((n, o) => n + ipv6OptionBytes(o).length, 0);
    case 'routing':
      return 4 + h.data.length;
    case 'fragment':
      return 8;
  }
}

function icmpv6Length(l4: L4): number {
  if (l4.kind !== 'icmpv6') throw new Error('not icmpv6');
  const r = l4.repr;
  if (r.kind === 'echo-request' || r.kind === 'echo-reply') return 8 + r.data.length;
  if (r.kind === 'neighbor-solicitation' || r.kind === 'neighbor-advertisement')
    return 24 + r.options.reduce((n, o) => n + (o.kind === 'raw' ? o.data.length + 2 : 8), 0);
  throw new Error(`unexpected ${r.kind}`);
}

function expectL4(l4: L4, e: Expected, protocols: string[], inError: boolean): void {
  switch (l4.kind) {
    case 'tcp': {
      const r = l4.repr;
      protocols.push('tcp');
      const optionsLength = tcpOptionsLength(r.options);
      const padded = (optionsLength + 3) & ~3;
      e.add('tcp.srcport', r.sourcePort);
      e.add('tcp.dstport', r.destinationPort);
      e.add('tcp.seq', r.seq);
      e.add('tcp.ack_raw', r.ack);
      e.add('tcp.hdr_len', 20 + padded);
      e.add('tcp.flags', ((r.reserved ?? 0) << 9) | r.flags);
      e.add('tcp.window_size_value', r.window);
      e.add('tcp.urgent_pointer', r.urgentPointer);
      e.add('tcp.checksum.status', ChecksumStatus.GOOD);
      // Not for a segment quoted in an ICMP error.
      if (!inError) e.add('tcp.len', r.payload.length);
      for (const o of r.options) {
        e.add('tcp.option_kind', o.kind);
        if (o.kind <= 1) continue;
        e.add('tcp.option_len', tcpOptionsLength([o]));
        if ('mss' in o) e.add('tcp.options.mss_val', o.mss);
        if ('shift' in o) e.add('tcp.options.wscale.shift', o.shift);
        if ('blocks' in o) {
          for (const [left, right] of o.blocks) {
            e.add('tcp.options.sack_le', left);
            e.add('tcp.options.sack_re', right);
          }
        }
        if ('tsval' in o) {
          e.add('tcp.options.timestamp.tsval', o.tsval);
          e.add('tcp.options.timestamp.tsecr', o.tsecr);
        }
        if ('exid' in o) e.add('tcp.options.experimental.exid', o.exid);
      }
      // tshark lists every zero byte of the padding as an End of Option List.
      for (let i = optionsLength; i < padded; i++) e.add('tcp.option_kind', 0);
      return;
    }
    case 'udp':
      protocols.push('udp');
      e.add('udp.srcport', l4.sourcePort);
      e.add('udp.dstport', l4.destinationPort);
      e.add('udp.length', 8 + l4.payload.length);
      e.add('udp.checksum.status', l4.zeroChecksum ? ChecksumStatus.NOT_PRESENT : ChecksumStatus.GOOD);
      return;
    case 'icmpv4': {
      const r = l4.repr;
      protocols.push('icmp');
      if (r.kind !== 'echo-request' && r.kind !== 'echo-reply') throw new Error(`unexpected ${r.kind}`);
      e.add('icmp.type', r.kind === 'echo-request' ? 8 : 0);
      e.add('icmp.code', r.code);
      // tshark does not verify the checksum of an ICMP message quoted in an ICMP error.
      e.add('icmp.checksum.status', inError ? ChecksumStatus.UNVERIFIED : ChecksumStatus.GOOD);
      e.add('icmp.ident', r.identifier);
      e.add('icmp.seq', r.sequence);
      return;
    }
    case 'icmpv4-unreachable':
      protocols.push('icmp');
      e.add('icmp.type', 3);
      e.add('icmp.code', l4.code);
      e.add('icmp.checksum.status', ChecksumStatus.GOOD);
      if (l4.code === 4) e.add('icmp.mtu', l4.nextHopMtu);
      expectIpv4(l4.inner, e, protocols, true);
      return;
    case 'icmpv6': {
      const r = l4.repr;
      protocols.push('icmpv6');
      e.add('icmpv6.code', r.code);
      e.add('icmpv6.checksum.status', ChecksumStatus.GOOD);
      switch (r.kind) {
        case 'echo-request':
        case 'echo-reply':
          e.add('icmpv6.type', r.kind === 'echo-request' ? 128 : 129);
          e.add('icmpv6.echo.identifier', r.identifier);
          e.add('icmpv6.echo.sequence_number', r.sequence);
          return;
        case 'neighbor-solicitation':
        case 'neighbor-advertisement':
          if (r.kind === 'neighbor-solicitation') {
            e.add('icmpv6.type', 135);
            e.add('icmpv6.nd.ns.target_address', r.target);
          } else {
            e.add('icmpv6.type', 136);
            e.add('icmpv6.nd.na.flag.r', r.router);
            e.add('icmpv6.nd.na.flag.s', r.solicited);
            e.add('icmpv6.nd.na.flag.o', r.override);
            e.add('icmpv6.nd.na.target_address', r.target);
          }
          for (const o of r.options) {
            if (o.kind === 'raw') {
              e.add('icmpv6.opt.type', o.type);
              e.add('icmpv6.opt.length', (o.data.length + 2) / 8);
            } else {
              e.add('icmpv6.opt.type', o.kind === 'source-link-layer-address' ? 1 : 2);
              e.add('icmpv6.opt.length', 1);
              e.add('icmpv6.opt.linkaddr', MacAddress.format(o.address));
            }
          }
          return;
        default:
          throw new Error(`unexpected ${r.kind}`);
      }
    }
    case 'raw':
      return;
  }
}
