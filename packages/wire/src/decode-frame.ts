/**
 * The hot-path decoder: one `FrameDecoder` per thread holds a view per protocol,
 * allocated once; `decodeFrame` points them at a frame and reports which layers it
 * decoded. It never throws on bad data and allocates nothing per call: a failure is a
 * status and the layer it happened in, and `error()` builds the `WireError` on demand.
 *
 * Checksums are not verified here: frames from a local sender arrive with partial
 * checksums (CHECKSUM_PARTIAL), which only the receive metadata can tell apart.
 */
import { ArpPacket } from './arp.js';
import { inRange, rangeError, type Status, type WireError } from './errors.js';
import { EthernetFrame } from './ethernet.js';
import { Icmpv4Message } from './icmpv4.js';
import { Icmpv6Message } from './icmpv6.js';
import { Ipv4Packet } from './ipv4.js';
import { Ipv6Packet } from './ipv6.js';
import { isLinuxOptionLayout, TcpSegment } from './tcp.js';
import { UdpDatagram } from './udp.js';
import type { View } from './view.js';

/** Bits of `FrameDecoder.layers`. */
export const Layer = {
  ETHERNET: 1 << 0,
  VLAN: 1 << 1,
  ARP: 1 << 2,
  IPV4: 1 << 3,
  IPV6: 1 << 4,
  TCP: 1 << 5,
  UDP: 1 << 6,
  ICMPV4: 1 << 7,
  ICMPV6: 1 << 8,
  /** An IP fragment; a non-first fragment has no transport layer. */
  FRAGMENT: 1 << 9,
} as const;
export type Layer = (typeof Layer)[keyof typeof Layer];

export class FrameDecoder {
  readonly ethernet = new EthernetFrame();
  readonly arp = new ArpPacket();
  readonly ipv4 = new Ipv4Packet();
  readonly ipv6 = new Ipv6Packet();
  readonly tcp = new TcpSegment();
  readonly udp = new UdpDatagram();
  readonly icmpv4 = new Icmpv4Message();
  readonly icmpv6 = new Icmpv6Message();

  /** Layers decoded by the last call (see `Layer`). */
  layers = 0;
  /** `Status.OK`, or why the layer in `failedLayer` did not decode. */
  status: Status = 0; // Status.OK
  /** The `Layer` bit that failed, or 0. */
  failedLayer = 0;
  /** IP protocol of the transport layer (after IPv6 extension headers), or -1. */
  transportProtocol = -1;

  /** The array `dv` reads; decodeFrame validates the common layouts through it (one DataView for all layers). */
  bytes: Uint8Array = new Uint8Array(0);
  dv: DataView = new DataView(this.bytes.buffer);

  /** Binds the decoder to another array (the only allocation, once per array). */
  rebind(bytes: Uint8Array): void {
    this.bytes = bytes;
    this.dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  has(layer: number): boolean {
    return (this.layers & layer) !== 0;
  }

  /** The `WireError` for the last failure (allocates; call it off the hot path). */
  error(): WireError | undefined {
    const view = this.viewOf(this.failedLayer);
    return view?.error();
  }

  private viewOf(layer: number): View | undefined {
    switch (layer) {
      case Layer.ETHERNET:
        return this.ethernet;
      case Layer.ARP:
        return this.arp;
      case Layer.IPV4:
        return this.ipv4;
      case Layer.IPV6:
        return this.ipv6;
      case Layer.TCP:
        return this.tcp;
      case Layer.UDP:
        return this.udp;
      case Layer.ICMPV4:
        return this.icmpv4;
      case Layer.ICMPV6:
        return this.icmpv6;
      default:
        return undefined;
    }
  }
}

/** Records a failure in `layer` after `layers` decoded (`transportProtocol` is known once IP decoded). */
function fail(
  out: FrameDecoder,
  layers: number,
  layer: number,
  status: Status,
  transportProtocol: number,
): number {
  out.layers = layers;
  out.status = status;
  out.failedLayer = layer;
  out.transportProtocol = transportProtocol;
  return layers;
}

/** Records a successful decode (a transport-layer failure inside a first fragment counts as one). */
function done(out: FrameDecoder, layers: number, transportProtocol: number): number {
  out.layers = layers;
  out.status = 0; // Status.OK
  out.failedLayer = 0;
  out.transportProtocol = transportProtocol;
  return layers;
}

/**
 * Decodes `bytes[offset, offset + length)` into the views of `out`. Returns the bitmask of
 * decoded layers (also in `out.layers`); on failure `out.status` and `out.failedLayer` say why.
 * Never throws on frame contents; only a range outside `bytes` is an `InvalidArgumentError`.
 *
 * This is the hot path; how it is kept fast:
 * - The common layouts (no VLAN tag or one, IPv4 without options, IPv6 without extension
 *   headers, TCP without options or with Linux's data or SYN option layout, UDP) are
 *   validated here through the decoder's one DataView, and set exactly the view fields their
 *   `validate` would. Any other layout, and every failure, goes to the view's own `validate`, so the
 *   checks and error details live in one place and nothing passes that `validate` refuses.
 * - Constants are numeric literals (named in comments): an imported constant object costs a
 *   module-cell load, a hole check and a map check at every use in optimized code.
 * - Each view is pointed at its layer at a call site that only ever sees that view's class:
 *   shared code would make V8's inline caches megamorphic.
 */
export function decodeFrame(
  bytes: Uint8Array,
  out: FrameDecoder,
  offset = 0,
  length = bytes.length - offset,
): number {
  if (!inRange(bytes, offset, length)) throw rangeError('frame', bytes, offset, length);
  if (out.bytes !== bytes) out.rebind(bytes);
  const dv = out.dv;

  // --- Ethernet: no tag, or one 802.1Q / 802.1ad / legacy QinQ tag; more go to `validate`.
  const eth = out.ethernet;
  if (eth.bytes !== bytes) eth.rebind(bytes);
  eth.offset = offset;
  eth.length = length;
  let layers = 1; // Layer.ETHERNET
  let ethLength = 14; // ETHERNET_HEADER_LENGTH
  // Tag TPIDs are EtherType.VLAN, QinQ and QinQLegacy; -1 stands for "too short", which `validate` reports.
  let type = length >= 14 ? dv.getUint16(offset + 12) : -1;
  if (type >= 0 && type !== 0x8100 && type !== 0x88a8 && type !== 0x9100) {
    eth.tagCount = 0;
    eth.headerLength = 14;
  } else {
    type = length >= 18 ? dv.getUint16(offset + 16) : -1;
    if (type >= 0 && type !== 0x8100 && type !== 0x88a8 && type !== 0x9100) {
      eth.tagCount = 1;
      eth.headerLength = ethLength = 18;
    } else {
      const status = eth.validate();
      if (status !== 0) return fail(out, 0, 1, status, -1);
      ethLength = eth.headerLength;
      type = dv.getUint16(offset + ethLength - 2);
    }
    if (ethLength !== 14) layers = 3; // Layer.ETHERNET | Layer.VLAN
  }

  const start = offset + ethLength;
  const rest = length - ethLength;
  let l4Offset: number;
  let l4Length: number;
  let proto: number;
  if (type === 0x0800) {
    // --- IPv4: version 4 and IHL 5 (no options), total length within the frame.
    const ip = out.ipv4;
    if (ip.bytes !== bytes) ip.rebind(bytes);
    ip.offset = start;
    const word = rest >= 20 ? dv.getUint32(start) : 0;
    const total = word & 0xffff;
    if (word >>> 24 === 0x45 && total >= 20 && total <= rest) {
      ip.quoted = false;
      ip.headerLength = 20;
      ip.length = total; // anything past total length is link padding
    } else {
      ip.length = rest;
      const status = ip.validate();
      if (status !== 0) return fail(out, layers, 8, status, -1);
    }
    layers |= 8; // Layer.IPV4
    const fragProto = dv.getUint32(start + 6); // flags and fragment offset, TTL, protocol
    proto = fragProto & 0xff;
    if ((fragProto & 0x3fff_0000) !== 0) {
      layers |= 512; // Layer.FRAGMENT (MF or an offset)
      if ((fragProto & 0x1fff_0000) !== 0) return done(out, layers, proto); // not the first fragment
    }
    const hl = ip.headerLength;
    l4Offset = start + hl;
    l4Length = ip.length - hl;
  } else if (type === 0x86dd) {
    // --- IPv6: version 6, payload within the frame, a transport header next (no extension headers).
    const ip = out.ipv6;
    if (ip.bytes !== bytes) ip.rebind(bytes);
    ip.offset = start;
    const word = rest >= 40 ? dv.getUint32(start + 4) : 0; // payload length, next header, hop limit
    const total = 40 + (word >>> 16);
    proto = (word >>> 8) & 0xff;
    if (
      rest >= 40 &&
      dv.getUint8(start) >>> 4 === 6 &&
      total <= rest &&
      (proto === 6 || proto === 17 || proto === 58) // TCP, UDP, ICMPv6
    ) {
      ip.length = total;
      ip.fragmentHeaderOffset = -1;
      ip.finalDestinationOffset = 24; // Ipv6Field.DESTINATION
      ip.upperLayerProtocol = proto;
      ip.upperLayerHeaderOffset = 40;
      ip.extensionHeaderCount = 0;
      layers |= 16; // Layer.IPV6
      l4Offset = start + 40;
      l4Length = total - 40;
    } else {
      ip.length = rest;
      const status = ip.validate();
      if (status !== 0) return fail(out, layers, 16, status, -1);
      layers |= 16; // Layer.IPV6
      proto = ip.upperLayerProtocol;
      if (ip.isFragment) {
        layers |= 512; // Layer.FRAGMENT
        if (ip.fragmentOffset !== 0) return done(out, layers, proto);
      }
      l4Offset = ip.upperLayerOffset;
      l4Length = ip.upperLayerLength;
    }
  } else if (type === 0x0806) {
    // --- ARP
    const arp = out.arp;
    if (arp.bytes !== bytes) arp.rebind(bytes);
    arp.offset = start;
    arp.length = rest;
    const status = arp.validate();
    if (status !== 0) return fail(out, layers, 4, status, -1);
    return done(out, layers | 4, -1); // Layer.ARP
  } else {
    return done(out, layers, -1);
  }

  // A first fragment may end inside the transport header: then it stops at IP without failing.
  let status: Status = 0;
  if (proto === 6) {
    // --- TCP: no options, Linux's data layout (NOP NOP timestamps) or SYN layout (MSS, SACK
    // permitted, timestamps, NOP, window scale); any other options go to `validate`.
    const tcp = out.tcp;
    if (tcp.bytes !== bytes) tcp.rebind(bytes);
    tcp.offset = l4Offset;
    tcp.length = l4Length;
    const hl = l4Length >= 20 ? (dv.getUint8(l4Offset + 12) >>> 4) * 4 : 0;
    if (hl === 20 || (hl <= l4Length && isLinuxOptionLayout(dv, l4Offset, hl))) {
      tcp.headerLength = hl;
      layers |= 32; // Layer.TCP
    } else {
      status = tcp.validate();
      if (status === 0) layers |= 32;
    }
  } else if (proto === 17) {
    // --- UDP: the length field covers the header and fits the packet.
    const udp = out.udp;
    if (udp.bytes !== bytes) udp.rebind(bytes);
    udp.offset = l4Offset;
    const len = l4Length >= 8 ? dv.getUint16(l4Offset + 4) : 0;
    if (len >= 8 && len <= l4Length) {
      udp.length = len;
      layers |= 64; // Layer.UDP
    } else {
      udp.length = l4Length;
      status = udp.validate();
      if (status === 0) layers |= 64;
    }
  } else if (proto === 1 && (layers & 8) !== 0) {
    // --- ICMPv4
    const icmp = out.icmpv4;
    if (icmp.bytes !== bytes) icmp.rebind(bytes);
    icmp.offset = l4Offset;
    icmp.length = l4Length;
    status = icmp.validate();
    if (status === 0) layers |= 128; // Layer.ICMPV4
  } else if (proto === 58 && (layers & 16) !== 0) {
    // --- ICMPv6
    const icmp = out.icmpv6;
    if (icmp.bytes !== bytes) icmp.rebind(bytes);
    icmp.offset = l4Offset;
    icmp.length = l4Length;
    status = icmp.validate();
    if (status === 0) layers |= 256; // Layer.ICMPV6
  }
  // One exit for the common case: `done` and `fail` are for the rare ones (V8 does not
  // always inline them, and a call per frame costs more than these stores).
  out.layers = layers;
  out.transportProtocol = proto;
  if (status === 0 || (layers & 512) !== 0) {
    out.status = 0;
    out.failedLayer = 0;
  } else {
    out.status = status;
    out.failedLayer = proto === 6 ? 32 : proto === 17 ? 64 : (layers & 8) !== 0 ? 128 : 256;
  }
  return layers;
}
