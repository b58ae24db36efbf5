/** One-line, tcpdump-like summaries of decoded frames. Formatting never throws. */
import { Ipv4Address, Ipv6Address, MacAddress } from './addresses.js';
import { ArpOperation } from './arp.js';
import { type FrameDecoder, Layer } from './decode-frame.js';
import { TcpFlag } from './tcp.js';

const FLAG_LETTERS: Array<[number, string]> = [
  [TcpFlag.SYN, 'S'],
  [TcpFlag.FIN, 'F'],
  [TcpFlag.RST, 'R'],
  [TcpFlag.PSH, 'P'],
  [TcpFlag.URG, 'U'],
  [TcpFlag.ECE, 'E'],
  [TcpFlag.CWR, 'W'],
  [TcpFlag.AE, 'A'],
];

const ICMPV4_NAMES: Readonly<Record<number, string>> = {
  0: 'echo reply',
  3: 'unreachable',
  8: 'echo request',
  11: 'time exceeded',
  12: 'parameter problem',
};

const ICMPV6_NAMES: Readonly<Record<number, string>> = {
  1: 'unreachable',
  2: 'packet too big',
  3: 'time exceeded',
  4: 'parameter problem',
  128: 'echo request',
  129: 'echo reply',
  135: 'neighbor solicitation',
  136: 'neighbor advertisement',
  143: 'multicast listener report v2',
};

/** tcpdump's flag notation: `[S]`, `[S.]`, `[P.]`, `[.]` (the dot is ACK). */
export function formatTcpFlags(flags: number): string {
  let s = '';
  for (const [bit, letter] of FLAG_LETTERS) if (flags & bit) s += letter;
  if (flags & TcpFlag.ACK) s += '.';
  return `[${s}]`;
}

/** Summarizes the frame last decoded into `d`, e.g. `IPv4 10.0.0.1.5000 > 10.0.0.2.80 TCP [S] seq 1 win 64240`. */
export function summarizeFrame(d: FrameDecoder): string {
  try {
    return summarize(d);
  } catch (err) {
    return `unprintable frame (${err instanceof Error ? err.message : 'unknown error'})`;
  }
}

function summarize(d: FrameDecoder): string {
  if (!d.has(Layer.ETHERNET)) return `malformed ethernet: ${d.error()?.message ?? 'unknown'}`;
  const eth = d.ethernet;
  let vlan = '';
  for (let i = 0; i < eth.tagCount; i++) vlan += `vlan ${eth.vid(i)} `;
  const link = `${MacAddress.format(eth.source)} > ${MacAddress.format(eth.destination)} ${vlan}`;
  const tail = d.failedLayer !== 0 ? ` [malformed: ${d.error()?.message ?? 'unknown'}]` : '';
  if (d.has(Layer.ARP)) {
    const a = d.arp;
    if (!a.isEthernetIpv4)
      return `${link}ARP htype ${a.hardwareType} ptype 0x${a.protocolType.toString(16)} op ${a.operation}`;
    const tpa = Ipv4Address.format(a.targetProtocolAddress);
    const spa = Ipv4Address.format(a.senderProtocolAddress);
    if (a.operation === ArpOperation.REQUEST) return `${link}ARP who-has ${tpa} tell ${spa}`;
    if (a.operation === ArpOperation.REPLY)
      return `${link}ARP ${spa} is-at ${MacAddress.format(a.senderHardwareAddress)}`;
    return `${link}ARP op ${a.operation} ${spa} > ${tpa}`;
  }
  let src: string;
  let dst: string;
  let net: string;
  if (d.has(Layer.IPV4)) {
    src = Ipv4Address.format(d.ipv4.source);
    dst = Ipv4Address.format(d.ipv4.destination);
    net = 'IPv4';
  } else if (d.has(Layer.IPV6)) {
    src = Ipv6Address.format(d.ipv6.source);
    dst = Ipv6Address.format(d.ipv6.destination);
    net = 'IPv6';
  } else {
    return `${link}ethertype 0x${eth.etherType.toString(16).padStart(4, '0')} length ${eth.payloadLength}${tail}`;
  }
  net = vlan + net;
  const frag = d.has(Layer.FRAGMENT) ? ' (fragment)' : '';
  if (d.has(Layer.TCP)) {
    const t = d.tcp;
    return `${net} ${src}.${t.sourcePort} > ${dst}.${t.destinationPort} TCP ${formatTcpFlags(t.flags)} seq ${t.seq}${
      t.ackFlag ? ` ack ${t.ack}` : ''
    } win ${t.window} length ${t.payloadLength}${frag}`;
  }
  if (d.has(Layer.UDP)) {
    const u = d.udp;
    return `${net} ${src}.${u.sourcePort} > ${dst}.${u.destinationPort} UDP length ${u.payloadLength}${frag}`;
  }
  if (d.has(Layer.ICMPV4)) {
    const m = d.icmpv4;
    const what = ICMPV4_NAMES[m.type] ?? `type ${m.type}`;
    const echo = m.type === 0 || m.type === 8 ? `, id ${m.identifier}, seq ${m.sequence}` : '';
    const mtu = m.type === 3 && m.code === 4 ? ` (mtu ${m.nextHopMtu})` : '';
    return `${net} ${src} > ${dst} ICMP ${what} code ${m.code}${echo}${mtu}${frag}`;
  }
  if (d.has(Layer.ICMPV6)) {
    const m = d.icmpv6;
    const what = ICMPV6_NAMES[m.type] ?? `type ${m.type}`;
    const target =
      m.type === 135 || m.type === 136 ? ` ${Ipv6Address.format(m.targetAddress)}` : ` code ${m.code}`;
    const echo = m.type === 128 || m.type === 129 ? `, id ${m.identifier}, seq ${m.sequence}` : '';
    return `${net} ${src} > ${dst} ICMPv6 ${what}${target}${echo}${frag}`;
  }
  return `${net} ${src} > ${dst} protocol ${d.transportProtocol}${frag}${tail}`;
}
