/**
 * `TapLink`: a TAP device (Documentation/networking/tuntap.rst) as a `Link`. Frames written
 * to it enter the local kernel as if received on an Ethernet port; frames the kernel
 * transmits on it are read back. Opened IFF_TAP|IFF_NO_PI and non-blocking; reads are
 * driven by poll (the reactor, or `wait()` in a worker) and taken in batches until EAGAIN.
 */
import { InvalidArgumentError, type Ipv4Address, MacAddress } from '@switchyard/wire';
import { ethernetPayloadLength } from './af-packet.js';
import { LinkError, LinkErrorCode } from './errors.js';
import { decodeIfreqName, encodeIfreq, Ifreq, Pollfd } from './layout.js';
import type { FrameHandler, LinkCounters } from './link-types.js';
import { checkInterfaceName, configureInterface, interfaceInfo } from './netdev.js';
import { withNetns } from './netns.js';
import { mainReactor, type ReactorSource } from './reactor.js';
import { C, Errno, fail, libc } from './sys.js';

export interface TapLinkOptions {
  /** Device name; created if missing, attached if it exists (persistent). Default: the kernel picks `tap%d`. */
  name?: string;
  /** Network namespace (name under /run/netns or a path) to create the device in. */
  netns?: string;
  mtu?: number;
  /** MAC of the kernel's side (the interface), set with SIOCSIFHWADDR. */
  interfaceMac?: MacAddress;
  /**
   * MAC of this end, the station on the user-space side of the virtual cable: the source of
   * frames written in, the destination the kernel sends to. Default: the interface MAC with
   * the last bit flipped.
   */
  mac?: MacAddress;
  /** An IPv4 address for the device (SIOCSIFADDR + SIOCSIFNETMASK). */
  ipv4?: { address: Ipv4Address; prefixLength: number };
  /** Bring the device up (default true). */
  up?: boolean;
  /** TUNSETPERSIST: the device (and its address) outlives this process. Default false. */
  persist?: boolean;
  /** Frames read per readiness before yielding to the event loop. Default 256. */
  readBatch?: number;
  /** See AfPacketLinkOptions.driver. */
  driver?: 'reactor' | 'manual';
}

/** Counters of a TapLink. */
export interface TapCounters extends LinkCounters {
  /** Writes the kernel refused (EIO when the device is down, ...). */
  txErrors: number;
  /** read() calls that returned a frame. */
  reads: number;
}

/** Largest frame a TAP hands over without IFF_VNET_HDR offloads: 64 KiB is always enough. */
const READ_BUFFER = 65536;

export class TapLink implements ReactorSource {
  readonly name: string;
  /** This end's station MAC (see TapLinkOptions.mac). */
  readonly mac: MacAddress;
  /** The kernel interface's MAC: the destination of frames written in. */
  readonly interfaceMac: MacAddress;
  readonly mtu: number;
  readonly netns: string | undefined;
  readonly counters: TapCounters = {
    rxFrames: 0,
    rxBytes: 0,
    txFrames: 0,
    txBytes: 0,
    rxDrops: 0,
    txDrops: 0,
    txErrors: 0,
    reads: 0,
  };
  private _fd: number;
  private _closed = false;
  private releaseDone: (() => void) | undefined;
  private readonly releasedPromise = new Promise<void>((resolve) => {
    this.releaseDone = resolve;
  });
  private handler: FrameHandler | undefined;
  private readonly driver: 'reactor' | 'manual';
  private readonly readBatch: number;
  private readonly buf = new Uint8Array(READ_BUFFER);
  private readonly pollBuf = new Uint8Array(Pollfd.SIZE * 2);

  constructor(options: TapLinkOptions = {}) {
    if (options.name !== undefined) checkInterfaceName(options.name);
    if (
      options.mac !== undefined &&
      (!MacAddress.isValid(options.mac) || MacAddress.isMulticast(options.mac))
    )
      throw new InvalidArgumentError('link', 'mac', 'needs a unicast 48-bit MAC');
    const readBatch = options.readBatch ?? 256;
    if (!Number.isInteger(readBatch) || readBatch < 1)
      throw new InvalidArgumentError('link', 'readBatch', `needs a positive integer, got ${readBatch}`);
    this.readBatch = readBatch;
    this.driver = options.driver ?? 'reactor';
    this.netns = options.netns;
    const sys = libc();
    let fd = -1;
    try {
      const opened = withNetns(options.netns, () => {
        fd = sys.open('/dev/net/tun', C.O_RDWR | C.O_NONBLOCK | C.O_CLOEXEC);
        if (fd < 0) fail('open', sys.errno(), '/dev/net/tun');
        const req = encodeIfreq(options.name ?? 'tap%d');
        new DataView(req.buffer).setUint16(Ifreq.ifr_flags, C.IFF_TAP | C.IFF_NO_PI, true);
        if (sys.ioctl(fd, C.TUNSETIFF, req) < 0) {
          const errno = sys.errno();
          if (errno === Errno.EPERM || errno === Errno.EACCES)
            fail('ioctl', errno, 'TUNSETIFF: creating a TAP needs CAP_NET_ADMIN');
          fail('ioctl', errno, 'TUNSETIFF');
        }
        const name = decodeIfreqName(req);
        if (options.persist !== undefined) {
          // TUNSETPERSIST takes its argument by value, not by pointer.
          if (sys.ioctlValue(fd, C.TUNSETPERSIST, options.persist ? 1 : 0) < 0)
            fail('ioctl', sys.errno(), 'TUNSETPERSIST');
        }
        const settings: Parameters<typeof configureInterface>[1] = { up: options.up ?? true };
        if (options.interfaceMac !== undefined) settings.mac = options.interfaceMac;
        if (options.mtu !== undefined) settings.mtu = options.mtu;
        if (options.ipv4 !== undefined) settings.ipv4 = options.ipv4;
        configureInterface(name, settings);
        return interfaceInfo(name);
      });
      this.name = opened.name;
      this.interfaceMac = opened.mac;
      this.mac = options.mac ?? (opened.mac % 2 === 0 ? opened.mac + 1 : opened.mac - 1);
      this.mtu = opened.mtu;
    } catch (e) {
      if (fd >= 0) sys.close(fd);
      throw e;
    }
    this._fd = fd;
    if (this.driver === 'reactor') mainReactor().add(this);
  }

  get fd(): number {
    return this._fd;
  }

  get closed(): boolean {
    return this._closed;
  }

  onReceive(handler: FrameHandler | undefined): void {
    this.handler = handler;
  }

  /** Reads up to `maxFrames` frames without blocking; returns how many were read. */
  drain(maxFrames = this.readBatch): number {
    const sys = libc();
    const buf = this.buf;
    let n = 0;
    while (n < maxFrames && !this._closed) {
      const r = sys.read(this._fd, buf, buf.length);
      if (r < 0) {
        const errno = sys.errno();
        if (errno === Errno.EAGAIN || errno === Errno.EINTR) break;
        fail('read', errno, this.name);
      }
      n++;
      this.counters.reads++;
      const h = this.handler;
      if (h === undefined) {
        this.counters.rxDrops++;
        continue;
      }
      this.counters.rxFrames++;
      this.counters.rxBytes += r;
      h(buf.subarray(0, r));
    }
    return n;
  }

  /** See AfPacketLink.wait. */
  wait(timeoutMs: number, wakeFd = -1): 'ready' | 'woken' | 'timeout' {
    if (this._closed) throw new LinkError(LinkErrorCode.CLOSED, 'link is closed');
    const dv = new DataView(this.pollBuf.buffer);
    dv.setInt32(Pollfd.fd, this._fd, true);
    dv.setInt16(Pollfd.events, C.POLLIN, true);
    dv.setInt16(Pollfd.revents, 0, true);
    dv.setInt32(Pollfd.SIZE + Pollfd.fd, wakeFd, true);
    dv.setInt16(Pollfd.SIZE + Pollfd.events, C.POLLIN, true);
    dv.setInt16(Pollfd.SIZE + Pollfd.revents, 0, true);
    const n = libc().poll(this.pollBuf, wakeFd >= 0 ? 2 : 1, timeoutMs);
    if (n > 0 && wakeFd >= 0 && dv.getInt16(Pollfd.SIZE + Pollfd.revents, true) !== 0) return 'woken';
    return n > 0 ? 'ready' : 'timeout';
  }

  ready(): void {
    this.drain();
  }

  /**
   * Writes one frame into the kernel (a TAP takes exactly one frame per write, so the
   * kernel's copy happens before this returns). False, counting txDrops, when closed, for a
   * runt or a payload over the MTU; false counting txErrors when the kernel refuses it.
   */
  send(frame: Uint8Array): boolean {
    if (this._closed || frame.length < 14 || ethernetPayloadLength(frame) > this.mtu) {
      this.counters.txDrops++;
      return false;
    }
    const r = libc().write(this._fd, frame, frame.length);
    if (r !== frame.length) {
      this.counters.txErrors++;
      return false;
    }
    this.counters.txFrames++;
    this.counters.txBytes += frame.length;
    return true;
  }

  /** Writes each frame in turn without leaving the call; returns how many the kernel took. */
  sendBatch(frames: readonly Uint8Array[]): number {
    let n = 0;
    for (const f of frames) if (this.send(f)) n++;
    return n;
  }

  /** Closes the fd (a non-persistent TAP disappears with it); idempotent. */
  close(): void {
    if (this._closed) return;
    this._closed = true;
    {
      const resolve = this.releaseDone!;
      const release = () => {
        libc().close(this._fd);
        this._fd = -1;
        resolve();
      };
      if (this.driver === 'reactor') mainReactor().remove(this, release);
      else release();
    }
  }

  /** Resolves after `close` has closed the fd (and a non-persistent TAP is gone). */
  released(): Promise<void> {
    return this.releasedPromise;
  }
}
