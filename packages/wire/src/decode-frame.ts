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
import { Status, type WireError } from './errors.js';
import { EthernetFrame, EtherType } from './ethernet.js';
import { Icmpv4Message } from './icmpv4.js';
import { Icmpv6Message } from './icmpv6.js';
import { IpProtocol, Ipv4Packet } from './ipv4.js';
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
 */
export function decodeFrame(
  bytes: Uint8Array,
  out: FrameDecoder,
  offset = 0,
  length = bytes.length - offset,
): number {
  out.layers = 0;
  out.status = Status.OK;
  out.failedLayer = 0;
  out.transportProtocol = -1;

  const eth = out.ethernet;
  let status = eth.check(bytes, offset, length);
  if (status !== Status.OK) return fail(out, Layer.ETHERNET, status);
  out.layers = eth.tagCount === 0 ? Layer.ETHERNET : Layer.ETHERNET | Layer.VLAN;

  const start = eth.payloadOffset;
  const rest = eth.payloadLength;
  let l4Offset: number;
  let l4Length: number;
  switch (eth.etherType) {
    case EtherType.IPv4: {
      const ip = out.ipv4;
      status = ip.check(bytes, start, rest);
      if (status !== Status.OK) return fail(out, Layer.IPV4, status);
      out.layers |= Layer.IPV4;
      out.transportProtocol = ip.protocol;
      if (ip.isFragment) {
        out.layers |= Layer.FRAGMENT;
        if (ip.fragmentOffset !== 0) return out.layers;
      }
      l4Offset = ip.payloadOffset;
      l4Length = ip.payloadLength;
      break;
    }
    case EtherType.IPv6: {
      const ip = out.ipv6;
      status = ip.check(bytes, start, rest);
      if (status !== Status.OK) return fail(out, Layer.IPV6, status);
      out.layers |= Layer.IPV6;
      out.transportProtocol = ip.upperLayerProtocol;
      if (ip.isFragment) {
        out.layers |= Layer.FRAGMENT;
        if (ip.fragmentOffset !== 0) return out.layers;
      }
      l4Offset = ip.upperLayerOffset;
      l4Length = ip.upperLayerLength;
      break;
    }
    case EtherType.ARP:
      status = out.arp.check(bytes, start, rest);
      if (status !== Status.OK) return fail(out, Layer.ARP, status);
      out.layers |= Layer.ARP;
      return out.layers;
    default:
      return out.layers;
  }

  // A first fragment may end inside the transport header: then it stops at IP.
  const proto = out.transportProtocol;
  let view: View;
  let bit: number;
  if (proto === IpProtocol.TCP) {
    view = out.tcp;
    bit = Layer.TCP;
  } else if (proto === IpProtocol.UDP) {
    view = out.udp;
    bit = Layer.UDP;
  } else if (proto === IpProtocol.ICMP && (out.layers & Layer.IPV4) !== 0) {
    view = out.icmpv4;
    bit = Layer.ICMPV4;
  } else if (proto === IpProtocol.ICMPV6 && (out.layers & Layer.IPV6) !== 0) {
    view = out.icmpv6;
    bit = Layer.ICMPV6;
  } else {
    return out.layers;
  }
  status = view.check(bytes, l4Offset, l4Length);
  if (status !== Status.OK) {
    if ((out.layers & Layer.FRAGMENT) !== 0) return out.layers;
    return fail(out, bit, status);
  }
  out.layers |= bit;
  return out.layers;
}
