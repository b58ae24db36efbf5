/**
 * Zero-copy codecs for the frames a layer-4 switch sees: Ethernet II with 802.1Q/802.1ad
 * tags, ARP, IPv4, IPv6 with extension headers, TCP with options, UDP, ICMPv4 and ICMPv6
 * (echo, errors, neighbor discovery); RFC 1071/1624 checksums; typed errors.
 *
 * Each protocol has a *view* (a class over the bytes, one getter and setter per field,
 * checked on construction) and a *codec* of plain reprs (`decode`/`encode`/`encodingLength`).
 * `decodeFrame` is the allocation-free hot path.
 *
 * @example
 * ```ts
 * import assert from 'node:assert/strict';
 * import { FrameDecoder, Layer, decodeFrame, ethernet, EtherType, ipv4, IpProtocol, tcp, TcpFlag, Ipv4Address, MacAddress } from '@switchyard/wire';
 *
 * const source = Ipv4Address.parse('10.0.0.1');
 * const destination = Ipv4Address.parse('10.0.0.2');
 * const segment = tcp.encode(
 *   { sourcePort: 40000, destinationPort: 80, seq: 1, ack: 0, flags: TcpFlag.SYN, window: 64240, urgentPointer: 0,
 *     options: [{ kind: 2, mss: 1460 }], payload: new Uint8Array(0) },
 *   undefined, 0, { pseudo: { version: 4, source, destination } });
 * const packet = ipv4.encode({ dscp: 0, ecn: 0, identification: 1, dontFragment: true, moreFragments: false,
 *   fragmentOffset: 0, ttl: 64, protocol: IpProtocol.TCP, source, destination, options: new Uint8Array(0), payload: segment });
 * const frame = ethernet.encode({ destination: MacAddress.parse('02:00:00:00:00:02'), source: MacAddress.parse('02:00:00:00:00:01'),
 *   tags: [], etherType: EtherType.IPv4, payload: packet });
 *
 * const d = new FrameDecoder();           // once per thread
 * decodeFrame(frame, d);                  // per frame: no allocation
 * assert.ok(d.has(Layer.TCP) && d.tcp.isConnectionRequest);
 * ```
 *
 * @packageDocumentation
 */
export { Ipv4Address, Ipv6Address, MacAddress } from './addresses.js';
export type { ArpEthernetIpv4Repr, ArpRawRepr, ArpRepr } from './arp.js';
export { ARP_ETHERNET_IPV4_LENGTH, ArpField, ArpHardwareType, ArpOperation, ArpPacket, arp } from './arp.js';
export type { AuthKey, AuthResult, ReplayVerdict } from './auth.js';
export { AUTH_KEY_MIN_LENGTH, AUTH_KEYS_MAX, HMAC_SHA256_LENGTH, KeyRing, ReplayWindow } from './auth.js';
export {
  completeTransportChecksum,
  finishChecksum,
  foldSum,
  internetChecksum,
  pseudoHeaderSumV4,
  pseudoHeaderSumV6,
  sumWords,
  updateChecksum16,
  updateChecksum32,
} from './checksum.js';
export { decodeFrame, FrameDecoder, Layer } from './decode-frame.js';
export {
  assertUint,
  ChecksumError,
  InvalidArgumentError,
  MalformedError,
  Status,
  TruncatedError,
  UnsupportedError,
  WireError,
  WireErrorCode,
} from './errors.js';
export type { EthernetRepr, VlanTag } from './ethernet.js';
export {
  ETHERNET_HEADER_LENGTH,
  ETHERTYPE_MIN,
  EthernetField,
  EthernetFrame,
  EtherType,
  ethernet,
} from './ethernet.js';
export { formatTcpFlags, summarizeFrame } from './format.js';
export { ICMP_HEADER_LENGTH, IcmpField, IcmpMessage } from './icmp-base.js';
export type { Icmpv4Repr } from './icmpv4.js';
export { Icmpv4Message, Icmpv4Type, Icmpv4UnreachableCode, icmpv4, isIcmpv4Error } from './icmpv4.js';
export type { Icmpv6Repr, NdpOption } from './icmpv6.js';
export { Icmpv6Message, Icmpv6Type, icmpv6, NdpOptionType } from './icmpv6.js';
export type { Ipv4Option, Ipv4Repr } from './ipv4.js';
export {
  IPV4_MAX_HEADER_LENGTH,
  IPV4_MIN_HEADER_LENGTH,
  IpProtocol,
  Ipv4Field,
  Ipv4OptionType,
  Ipv4Packet,
  ipv4,
  ipv4Options,
} from './ipv4.js';
export type { Ipv6ExtensionHeader, Ipv6Fragment, Ipv6Repr } from './ipv6.js';
export {
  IPV6_HEADER_LENGTH,
  IPV6_MAX_EXTENSION_HEADERS,
  Ipv6Field,
  Ipv6Packet,
  ipv6,
  ipv6Fragment,
  isIpv6ExtensionHeader,
} from './ipv6.js';
export type { PcapFile, PcapRecord } from './pcap.js';
export { LinkType, PcapWriter, readPcap } from './pcap.js';
export { type PseudoHeader, pseudoHeaderSum } from './pseudo-header.js';
export { seqAdd, seqDiff, seqGe, seqGt, seqInWindow, seqLe, seqLt } from './seq.js';
export type { TcpOption, TcpRepr } from './tcp.js';
export {
  parseTcpOptions,
  TCP_MAX_HEADER_LENGTH,
  TCP_MIN_HEADER_LENGTH,
  TcpField,
  TcpFlag,
  TcpOptionKind,
  TcpSegment,
  tcp,
  tcpOptionsLength,
} from './tcp.js';
export type { UdpRepr } from './udp.js';
export { UDP_HEADER_LENGTH, UdpDatagram, UdpField, udp } from './udp.js';
export type { Decoded, DecodeOptions, EncodeOptions } from './view.js';
export { View } from './view.js';
