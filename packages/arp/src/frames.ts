/**
 * Every frame the responder sends is built here, and every one passes the transmit guard:
 * its Ethernet source is the node's real MAC and never a virtual MAC (DESIGN.md mechanism A).
 * A switch learns source addresses only; one frame from the vMAC and it stops flooding the
 * cluster's traffic to every node.
 */
import {
  ARP_ETHERNET_IPV4_LENGTH,
  type ArpOperation,
  EtherType,
  ethernet,
  finishChecksum,
  Icmpv6Type,
  InvalidArgumentError,
  IPV6_HEADER_LENGTH,
  IpProtocol,
  Ipv4Address,
  type Ipv6Address,
  MacAddress,
  NdpOptionType,
  pseudoHeaderSumV6,
  sumWords,
  type VlanTag,
} from '@switchyard/wire';

/** Hop limit of every Neighbor Discovery message: receivers drop anything else (RFC 4861 §7.1.1, §7.1.2). */
export const NDP_HOP_LIMIT = 255;

/**
 * Checks frames at the transmit boundary: the Ethernet source must be the node's real MAC
 * and must not be any virtual MAC. The daemon can run its own transmit path through one too.
 */
export class TransmitGuard {
  readonly #vmacs: Set<MacAddress>;
  /** The vMACs as (high 16 bits, low 32 bits as int32) pairs, for the allocation-free `isVmacAt`. */
  #words = new Int32Array(0);

  constructor(
    readonly realMac: MacAddress,
    vmacs: Iterable<MacAddress> = [],
  ) {
    this.#vmacs = new Set(vmacs);
    if (this.#vmacs.has(realMac)) {
      throw new InvalidArgumentError('arp', 'vmac', 'a virtual MAC must differ from the real MAC');
    }
    this.#rebuild();
  }

  /** Starts guarding another virtual MAC. */
  addVmac(vmac: MacAddress): void {
    if (vmac === this.realMac) {
      throw new InvalidArgumentError('arp', 'vmac', 'a virtual MAC must differ from the real MAC');
    }
    this.#vmacs.add(vmac);
    this.#rebuild();
  }

  /** Stops guarding `vmac` (no VIP uses it any more). */
  removeVmac(vmac: MacAddress): void {
    this.#vmacs.delete(vmac);
    this.#rebuild();
  }

  isVmac(mac: MacAddress): boolean {
    return this.#vmacs.has(mac);
  }

  /**
   * True when the six bytes at `offset` are a vMAC. Compares 16- and 32-bit integers, so it
   * allocates nothing (a MAC as a number above 2^31 would be a heap number on every frame).
   */
  isVmacAt(bytes: Uint8Array, offset: number): boolean {
    const words = this.#words;
    if (words.length === 0 || offset < 0 || offset + 6 > bytes.length) return false;
    const hi = (bytes[offset]! << 8) | bytes[offset + 1]!;
    const lo =
      (bytes[offset + 2]! << 24) |
      (bytes[offset + 3]! << 16) |
      (bytes[offset + 4]! << 8) |
      bytes[offset + 5]!;
    for (let i = 0; i < words.length; i += 2) if (words[i] === hi && words[i + 1] === lo) return true;
    return false;
  }

  #rebuild(): void {
    const words = new Int32Array(2 * this.#vmacs.size);
    let i = 0;
    for (const mac of this.#vmacs) {
      words[i++] = Math.floor(mac / 0x1_0000_0000);
      words[i++] = (mac % 0x1_0000_0000) | 0;
    }
    this.#words = words;
  }

  /** True when `frame` may leave: at least an Ethernet header, source = real MAC, not a vMAC. */
  allows(frame: Uint8Array): boolean {
    if (frame.length < 14) return false;
    const source = MacAddress.read(frame, 6);
    return source === this.realMac && !this.#vmacs.has(source);
  }

  /** Throws `InvalidArgumentError` unless `allows(frame)`: a frame from the vMAC would stop the switch flooding. */
  assert(frame: Uint8Array): Uint8Array {
    if (!this.allows(frame)) {
      const source = frame.length >= 14 ? MacAddress.format(MacAddress.read(frame, 6)) : 'none';
      throw new InvalidArgumentError(
        'arp',
        'ethernet.source',
        `refusing to send a frame from ${source}: only the real MAC ${MacAddress.format(this.realMac)} may be a source (never a virtual MAC)`,
      );
    }
    return frame;
  }
}

/** An ARP packet to build: Ethernet/IPv4 only. */
export interface ArpFields {
  operation: ArpOperation;
  senderHardwareAddress: MacAddress;
  senderProtocolAddress: Ipv4Address;
  targetHardwareAddress: MacAddress;
  targetProtocolAddress: Ipv4Address;
}

/** A neighbor advertisement to build (RFC 4861 §4.4), always with a target link-layer option. */
export interface NeighborAdvertisementFields {
  router: boolean;
  solicited: boolean;
  override: boolean;
  target: Ipv6Address;
  targetLinkLayerAddress: MacAddress;
}

/** A neighbor solicitation to build (RFC 4861 §4.3), always with a source link-layer option. */
export interface NeighborSolicitationFields {
  target: Ipv6Address;
  sourceLinkLayerAddress: MacAddress;
}

/** ICMPv6 neighbor solicitation or advertisement with one link-layer option: 24 + 8 bytes. */
const ND_LENGTH = 32;

/** Writes a 128-bit address as four 32-bit words (four bigint steps instead of sixteen). */
function writeIpv6(address: Ipv6Address, out: Uint8Array, offset: number): void {
  for (let i = 0; i < 4; i++) {
    const word = Number((address >> BigInt(96 - 32 * i)) & 0xffff_ffffn);
    out[offset + 4 * i] = word >>> 24;
    out[offset + 4 * i + 1] = word >>> 16;
    out[offset + 4 * i + 2] = word >>> 8;
    out[offset + 4 * i + 3] = word;
  }
}

/**
 * Builds the responder's frames with the real MAC as Ethernet source and the configured
 * VLAN tags, and passes each through the guard before handing it out. Each frame is one
 * allocation written byte by byte: wire's encoders take a DataView over `out.buffer`, which
 * for a small new array costs more than the rest of the frame (see the package bench).
 * The vector tests compare every layout with independent scapy bytes.
 */
export class FrameBuilder {
  readonly #tagBytes: Uint8Array;

  constructor(
    readonly guard: TransmitGuard,
    readonly tags: readonly VlanTag[] = [],
  ) {
    // Checked once here, the way ethernet.encode checks them per frame.
    const probe = ethernet.encode({
      destination: 0,
      source: 0,
      tags: [...tags],
      etherType: EtherType.ARP,
      payload: new Uint8Array(0),
    });
    this.#tagBytes = probe.slice(12, 12 + 4 * tags.length);
  }

  /**
   * An ARP frame (RFC 826). Not padded to the 60-byte Ethernet minimum: like Linux, the
   * sender leaves that to the NIC, so the bytes equal what the kernel would send.
   */
  arp(destination: MacAddress, fields: ArpFields): Uint8Array {
    const at = 14 + this.#tagBytes.length;
    const out = this.#header(destination, EtherType.ARP, at + ARP_ETHERNET_IPV4_LENGTH);
    out[at + 1] = 1; // hardware type Ethernet
    out[at + 2] = 0x08; // protocol type IPv4
    out[at + 4] = 6;
    out[at + 5] = 4;
    out[at + 6] = fields.operation >>> 8;
    out[at + 7] = fields.operation;
    MacAddress.write(fields.senderHardwareAddress, out, at + 8);
    Ipv4Address.write(fields.senderProtocolAddress, out, at + 14);
    MacAddress.write(fields.targetHardwareAddress, out, at + 18);
    Ipv4Address.write(fields.targetProtocolAddress, out, at + 24);
    return this.guard.assert(out);
  }

  /** A neighbor advertisement in IPv6 with hop limit 255 (RFC 4861 §4.4, §7.1.2). */
  neighborAdvertisement(
    destination: MacAddress,
    source: Ipv6Address,
    ipDestination: Ipv6Address,
    fields: NeighborAdvertisementFields,
  ): Uint8Array {
    const flags = (fields.router ? 0x80 : 0) | (fields.solicited ? 0x40 : 0) | (fields.override ? 0x20 : 0);
    return this.#nd(
      destination,
      source,
      ipDestination,
      Icmpv6Type.NEIGHBOR_ADVERTISEMENT,
      flags,
      fields.target,
      NdpOptionType.TARGET_LINK_LAYER_ADDRESS,
      fields.targetLinkLayerAddress,
    );
  }

  /** A neighbor solicitation in IPv6 with hop limit 255 (RFC 4861 §4.3, §7.1.1). */
  neighborSolicitation(
    destination: MacAddress,
    source: Ipv6Address,
    ipDestination: Ipv6Address,
    fields: NeighborSolicitationFields,
  ): Uint8Array {
    return this.#nd(
      destination,
      source,
      ipDestination,
      Icmpv6Type.NEIGHBOR_SOLICITATION,
      0,
      fields.target,
      NdpOptionType.SOURCE_LINK_LAYER_ADDRESS,
      fields.sourceLinkLayerAddress,
    );
  }

  #nd(
    destination: MacAddress,
    source: Ipv6Address,
    ipDestination: Ipv6Address,
    type: number,
    flags: number,
    target: Ipv6Address,
    optionType: number,
    linkLayer: MacAddress,
  ): Uint8Array {
    const ip = 14 + this.#tagBytes.length;
    const icmp = ip + IPV6_HEADER_LENGTH;
    const out = this.#header(destination, EtherType.IPv6, icmp + ND_LENGTH);
    out[ip] = 0x60; // version 6, traffic class 0, flow label 0
    out[ip + 5] = ND_LENGTH; // payload length (high byte 0)
    out[ip + 6] = IpProtocol.ICMPV6;
    out[ip + 7] = NDP_HOP_LIMIT;
    writeIpv6(source, out, ip + 8);
    writeIpv6(ipDestination, out, ip + 24);
    out[icmp] = type; // code 0, checksum 0 until computed
    out[icmp + 4] = flags;
    writeIpv6(target, out, icmp + 8);
    out[icmp + 24] = optionType;
    out[icmp + 25] = 1; // option length in units of 8 bytes
    MacAddress.write(linkLayer, out, icmp + 26);
    // RFC 4443 §2.3: the checksum covers the IPv6 pseudo-header.
    const pseudo = pseudoHeaderSumV6(out, ip + 8, out, ip + 24, IpProtocol.ICMPV6, ND_LENGTH);
    const checksum = finishChecksum(sumWords(out, icmp, icmp + ND_LENGTH, pseudo));
    out[icmp + 2] = checksum >>> 8;
    out[icmp + 3] = checksum;
    return this.guard.assert(out);
  }

  /** A zeroed frame of `length` bytes with the Ethernet header written: the source is always the real MAC. */
  #header(destination: MacAddress, etherType: number, length: number): Uint8Array {
    const out = new Uint8Array(length);
    MacAddress.write(destination, out, 0);
    MacAddress.write(this.guard.realMac, out, 6); // DESIGN.md A: never the vMAC
    out.set(this.#tagBytes, 12);
    const at = 12 + this.#tagBytes.length;
    out[at] = etherType >>> 8;
    out[at + 1] = etherType;
    return out;
  }
}
