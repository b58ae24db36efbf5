/**
 * `AfPacketLink`: one Ethernet interface through an AF_PACKET socket with a TPACKET_V3
 * receive ring (Documentation/networking/packet_mmap.rst), walked from JavaScript through
 * one reused DataView: no syscall and no copy per received frame.
 */
import { InvalidArgumentError, MacAddress } from '@switchyard/wire';
import { type BpfInstruction, encodeProgram } from './bpf.js';
import { LinkError, LinkErrorCode } from './errors.js';
import {
  BlockDesc,
  encodePacketMreq,
  encodeSockaddrLl,
  encodeTpacketReq3,
  FanoutFlag,
  FanoutMode,
  fanoutArgument,
  Iovec,
  Mmsghdr,
  Msghdr,
  PacketType,
  Pollfd,
  SockaddrLl,
  SockFprog,
  Tpacket3Hdr,
  TpacketStatsV3,
  TpStatus,
} from './layout.js';
import type { LinkCounters } from './link-types.js';
import { interfaceInfo } from './netdev.js';
import { withNetns } from './netns.js';
import { mainReactor, type ReactorSource } from './reactor.js';
import { C, Errno, fail, libc, type Pointer, pointerAddress } from './sys.js';

/** What the kernel said about one received frame. One object per link, rewritten per frame. */
export interface FrameInfo {
  /** Where the frame starts in the bytes handed to a raw handler (the whole ring). */
  offset: number;
  /** Bytes handed over (tp_snaplen, plus 4 when a stripped VLAN tag was put back). */
  length: number;
  /** Length on the wire (tp_len, same adjustment); larger than `length` when truncated. */
  wireLength: number;
  /** Raw tp_status (TpStatus bits). */
  status: number;
  /** The frame did not fit in a ring block and was cut (`length < wireLength`). */
  truncated: boolean;
  /** TP_STATUS_CSUMNOTREADY: L4 checksum not filled in (local or GRO'd sender); compute it before forwarding. */
  checksumNotReady: boolean;
  /** TP_STATUS_CSUM_VALID: the NIC verified the L4 checksum. */
  checksumValid: boolean;
  /** TP_STATUS_GSO_TCP: an unsegmented TSO/GRO frame (up to 64 KiB). */
  gsoTcp: boolean;
  /** TP_STATUS_VLAN_VALID: the kernel stripped an 802.1Q tag into `vlanTci`. */
  vlanValid: boolean;
  vlanTci: number;
  vlanTpid: number;
  /** True when the stripped tag was written back into the frame bytes (option `vlan: 'reinsert'`). */
  vlanReinserted: boolean;
  /** sll_pkttype: PacketType.HOST, BROADCAST, MULTICAST, OTHERHOST (OUTGOING is never handed over by default). */
  packetType: number;
  /** sll_ifindex of the receiving interface. */
  ifindex: number;
  /** Kernel receive timestamp. */
  sec: number;
  nsec: number;
  /** tp_rxhash (0 unless the NIC or fanout computed one). */
  rxHash: number;
  /** seq_num of the ring block the frame sits in. */
  blockSeq: number;
}

/** A handler that also gets the frame's metadata (valid, like the frame, only during the call). */
export type RingFrameHandler = (frame: Uint8Array, info: Readonly<FrameInfo>) => void;
/** The allocation-free form: the whole ring and the frame's place in it (`info.offset`, `info.length`). */
export type RawFrameHandler = (ring: Uint8Array, info: Readonly<FrameInfo>) => void;

/** Counters of an AfPacketLink: the `Link` ones, then what the ring and the kernel saw. */
export interface AfPacketCounters extends LinkCounters {
  /** Frames this host sent on the interface (PACKET_OUTGOING), skipped. */
  outgoingIgnored: number;
  truncated: number;
  checksumNotReady: number;
  vlanReinserted: number;
  /** Ring blocks walked. */
  blocks: number;
  /** Frames queued by `send` that the kernel refused at flush (ENOBUFS, ...). */
  txErrors: number;
  /** sendmmsg calls. */
  txBatches: number;
  /** PACKET_STATISTICS, accumulated (the kernel resets them on every read): frames seen, including drops. */
  kernelPackets: number;
  /** Frames the kernel dropped because the ring was full. */
  kernelDrops: number;
  /** Times the ring was frozen full. */
  kernelFreezes: number;
  /** Errors the socket reported and the waiter cleared (ENETDOWN when the interface went down). */
  socketErrors: number;
}

export interface RingOptions {
  /** Bytes per block: a multiple of the page size; the largest frame must fit. Default 256 KiB. */
  blockSize?: number;
  /** Blocks; halved (with a warning) while the kernel answers ENOMEM. Default 64. */
  blockCount?: number;
  /** ms after which the kernel hands over a partly filled block. Default 1. */
  retireTimeoutMs?: number;
}

export interface FanoutOptions {
  /** Group id (0-65535) shared by every socket of the group on this interface. */
  group: number;
  /** Default FanoutMode.HASH: all frames of one flow go to the same socket. */
  mode?: FanoutMode;
  /** Reassemble IP fragments before hashing, so fragments follow their flow (FanoutFlag.DEFRAG). */
  defrag?: boolean;
}

export interface AfPacketLinkOptions {
  /** Interface name, e.g. `eth0`. */
  interface: string;
  /** Network namespace (name under /run/netns or a path) to open the socket in. */
  netns?: string;
  ring?: RingOptions;
  fanout?: FanoutOptions;
  /** Classic BPF program (see `buildFilter`) run by the kernel before the ring. */
  filter?: readonly BpfInstruction[];
  /** Unicast MACs to receive besides the interface's own (PACKET_MR_UNICAST), e.g. the vMAC. */
  unicastMacs?: readonly MacAddress[];
  /**
   * PACKET_MR_PROMISC for as long as the socket lives. Default: true without `unicastMacs`
   * (the `Link` contract: every frame reaching the port), false with them.
   */
  promiscuous?: boolean;
  /** Hand over frames this host sent (PACKET_OUTGOING)? Default false. */
  receiveOutgoing?: boolean;
  /** `reinsert` (default) writes a stripped 802.1Q tag back into the frame; `strip` leaves it in `info.vlanTci` only. */
  vlan?: 'reinsert' | 'strip';
  /** Frames queued before `send` flushes with one sendmmsg. Default 64. */
  sendBatch?: number;
  /**
   * `reactor` (default): frames are delivered from this thread's event loop (one async poll
   * for all links). `manual`: the caller calls `drain()`/`wait()`, e.g. a receive worker.
   */
  driver?: 'reactor' | 'manual';
  /** Where warnings go (ring shrunk, promiscuous fallback). Default `process.emitWarning`. */
  onWarning?: (message: string) => void;
}

const DEFAULT_BLOCK_SIZE = 256 * 1024;
const DEFAULT_BLOCK_COUNT = 64;
const FRAME_SIZE = 2048;
const MIN_BLOCKS = 2;
const PAGE = 4096;
/** Ethernet header plus room for two VLAN tags in a send slot. */
const SEND_HEADROOM = 14 + 8;

function defaultWarning(message: string): void {
  process.emitWarning(message, 'SwitchyardLinkWarning');
}

/**
 * Sets up a ring, halving the block count while the kernel answers ENOMEM. `attempt`
 * returns 0 or an errno. Exported for tests: a real ENOMEM needs the machine out of memory.
 */
export function setupRing(
  blockSize: number,
  blockCount: number,
  attempt: (blockSize: number, blockCount: number) => number,
  warn: (message: string) => void,
): number {
  let count = blockCount;
  for (;;) {
    const errno = attempt(blockSize, count);
    if (errno === 0) return count;
    if (errno === Errno.ENOMEM && count > MIN_BLOCKS) {
      const next = Math.max(MIN_BLOCKS, Math.floor(count / 2));
      warn(`receive ring of ${count} x ${blockSize} bytes too large (ENOMEM); retrying with ${next} blocks`);
      count = next;
      continue;
    }
    fail('setsockopt', errno, `PACKET_RX_RING ${count} x ${blockSize} bytes`);
  }
}

/** Where an 802.1Q tag's TPID may sit (for the MTU check on send). */
function isVlanTpid(t: number): boolean {
  return t === 0x8100 || t === 0x88a8 || t === 0x9100;
}

/** Ethernet payload length after the header and any VLAN tags (for the MTU rule). */
export function ethernetPayloadLength(frame: Uint8Array): number {
  let off = 12;
  while (
    off + 2 <= frame.length &&
    isVlanTpid((frame[off]! << 8) | frame[off + 1]!) &&
    off + 6 <= frame.length
  )
    off += 4;
  return frame.length - off - 2;
}

export class AfPacketLink implements ReactorSource {
  readonly name: string;
  readonly ifindex: number;
  readonly mac: MacAddress;
  readonly mtu: number;
  /** Ring geometry actually obtained (the block count may be smaller than asked). */
  readonly ring: {
    readonly blockSize: number;
    readonly blockCount: number;
    readonly retireTimeoutMs: number;
  };
  readonly counters: AfPacketCounters = {
    rxFrames: 0,
    rxBytes: 0,
    txFrames: 0,
    txBytes: 0,
    rxDrops: 0,
    txDrops: 0,
    outgoingIgnored: 0,
    truncated: 0,
    checksumNotReady: 0,
    vlanReinserted: 0,
    blocks: 0,
    txErrors: 0,
    txBatches: 0,
    kernelPackets: 0,
    kernelDrops: 0,
    kernelFreezes: 0,
    socketErrors: 0,
  };

  private _fd: number;
  private _closed = false;
  private releaseDone: (() => void) | undefined;
  private readonly releasedPromise = new Promise<void>((resolve) => {
    this.releaseDone = resolve;
  });
  private readonly driver: 'reactor' | 'manual';
  private readonly warn: (message: string) => void;
  private readonly receiveOutgoing: boolean;
  private readonly reinsertVlan: boolean;
  private handler: RingFrameHandler | undefined;
  private rawHandler: RawFrameHandler | undefined;
  private readonly info: FrameInfo = {
    offset: 0,
    length: 0,
    wireLength: 0,
    status: 0,
    truncated: false,
    checksumNotReady: false,
    checksumValid: false,
    gsoTcp: false,
    vlanValid: false,
    vlanTci: 0,
    vlanTpid: 0,
    vlanReinserted: false,
    packetType: 0,
    ifindex: 0,
    sec: 0,
    nsec: 0,
    rxHash: 0,
    blockSeq: 0,
  };

  // Receive ring.
  private ringPtr: Pointer | undefined;
  private readonly ringBytes: number;
  private readonly u8: Uint8Array;
  private readonly dv: DataView;
  private current = 0;

  // Send staging (native memory: mmsghdr[batch], iovec[batch], slots[batch]).
  private readonly sendBatchSize: number;
  private readonly slotSize: number;
  private txPtr: Pointer | undefined;
  private txBytesTotal = 0;
  private txU8: Uint8Array | undefined;
  private txDv: DataView | undefined;
  private txCount = 0;
  private txFlushScheduled = false;
  private readonly txRetry = () => {
    this.txFlushScheduled = false;
    this.flush();
  };

  private readonly statsBuf = new Uint8Array(TpacketStatsV3.SIZE);
  private readonly statsLen = new Uint8Array(4);
  private readonly pollBuf = new Uint8Array(Pollfd.SIZE * 2);
  private readonly pollDv = new DataView(this.pollBuf.buffer);

  constructor(options: AfPacketLinkOptions) {
    const ring = options.ring ?? {};
    const blockSize = ring.blockSize ?? DEFAULT_BLOCK_SIZE;
    const blockCount = ring.blockCount ?? DEFAULT_BLOCK_COUNT;
    const retireTimeoutMs = ring.retireTimeoutMs ?? 1;
    if (!Number.isInteger(blockSize) || blockSize < PAGE || blockSize % PAGE !== 0 || blockSize > 1 << 30)
      throw new InvalidArgumentError(
        'link',
        'ring.blockSize',
        `needs a multiple of ${PAGE} up to 1 GiB, got ${blockSize}`,
      );
    if (!Number.isInteger(blockCount) || blockCount < MIN_BLOCKS || blockCount * blockSize > 0xffff_ffff)
      throw new InvalidArgumentError(
        'link',
        'ring.blockCount',
        `needs at least ${MIN_BLOCKS} blocks and under 4 GiB in all`,
      );
    if (!Number.isInteger(retireTimeoutMs) || retireTimeoutMs < 0 || retireTimeoutMs > 60_000)
      throw new InvalidArgumentError(
        'link',
        'ring.retireTimeoutMs',
        `needs 0..60000, got ${retireTimeoutMs}`,
      );
    const batch = options.sendBatch ?? 64;
    if (!Number.isInteger(batch) || batch < 1 || batch > 1024)
      throw new InvalidArgumentError('link', 'sendBatch', `needs 1..1024, got ${batch}`);
    const fanout = options.fanout;
    if (
      fanout !== undefined &&
      (!Number.isInteger(fanout.group) || fanout.group < 0 || fanout.group > 0xffff)
    )
      throw new InvalidArgumentError('link', 'fanout.group', `needs 0..65535, got ${fanout.group}`);
    for (const m of options.unicastMacs ?? [])
      if (!MacAddress.isValid(m) || MacAddress.isMulticast(m))
        throw new InvalidArgumentError('link', 'unicastMacs', `not a unicast MAC: ${String(m)}`);
    const filter = options.filter === undefined ? undefined : encodeProgram(options.filter);

    this.driver = options.driver ?? 'reactor';
    this.warn = options.onWarning ?? defaultWarning;
    this.receiveOutgoing = options.receiveOutgoing ?? false;
    this.reinsertVlan = (options.vlan ?? 'reinsert') === 'reinsert';
    this.sendBatchSize = batch;

    const sys = libc();
    let fd = -1;
    let mapped: Pointer | undefined;
    let mappedBytes = 0;
    try {
      const opened = withNetns(options.netns, () => {
        const dev = interfaceInfo(options.interface);
        // Protocol 0: nothing is queued before bind() picks the interface (FIELD-NOTES).
        fd = sys.socket(C.AF_PACKET, C.SOCK_RAW | C.SOCK_CLOEXEC, 0);
        if (fd < 0) fail('socket', sys.errno(), 'AF_PACKET');
        this.setInt(fd, C.SOL_PACKET, C.PACKET_VERSION, C.TPACKET_V3, 'PACKET_VERSION');
        const count = setupRing(
          blockSize,
          blockCount,
          (bs, bc) => {
            const req = encodeTpacketReq3(bs, bc, FRAME_SIZE, retireTimeoutMs);
            if (sys.setsockopt(fd, C.SOL_PACKET, C.PACKET_RX_RING, req, req.length) < 0) return sys.errno();
            const p = sys.mmap(null, bs * bc, C.PROT_READ | C.PROT_WRITE, C.MAP_SHARED, fd, 0);
            if (pointerAddress(p) === -1n) {
              const errno = sys.errno();
              const none = encodeTpacketReq3(0, 0, 0, 0);
              sys.setsockopt(fd, C.SOL_PACKET, C.PACKET_RX_RING, none, none.length);
              return errno;
            }
            mapped = p;
            mappedBytes = bs * bc;
            return 0;
          },
          this.warn,
        );
        if (filter !== undefined) this.attachFilterTo(fd, filter, options.filter!.length);
        const sll = encodeSockaddrLl(C.ETH_P_ALL, dev.index);
        if (sys.bind(fd, sll, sll.length) < 0) fail('bind', sys.errno(), options.interface);
        const unicast = options.unicastMacs ?? [];
        let promiscuous = options.promiscuous ?? unicast.length === 0;
        for (const m of unicast) {
          const mreq = encodePacketMreq(dev.index, C.PACKET_MR_UNICAST, m);
          if (sys.setsockopt(fd, C.SOL_PACKET, C.PACKET_ADD_MEMBERSHIP, mreq, mreq.length) < 0) {
            this.warn(
              `PACKET_MR_UNICAST for ${MacAddress.format(m)} on ${options.interface} failed (errno ${sys.errno()}); falling back to promiscuous mode`,
            );
            promiscuous = true;
          }
        }
        if (promiscuous) {
          const mreq = encodePacketMreq(dev.index, C.PACKET_MR_PROMISC);
          if (sys.setsockopt(fd, C.SOL_PACKET, C.PACKET_ADD_MEMBERSHIP, mreq, mreq.length) < 0)
            fail('setsockopt', sys.errno(), 'PACKET_ADD_MEMBERSHIP PACKET_MR_PROMISC');
        }
        if (fanout !== undefined) {
          const arg = fanoutArgument(
            fanout.group,
            fanout.mode ?? FanoutMode.HASH,
            fanout.defrag ? FanoutFlag.DEFRAG : 0,
          );
          this.setInt(fd, C.SOL_PACKET, C.PACKET_FANOUT, arg, 'PACKET_FANOUT');
        }
        return { dev, count };
      });
      this.name = opened.dev.name;
      this.ifindex = opened.dev.index;
      this.mac = opened.dev.mac;
      this.mtu = opened.dev.mtu;
      this.ring = { blockSize, blockCount: opened.count, retireTimeoutMs };
    } catch (e) {
      if (mapped !== undefined) sys.munmap(mapped, mappedBytes);
      if (fd >= 0) sys.close(fd);
      throw e;
    }
    this._fd = fd;
    this.ringPtr = mapped;
    this.ringBytes = mappedBytes;
    const ab = sys.view(mapped as Pointer, mappedBytes);
    this.u8 = new Uint8Array(ab);
    this.dv = new DataView(ab);
    this.slotSize = Math.ceil((this.mtu + SEND_HEADROOM) / 64) * 64;
    this.statsLen.set([TpacketStatsV3.SIZE, 0, 0, 0]);
    if (this.driver === 'reactor') mainReactor().add(this);
  }

  /** The packet socket's fd (for a caller's own poll set). -1 after close. */
  get fd(): number {
    return this._fd;
  }

  get closed(): boolean {
    return this._closed;
  }

  /** Sets the handler; it gets each frame as a view into the ring, valid until it returns. */
  onReceive(handler: RingFrameHandler | undefined): void {
    this.handler = handler;
    this.rawHandler = undefined;
  }

  /** Sets an allocation-free handler: (the whole ring, info with offset and length). Replaces `onReceive`'s. */
  onReceiveRaw(handler: RawFrameHandler | undefined): void {
    this.rawHandler = handler;
    this.handler = undefined;
  }

  /** Walks up to `maxBlocks` ready ring blocks, handing their frames over; returns frames walked. Never blocks. */
  drain(maxBlocks = this.ring.blockCount): number {
    const dv = this.dv;
    const blockSize = this.ring.blockSize;
    let frames = 0;
    for (let n = 0; n < maxBlocks && !this._closed; n++) {
      const b = this.current * blockSize;
      if ((dv.getUint32(b + BlockDesc.block_status, true) & TpStatus.USER) === 0) break;
      const count = dv.getUint32(b + BlockDesc.num_pkts, true);
      this.info.blockSeq =
        dv.getUint32(b + BlockDesc.seq_num, true) + dv.getUint32(b + BlockDesc.seq_num + 4, true) * 2 ** 32;
      let off = b + dv.getUint32(b + BlockDesc.offset_to_first_pkt, true);
      try {
        for (let i = 0; i < count; i++) {
          this.frame(off);
          off += dv.getUint32(off + Tpacket3Hdr.tp_next_offset, true);
        }
      } finally {
        // Give the block back (x86/arm64 stores to the shared page are seen by the kernel in order
        // after our reads; a handler that threw loses the rest of its block, not the ring).
        if (!this._closed) dv.setUint32(b + BlockDesc.block_status, TpStatus.KERNEL, true);
        if (++this.current === this.ring.blockCount) this.current = 0;
        this.counters.blocks++;
      }
      frames += count;
    }
    if (this.txCount > 0) this.flush();
    return frames;
  }

  private frame(off: number): void {
    const dv = this.dv;
    const u8 = this.u8;
    const c = this.counters;
    const pktType = u8[off + Tpacket3Hdr.SOCKADDR_LL + SockaddrLl.sll_pkttype]!;
    if (pktType === PacketType.OUTGOING && !this.receiveOutgoing) {
      c.outgoingIgnored++;
      return;
    }
    const handler = this.handler;
    const raw = this.rawHandler;
    if (handler === undefined && raw === undefined) {
      c.rxDrops++;
      return;
    }
    const info = this.info;
    const status = dv.getUint32(off + Tpacket3Hdr.tp_status, true);
    let mac = off + dv.getUint16(off + Tpacket3Hdr.tp_mac, true);
    let length = dv.getUint32(off + Tpacket3Hdr.tp_snaplen, true);
    let wireLength = dv.getUint32(off + Tpacket3Hdr.tp_len, true);
    const vlanValid = (status & TpStatus.VLAN_VALID) !== 0;
    info.vlanValid = vlanValid;
    info.vlanReinserted = false;
    if (vlanValid) {
      info.vlanTci = dv.getUint32(off + Tpacket3Hdr.tp_vlan_tci, true) & 0xffff;
      info.vlanTpid =
        (status & TpStatus.VLAN_TPID_VALID) !== 0
          ? dv.getUint16(off + Tpacket3Hdr.tp_vlan_tpid, true)
          : 0x8100;
      // The gap between sockaddr_ll and the frame (tp_mac) has room for the 4-byte tag.
      if (this.reinsertVlan && length >= 12 && mac - 4 >= off + Tpacket3Hdr.SOCKADDR_LL + SockaddrLl.SIZE) {
        u8.copyWithin(mac - 4, mac, mac + 12);
        dv.setUint16(mac + 8, info.vlanTpid, false);
        dv.setUint16(mac + 10, info.vlanTci, false);
        mac -= 4;
        length += 4;
        wireLength += 4;
        info.vlanReinserted = true;
        c.vlanReinserted++;
      }
    } else {
      info.vlanTci = 0;
      info.vlanTpid = 0;
    }
    info.offset = mac;
    info.length = length;
    info.wireLength = wireLength;
    info.status = status;
    // TPACKET_V3 clamps a frame larger than a block without TP_STATUS_COPY: compare the lengths.
    info.truncated = length < wireLength || (status & TpStatus.COPY) !== 0;
    info.checksumNotReady = (status & TpStatus.CSUMNOTREADY) !== 0;
    info.checksumValid = (status & TpStatus.CSUM_VALID) !== 0;
    info.gsoTcp = (status & TpStatus.GSO_TCP) !== 0;
    info.packetType = pktType;
    info.ifindex = dv.getInt32(off + Tpacket3Hdr.SOCKADDR_LL + SockaddrLl.sll_ifindex, true);
    info.sec = dv.getUint32(off + Tpacket3Hdr.tp_sec, true);
    info.nsec = dv.getUint32(off + Tpacket3Hdr.tp_nsec, true);
    info.rxHash = dv.getUint32(off + Tpacket3Hdr.tp_rxhash, true);
    c.rxFrames++;
    c.rxBytes += length;
    if (info.truncated) c.truncated++;
    if (info.checksumNotReady) c.checksumNotReady++;
    if (raw !== undefined) raw(u8, info);
    else handler!(u8.subarray(mac, mac + length), info);
  }

  /**
   * Blocks up to `timeoutMs` (-1: forever) until the ring has a ready block or `wakeFd`
   * (an eventfd, -1 for none) is readable. Returns 'ready', 'woken' or 'timeout'. For
   * `manual` drivers in worker threads: never call it on the main thread.
   */
  wait(timeoutMs: number, wakeFd = -1): 'ready' | 'woken' | 'timeout' {
    if (this._closed) throw new LinkError(LinkErrorCode.CLOSED, 'link is closed');
    const b = this.current * this.ring.blockSize;
    if ((this.dv.getUint32(b + BlockDesc.block_status, true) & TpStatus.USER) !== 0) return 'ready';
    const sys = libc();
    const dv = this.pollDv;
    dv.setInt32(Pollfd.fd, this._fd, true);
    dv.setInt16(Pollfd.events, C.POLLIN, true);
    dv.setInt16(Pollfd.revents, 0, true);
    dv.setInt32(Pollfd.SIZE + Pollfd.fd, wakeFd, true);
    dv.setInt16(Pollfd.SIZE + Pollfd.events, C.POLLIN, true);
    dv.setInt16(Pollfd.SIZE + Pollfd.revents, 0, true);
    const n = sys.poll(this.pollBuf, wakeFd >= 0 ? 2 : 1, timeoutMs);
    if (n < 0) {
      const errno = sys.errno();
      if (errno === Errno.EINTR) return 'timeout';
      fail('poll', errno);
    }
    // An interface that went down leaves ENETDOWN pending (POLLERR): clear it, or every wait returns at once.
    if (n > 0 && (dv.getInt16(Pollfd.revents, true) & C.POLLERR) !== 0) this.pollError();
    if (n > 0 && wakeFd >= 0 && dv.getInt16(Pollfd.SIZE + Pollfd.revents, true) !== 0) return 'woken';
    return n > 0 ? 'ready' : 'timeout';
  }

  /** ReactorSource: the fd is readable. */
  ready(): void {
    this.drain();
  }

  /** The errno of the last socket error poll reported (ENETDOWN: the interface went down), 0 if none. */
  lastSocketError = 0;
  private readonly errBuf = new Uint8Array(4);
  private readonly errLen = new Uint8Array(4);

  /** ReactorSource: poll reported POLLERR; reading SO_ERROR clears it (else poll keeps returning at once). */
  pollError(): void {
    if (this._closed) return;
    this.errLen.set([4, 0, 0, 0]);
    if (libc().getsockopt(this._fd, C.SOL_SOCKET, C.SO_ERROR, this.errBuf, this.errLen) < 0) return;
    const errno = new DataView(this.errBuf.buffer).getInt32(0, true);
    if (errno !== 0) {
      this.counters.socketErrors++;
      this.lastSocketError = errno;
    }
  }

  /**
   * Queues one frame (copied at once, so the caller may reuse its buffer) for the next
   * sendmmsg; the queue is flushed when full, after each drain, and at the end of the
   * current microtask checkpoint. Returns false (counting txDrops) when closed, for a runt,
   * for a payload over the MTU, or when the queue is full and the kernel takes nothing.
   */
  send(frame: Uint8Array): boolean {
    const c = this.counters;
    if (
      this._closed ||
      frame.length < 14 ||
      ethernetPayloadLength(frame) > this.mtu ||
      frame.length > this.slotSize
    ) {
      c.txDrops++;
      return false;
    }
    if (this.txCount === this.sendBatchSize) {
      this.flush();
      if (this.txCount === this.sendBatchSize) {
        c.txDrops++;
        return false;
      }
    }
    if (this.txU8 === undefined) this.allocateTx();
    const i = this.txCount++;
    const tx = this.txU8!;
    tx.set(frame, this.slotOffset(i));
    this.txDv!.setBigUint64(
      this.sendBatchSize * Mmsghdr.SIZE + i * Iovec.SIZE + Iovec.iov_len,
      BigInt(frame.length),
      true,
    );
    c.txFrames++;
    c.txBytes += frame.length;
    if (!this.txFlushScheduled) {
      this.txFlushScheduled = true;
      queueMicrotask(this.txRetry);
    }
    return true;
  }

  /** Queues each frame (see `send`); returns how many were accepted. */
  sendBatch(frames: readonly Uint8Array[]): number {
    let n = 0;
    for (const f of frames) if (this.send(f)) n++;
    return n;
  }

  /** Sends what is queued now (one sendmmsg per call, MSG_DONTWAIT); returns frames the kernel took. */
  flush(): number {
    if (this.txCount === 0 || this._closed) return 0;
    const sys = libc();
    const tx = this.txU8!;
    const r = sys.sendmmsg(this._fd, tx, this.txCount, C.MSG_DONTWAIT);
    this.counters.txBatches++;
    if (r < 0) {
      const errno = sys.errno();
      if (errno === Errno.EAGAIN || errno === Errno.ENOBUFS || errno === Errno.EINTR) {
        if (!this.txFlushScheduled) {
          this.txFlushScheduled = true;
          setImmediate(this.txRetry); // the device queue is full: try again after I/O ran
        }
        return 0;
      }
      // A frame the kernel refuses outright (e.g. ENETDOWN): drop the batch, count it.
      this.counters.txErrors += this.txCount;
      this.txCount = 0;
      return 0;
    }
    if (r < this.txCount) {
      // Move the unsent tail to the front, keeping order.
      const left = this.txCount - r;
      const dv = this.txDv!;
      for (let i = 0; i < left; i++) {
        const len = Number(dv.getBigUint64(this.iovOffset(r + i) + Iovec.iov_len, true));
        tx.copyWithin(this.slotOffset(i), this.slotOffset(r + i), this.slotOffset(r + i) + len);
        dv.setBigUint64(this.iovOffset(i) + Iovec.iov_len, BigInt(len), true);
      }
      this.txCount = left;
      if (!this.txFlushScheduled) {
        this.txFlushScheduled = true;
        setImmediate(this.txRetry);
      }
    } else {
      this.txCount = 0;
    }
    return r;
  }

  private iovOffset(i: number): number {
    return this.sendBatchSize * Mmsghdr.SIZE + i * Iovec.SIZE;
  }

  private slotOffset(i: number): number {
    return this.sendBatchSize * (Mmsghdr.SIZE + Iovec.SIZE) + i * this.slotSize;
  }

  private allocateTx(): void {
    const sys = libc();
    const bytes = Math.ceil(this.slotOffset(this.sendBatchSize) / PAGE) * PAGE;
    const p = sys.mmap(null, bytes, C.PROT_READ | C.PROT_WRITE, C.MAP_PRIVATE | C.MAP_ANONYMOUS, -1, 0);
    const base = pointerAddress(p);
    if (base === -1n) fail('mmap', sys.errno(), 'send buffers');
    this.txPtr = p;
    this.txBytesTotal = bytes;
    const ab = sys.view(p, bytes);
    this.txU8 = new Uint8Array(ab);
    const dv = new DataView(ab);
    this.txDv = dv;
    for (let i = 0; i < this.sendBatchSize; i++) {
      const m = i * Mmsghdr.SIZE + Mmsghdr.msg_hdr;
      dv.setBigUint64(m + Msghdr.msg_iov, base + BigInt(this.iovOffset(i)), true);
      dv.setBigUint64(m + Msghdr.msg_iovlen, 1n, true);
      dv.setBigUint64(this.iovOffset(i) + Iovec.iov_base, base + BigInt(this.slotOffset(i)), true);
    }
  }

  /** Reads PACKET_STATISTICS (which the kernel resets) into the accumulated counters. */
  refreshStatistics(): Readonly<AfPacketCounters> {
    if (this._closed) return this.counters;
    const sys = libc();
    this.statsLen.set([TpacketStatsV3.SIZE, 0, 0, 0]);
    if (sys.getsockopt(this._fd, C.SOL_PACKET, C.PACKET_STATISTICS, this.statsBuf, this.statsLen) < 0)
      fail('getsockopt', sys.errno(), 'PACKET_STATISTICS');
    const dv = new DataView(this.statsBuf.buffer);
    this.counters.kernelPackets += dv.getUint32(TpacketStatsV3.tp_packets, true);
    this.counters.kernelDrops += dv.getUint32(TpacketStatsV3.tp_drops, true);
    this.counters.kernelFreezes += dv.getUint32(TpacketStatsV3.tp_freeze_q_cnt, true);
    return this.counters;
  }

  /** Replaces the socket filter (undefined removes it). */
  setFilter(program: readonly BpfInstruction[] | undefined): void {
    if (this._closed) throw new LinkError(LinkErrorCode.CLOSED, 'link is closed');
    if (program === undefined) {
      const zero = new Uint8Array(4);
      if (libc().setsockopt(this._fd, C.SOL_SOCKET, C.SO_DETACH_FILTER, zero, 4) < 0) {
        const errno = libc().errno();
        if (errno !== Errno.ENOENT) fail('setsockopt', errno, 'SO_DETACH_FILTER');
      }
      return;
    }
    this.attachFilterTo(this._fd, encodeProgram(program), program.length);
  }

  /** Adds (or with `add = false` removes) a unicast MAC to receive (PACKET_MR_UNICAST). */
  setUnicastMembership(mac: MacAddress, add = true): void {
    if (this._closed) throw new LinkError(LinkErrorCode.CLOSED, 'link is closed');
    if (!MacAddress.isValid(mac) || MacAddress.isMulticast(mac))
      throw new InvalidArgumentError('link', 'mac', `not a unicast MAC: ${String(mac)}`);
    const mreq = encodePacketMreq(this.ifindex, C.PACKET_MR_UNICAST, mac);
    const opt = add ? C.PACKET_ADD_MEMBERSHIP : C.PACKET_DROP_MEMBERSHIP;
    if (libc().setsockopt(this._fd, C.SOL_PACKET, opt, mreq, mreq.length) < 0)
      fail('setsockopt', libc().errno(), add ? 'PACKET_ADD_MEMBERSHIP' : 'PACKET_DROP_MEMBERSHIP');
  }

  /**
   * Stops sending and receiving; idempotent. Flushes queued frames, reads the last
   * statistics, then releases the ring and the socket (with the reactor driver, as soon as
   * the poll watching the fd has returned: never a poll on a closed fd). The ring's address
   * range is replaced by zero pages rather than left unmapped, so a frame view kept past its
   * handler (a bug) reads zeros instead of crashing the process.
   */
  close(): void {
    if (this._closed) return;
    this.flush();
    this.refreshStatistics();
    this._closed = true;
    this.txCount = 0;
    {
      const resolve = this.releaseDone!;
      const release = () => {
        this.release();
        resolve();
      };
      if (this.driver === 'reactor') mainReactor().remove(this, release);
      else release();
    }
  }

  /** Resolves after `close` has released the socket and the ring (at once for `manual` drivers). */
  released(): Promise<void> {
    return this.releasedPromise;
  }

  private release(): void {
    const sys = libc();
    if (this.ringPtr !== undefined) {
      sys.mmap(
        this.ringPtr,
        this.ringBytes,
        C.PROT_READ | C.PROT_WRITE,
        C.MAP_PRIVATE | C.MAP_ANONYMOUS | C.MAP_FIXED | C.MAP_NORESERVE,
        -1,
        0,
      );
      this.ringPtr = undefined;
    }
    if (this.txPtr !== undefined) {
      // Nothing outside this object ever sees the send buffers: unmap for real.
      this.txU8 = undefined;
      this.txDv = undefined;
      sys.munmap(this.txPtr, this.txBytesTotal);
      this.txPtr = undefined;
    }
    if (this._fd >= 0) sys.close(this._fd);
    this._fd = -1;
  }

  private setInt(fd: number, level: number, name: number, value: number, what: string): void {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setInt32(0, value, true);
    if (libc().setsockopt(fd, level, name, b, 4) < 0) fail('setsockopt', libc().errno(), what);
  }

  private attachFilterTo(fd: number, program: Uint8Array, length: number): void {
    // sock_fprog holds a pointer: keep the instructions in native memory for the call.
    const sys = libc();
    const p = sys.mmap(
      null,
      PAGE * Math.ceil(program.length / PAGE),
      C.PROT_READ | C.PROT_WRITE,
      C.MAP_PRIVATE | C.MAP_ANONYMOUS,
      -1,
      0,
    );
    const addr = pointerAddress(p);
    if (addr === -1n) fail('mmap', sys.errno(), 'filter');
    const bytes = PAGE * Math.ceil(program.length / PAGE);
    try {
      new Uint8Array(sys.view(p, bytes)).set(program);
      const fprog = new Uint8Array(SockFprog.SIZE);
      const dv = new DataView(fprog.buffer);
      dv.setUint16(SockFprog.len, length, true);
      dv.setBigUint64(SockFprog.filter, addr, true);
      if (sys.setsockopt(fd, C.SOL_SOCKET, C.SO_ATTACH_FILTER, fprog, fprog.length) < 0)
        fail('setsockopt', sys.errno(), 'SO_ATTACH_FILTER');
    } finally {
      sys.munmap(p, bytes);
    }
  }
}
