/**
 * Types for the pure-JS decoder of the npm `pcap` package (3.1.0), `pcap/decode`, which
 * ships untyped (its `pcap.d.ts` types the decoder as `any`). Only what the codec
 * benchmark reads is declared; field names are the package's own.
 */
declare module 'pcap/decode' {
  /** What a node_pcap session hands to `decode`: the frame and its 16-byte pcap record header. */
  export interface PacketWithHeader {
    buf: Buffer;
    /** ts_sec, ts_usec, caplen, len: four little-endian uint32s. */
    header: Buffer;
    link_type:
      | 'LINKTYPE_ETHERNET'
      | 'LINKTYPE_NULL'
      | 'LINKTYPE_RAW'
      | 'LINKTYPE_IEEE802_11_RADIO'
      | 'LINKTYPE_LINUX_SLL';
  }

  export interface AddressBytes {
    /** One number per address byte (4 for IPv4, 16 for IPv6, 6 for a MAC). */
    addr: number[];
  }

  export interface TcpFlags {
    nonce: boolean;
    cwr: boolean;
    ece: boolean;
    urg: boolean;
    ack: boolean;
    psh: boolean;
    rst: boolean;
    syn: boolean;
    fin: boolean;
  }

  export interface Tcp {
    sport: number;
    dport: number;
    seqno: number;
    ackno: number;
    headerLength: number;
    flags: TcpFlags;
    windowSize: number;
    dataLength: number;
  }

  export interface Udp {
    sport: number;
    dport: number;
    length: number;
  }

  export interface Ipv4 {
    version: number;
    headerLength: number;
    length: number;
    protocol: number;
    ttl: number;
    saddr: AddressBytes;
    daddr: AddressBytes;
    /** `Tcp`, `Udp`, ICMP, ...; undefined for a protocol it does not decode. */
    payload: unknown;
  }

  export interface Ipv6 {
    version: number;
    nextHeader: number;
    payloadLength: number;
    hopLimit: number;
    saddr: AddressBytes;
    daddr: AddressBytes;
    payload: unknown;
  }

  export interface Arp {
    htype: number;
    ptype: number;
    operation: number;
    sender_ha?: AddressBytes;
    sender_pa?: AddressBytes;
    target_ha?: AddressBytes;
    target_pa?: AddressBytes;
  }

  export class EthernetPacket {
    constructor(emitter?: unknown);
    dhost: AddressBytes;
    shost: AddressBytes;
    /** The EtherType after one 802.1Q tag, or 0 for an 802.3 length. */
    ethertype: number;
    vlan: { priority: number; canonical_format: number; id: number } | null;
    /** `Ipv4`, `Ipv6` or `Arp` by `ethertype`. */
    payload: unknown;
    decode(raw: Buffer, offset: number): this;
  }

  export class PcapPacket {
    constructor(emitter?: unknown);
    link_type: string;
    pcap_header: { tv_sec: number; tv_usec: number; caplen: number; len: number };
    payload: EthernetPacket | null;
    decode(packet: PacketWithHeader, options?: unknown): this;
  }

  /** `pcap.decode` / `pcap.decode.packet`: `new PcapPacket(emitter).decode(packet, options)`. */
  export function decode(packet: PacketWithHeader, emitter?: unknown, options?: unknown): PcapPacket;
}
