/**
 * Byte offsets of the kernel structs this package reads and writes, as data (smoltcp's
 * `field` tables). LP64 Linux, little-endian. Each table is checked against the kernel's
 * behaviour in test/layout.netns.test.ts (a frame sent on a veth lands at the offsets
 * read here; an ioctl returns the ifindex `ip link` shows; ...), not against itself.
 *
 * Sources: linux/if_packet.h, linux/if.h, linux/filter.h, bits/socket.h;
 * Documentation/networking/packet_mmap.rst.
 */

/** struct tpacket_req3 (PACKET_RX_RING argument for TPACKET_V3). */
export const TpacketReq3 = {
  tp_block_size: 0,
  tp_block_nr: 4,
  tp_frame_size: 8,
  tp_frame_nr: 12,
  tp_retire_blk_tov: 16,
  tp_sizeof_priv: 20,
  tp_feature_req_word: 24,
  SIZE: 28,
} as const;

/** struct tpacket_block_desc with its struct tpacket_hdr_v1 (start of every ring block). */
export const BlockDesc = {
  version: 0,
  offset_to_priv: 4,
  block_status: 8,
  num_pkts: 12,
  offset_to_first_pkt: 16,
  blk_len: 20,
  seq_num: 24,
  ts_first_pkt_sec: 32,
  ts_first_pkt_nsec: 36,
  ts_last_pkt_sec: 40,
  ts_last_pkt_nsec: 44,
  SIZE: 48,
} as const;

/** struct tpacket3_hdr (one per frame inside a block); a struct sockaddr_ll follows at `SOCKADDR_LL`. */
export const Tpacket3Hdr = {
  tp_next_offset: 0,
  tp_sec: 4,
  tp_nsec: 8,
  tp_snaplen: 12,
  tp_len: 16,
  tp_status: 20,
  tp_mac: 24,
  tp_net: 26,
  tp_rxhash: 28,
  tp_vlan_tci: 32,
  tp_vlan_tpid: 36,
  SIZE: 48,
  /** TPACKET_ALIGN(sizeof(struct tpacket3_hdr)): where the kernel writes the frame's sockaddr_ll. */
  SOCKADDR_LL: 48,
} as const;

/** struct sockaddr_ll. */
export const SockaddrLl = {
  sll_family: 0,
  sll_protocol: 2,
  sll_ifindex: 4,
  sll_hatype: 8,
  sll_pkttype: 10,
  sll_halen: 11,
  sll_addr: 12,
  SIZE: 20,
} as const;

/** struct packet_mreq (PACKET_ADD_MEMBERSHIP). */
export const PacketMreq = { mr_ifindex: 0, mr_type: 4, mr_alen: 6, mr_address: 8, SIZE: 16 } as const;

/** struct tpacket_stats_v3 (PACKET_STATISTICS on a TPACKET_V3 socket). */
export const TpacketStatsV3 = { tp_packets: 0, tp_drops: 4, tp_freeze_q_cnt: 8, SIZE: 12 } as const;

/** struct sock_filter (one classic BPF instruction). */
export const SockFilter = { code: 0, jt: 2, jf: 3, k: 4, SIZE: 8 } as const;

/** struct sock_fprog (SO_ATTACH_FILTER argument). */
export const SockFprog = { len: 0, filter: 8, SIZE: 16 } as const;

/** struct ifreq: a 16-byte name, then a 24-byte union (flags, ifindex, mtu, hwaddr, addr). */
export const Ifreq = {
  ifr_name: 0,
  IFNAMSIZ: 16,
  ifr_flags: 16,
  ifr_ifindex: 16,
  ifr_mtu: 16,
  /** struct sockaddr: sa_family at +0, sa_data (the MAC for ARPHRD_ETHER) at +2. */
  ifr_hwaddr: 16,
  /** struct sockaddr_in: sin_family at +0, sin_port at +2, sin_addr at +4. */
  ifr_addr: 16,
  SIZE: 40,
} as const;

/** struct iovec. */
export const Iovec = { iov_base: 0, iov_len: 8, SIZE: 16 } as const;

/** struct msghdr. */
export const Msghdr = {
  msg_name: 0,
  msg_namelen: 8,
  msg_iov: 16,
  msg_iovlen: 24,
  msg_control: 32,
  msg_controllen: 40,
  msg_flags: 48,
  SIZE: 56,
} as const;

/** struct mmsghdr: a msghdr, then the byte count the kernel fills in. */
export const Mmsghdr = { msg_hdr: 0, msg_len: 56, SIZE: 64 } as const;

/** struct pollfd. */
export const Pollfd = { fd: 0, events: 4, revents: 6, SIZE: 8 } as const;

/** tp_status / block_status bits (linux/if_packet.h). */
export const TpStatus = {
  KERNEL: 0,
  USER: 1 << 0,
  /** The frame was truncated to fit (tp_snaplen < tp_len). */
  COPY: 1 << 1,
  LOSING: 1 << 2,
  /** Checksum not filled in yet (CHECKSUM_PARTIAL: a local or GRO'd sender). */
  CSUMNOTREADY: 1 << 3,
  VLAN_VALID: 1 << 4,
  BLK_TMO: 1 << 5,
  VLAN_TPID_VALID: 1 << 6,
  CSUM_VALID: 1 << 7,
  GSO_TCP: 1 << 8,
} as const;

/** sll_pkttype values. */
export const PacketType = {
  HOST: 0,
  BROADCAST: 1,
  MULTICAST: 2,
  OTHERHOST: 3,
  OUTGOING: 4,
} as const;
export type PacketType = (typeof PacketType)[keyof typeof PacketType] | number;

/** PACKET_FANOUT modes (linux/if_packet.h). */
export const FanoutMode = {
  HASH: 0,
  LB: 1,
  CPU: 2,
  ROLLOVER: 3,
  RND: 4,
  QM: 5,
} as const;
export type FanoutMode = (typeof FanoutMode)[keyof typeof FanoutMode] | number;

/** PACKET_FANOUT flags, or'ed into the mode. */
export const FanoutFlag = {
  ROLLOVER: 0x1000,
  UNIQUEID: 0x2000,
  DEFRAG: 0x8000,
} as const;

/** The PACKET_FANOUT argument: group id in the low 16 bits, mode and flags above. */
export function fanoutArgument(group: number, mode: number, flags = 0): number {
  return (group & 0xffff) | ((mode | flags) << 16);
}

/** The struct tpacket_req3 for a ring of `blockCount` blocks of `blockSize` bytes. */
export function encodeTpacketReq3(
  blockSize: number,
  blockCount: number,
  frameSize: number,
  retireTimeoutMs: number,
): Uint8Array {
  const b = new Uint8Array(TpacketReq3.SIZE);
  const dv = new DataView(b.buffer);
  dv.setUint32(TpacketReq3.tp_block_size, blockSize, true);
  dv.setUint32(TpacketReq3.tp_block_nr, blockCount, true);
  dv.setUint32(TpacketReq3.tp_frame_size, frameSize, true);
  // For TPACKET_V3 frames are variable-sized; the kernel still checks this product.
  dv.setUint32(TpacketReq3.tp_frame_nr, (blockSize / frameSize) * blockCount, true);
  dv.setUint32(TpacketReq3.tp_retire_blk_tov, retireTimeoutMs, true);
  dv.setUint32(TpacketReq3.tp_sizeof_priv, 0, true);
  dv.setUint32(TpacketReq3.tp_feature_req_word, 0, true);
  return b;
}

/** A struct sockaddr_ll for bind(): family AF_PACKET, protocol (host order in, network order out), ifindex. */
export function encodeSockaddrLl(protocol: number, ifindex: number): Uint8Array {
  const b = new Uint8Array(SockaddrLl.SIZE);
  const dv = new DataView(b.buffer);
  dv.setUint16(SockaddrLl.sll_family, 17, true);
  dv.setUint16(SockaddrLl.sll_protocol, protocol, false);
  dv.setInt32(SockaddrLl.sll_ifindex, ifindex, true);
  return b;
}

/** A struct packet_mreq; `mac` (48-bit) only for PACKET_MR_UNICAST/MULTICAST. */
export function encodePacketMreq(ifindex: number, type: number, mac?: number): Uint8Array {
  const b = new Uint8Array(PacketMreq.SIZE);
  const dv = new DataView(b.buffer);
  dv.setInt32(PacketMreq.mr_ifindex, ifindex, true);
  dv.setUint16(PacketMreq.mr_type, type, true);
  if (mac !== undefined) {
    dv.setUint16(PacketMreq.mr_alen, 6, true);
    dv.setUint16(PacketMreq.mr_address, Math.floor(mac / 2 ** 32), false);
    dv.setUint32(PacketMreq.mr_address + 2, mac >>> 0, false);
  }
  return b;
}

/** A struct ifreq with `name` filled in (NUL-terminated, at most IFNAMSIZ-1 bytes). */
export function encodeIfreq(name: string): Uint8Array {
  const b = new Uint8Array(Ifreq.SIZE);
  b.set(new TextEncoder().encode(name).subarray(0, Ifreq.IFNAMSIZ - 1), Ifreq.ifr_name);
  return b;
}

/** The interface name an ifreq holds (what the kernel wrote back, e.g. after TUNSETIFF `tap%d`). */
export function decodeIfreqName(b: Uint8Array): string {
  const end = b.indexOf(0, Ifreq.ifr_name);
  return new TextDecoder().decode(
    b.subarray(Ifreq.ifr_name, end < 0 || end > Ifreq.IFNAMSIZ ? Ifreq.IFNAMSIZ : end),
  );
}
