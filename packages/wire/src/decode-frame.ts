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
import { InvalidArgumentError, Status, type WireError } from './errors.js';
import { EthernetFrame, EtherType } from './ethernet.js';
import { Icmpv4Message } from './icmpv4.js';
import { Icmpv6Message } from './icmpv6.js';
import { IpProtocol, Ipv4Field, Ipv4Packet } from './ipv4.js';
import { Ipv6Packet } from './ipv6.js';
import { TcpSegment } from './tcp.js';
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
  status: Status = Status.OK;
  /** The `Layer` bit that failed, or 0. */
  failedLayer = 0;
  /** IP protocol of the transport layer (after IPv6 extension headers), or -1. */
  transportProtocol = -1;

  /** The array `dv` reads; decodeFrame reads the few fields it branches on through it. */
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

function fail(out: FrameDecoder, layer: number, status: Status): number {
  out.status = status;
  out.failedLayer = layer;
  return out.layers;
}

/**
 * Decodes `bytes[offset, offset + length)` into the views of `out`. Returns the bitmask of
 * decoded layers (also in `out.layers`); on failure `out.status` and `out.failedLayer` say why.
 * Never throws on frame contents; only a range outside `bytes` is an `InvalidArgumentError`.
 *
 * Each view is pointed at its layer here, at a call site that only ever sees that view's
 * class, and validated by its own `validate`: shared code would make V8's inline caches
 * megamorphic, and that cost more than all the parsing.
 */
export function decodeFrame(
  bytes: Uint8Array,
  out: FrameDecoder,
  offset = 0,
  length = bytes.length - offset,
): number {
  if (!(offset >= 0 && length >= 0 && offset + length <= bytes.length)) {
    throw new InvalidArgumentError(
      'frame',
      'range',
      `[${offset}, ${offset}+${length}) is outside a ${bytes.length}-byte array`,
    );
  }
  out.layers = 0;
  out.status = Status.OK;
  out.failedLayer = 0;
  out.transportProtocol = -1;
  if (out.bytes !== bytes) out.rebind(bytes);
  const dv = out.dv;

  const eth = out.ethernet;
  if (eth.bytes !== bytes) eth.rebind(bytes);
  eth.offset = offset;
  eth.length = length;
  let status = eth.validate();
  if (status !== Status.OK) return fail(out, Layer.ETHERNET, status);
  let layers = eth.tagCount === 0 ? Layer.ETHERNET : Layer.ETHERNET | Layer.VLAN;

  const ethLength = eth.headerLength;
  const start = offset + ethLength;
  const rest = length - ethLength;
  let l4Offset: number;
  let l4Length: number;
  let proto: number;
  switch (dv.getUint16(start - 2)) {
    case EtherType.IPv4: {
      const ip = out.ipv4;
      if (ip.bytes !== bytes) ip.rebind(bytes);
      ip.offset = start;
      ip.length = rest;
      status = ip.validate();
      if (status !== Status.OK) {
        out.layers = layers;
        return fail(out, Layer.IPV4, status);
      }
      layers |= Layer.IPV4;
      proto = dv.getUint8(start + Ipv4Field.PROTOCOL);
      const fragment = dv.getUint16(start + Ipv4Field.FLAGS_FRAGMENT_OFFSET) & 0x3fff; // MF and offset
      if (fragment !== 0) {
        layers |= Layer.FRAGMENT;
        if ((fragment & 0x1fff) !== 0) {
          out.transportProtocol = proto;
          out.layers = layers;
          return layers;
        }
      }
      const hl = ip.headerLength;
      l4Offset = start + hl;
      l4Length = ip.length - hl;
      break;
    }
    case EtherType.IPv6: {
      const ip = out.ipv6;
      if (ip.bytes !== bytes) ip.rebind(bytes);
      ip.offset = start;
      ip.length = rest;
      status = ip.validate();
      if (status !== Status.OK) {
        out.layers = layers;
        return fail(out, Layer.IPV6, status);
      }
      layers |= Layer.IPV6;
      proto = ip.upperLayerProtocol;
      if (ip.isFragment) {
        layers |= Layer.FRAGMENT;
        if (ip.fragmentOffset !== 0) {
          out.transportProtocol = proto;
          out.layers = layers;
          return layers;
        }
      }
      l4Offset = ip.upperLayerOffset;
      l4Length = ip.upperLayerLength;
      break;
    }
    case EtherType.ARP: {
      const arp = out.arp;
      if (arp.bytes !== bytes) arp.rebind(bytes);
      arp.offset = start;
      arp.length = rest;
      status = arp.validate();
      out.layers = layers;
      if (status !== Status.OK) return fail(out, Layer.ARP, status);
      out.layers = layers | Layer.ARP;
      return out.layers;
    }
    default:
      out.layers = layers;
      return layers;
  }

  out.transportProtocol = proto;
  out.layers = layers;
  // A first fragment may end inside the transport header: then it stops at IP without failing.
  if (proto === IpProtocol.TCP) {
    const tcp = out.tcp;
    if (tcp.bytes !== bytes) tcp.rebind(bytes);
    tcp.offset = l4Offset;
    tcp.length = l4Length;
    status = tcp.validate();
    if (status === Status.OK) return (out.layers = layers | Layer.TCP);
    return (layers & Layer.FRAGMENT) !== 0 ? layers : fail(out, Layer.TCP, status);
  }
  if (proto === IpProtocol.UDP) {
    const udp = out.udp;
    if (udp.bytes !== bytes) udp.rebind(bytes);
    udp.offset = l4Offset;
    udp.length = l4Length;
    status = udp.validate();
    if (status === Status.OK) return (out.layers = layers | Layer.UDP);
    return (layers & Layer.FRAGMENT) !== 0 ? layers : fail(out, Layer.UDP, status);
  }
  if (proto === IpProtocol.ICMP && (layers & Layer.IPV4) !== 0) {
    const icmp = out.icmpv4;
    if (icmp.bytes !== bytes) icmp.rebind(bytes);
    icmp.offset = l4Offset;
    icmp.length = l4Length;
    status = icmp.validate();
    if (status === Status.OK) return (out.layers = layers | Layer.ICMPV4);
    return (layers & Layer.FRAGMENT) !== 0 ? layers : fail(out, Layer.ICMPV4, status);
  }
  if (proto === IpProtocol.ICMPV6 && (layers & Layer.IPV6) !== 0) {
    const icmp = out.icmpv6;
    if (icmp.bytes !== bytes) icmp.rebind(bytes);
    icmp.offset = l4Offset;
    icmp.length = l4Length;
    status = icmp.validate();
    if (status === Status.OK) return (out.layers = layers | Layer.ICMPV6);
    return (layers & Layer.FRAGMENT) !== 0 ? layers : fail(out, Layer.ICMPV6, status);
  }
  return layers;
}
