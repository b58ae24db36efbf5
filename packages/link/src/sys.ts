/**
 * The libc calls this package makes, bound once through koffi (prebuilt, no compiler), and
 * the Linux constants they take. Loaded lazily so that importing the package (for the BPF
 * builder or the layouts) works anywhere; the first socket call binds libc.
 *
 * Only 64-bit little-endian Linux (x86_64, arm64) is supported: the struct layouts in
 * `layout.ts` are LP64 and every multi-byte field is read little-endian.
 */
import koffi from 'koffi';
import { LinkError, LinkErrorCode, LinkPermissionError } from './errors.js';

/** A pointer returned by libc (an opaque koffi External). */
export type Pointer = object;

/** Anything libc may read or write through a `void *`: a typed array, or a pointer. */
type Mem = Uint8Array | Pointer | null;

export interface Libc {
  socket(domain: number, type: number, protocol: number): number;
  bind(fd: number, addr: Uint8Array, len: number): number;
  setsockopt(fd: number, level: number, name: number, value: Uint8Array, len: number): number;
  getsockopt(fd: number, level: number, name: number, value: Uint8Array, len: Uint8Array): number;
  mmap(addr: Mem, length: number, prot: number, flags: number, fd: number, offset: number): Pointer;
  munmap(addr: Pointer, length: number): number;
  poll(fds: Uint8Array, nfds: number, timeoutMs: number): number;
  close(fd: number): number;
  send(fd: number, buf: Mem, len: number, flags: number): number;
  sendmmsg(fd: number, msgvec: Mem, vlen: number, flags: number): number;
  read(fd: number, buf: Mem, len: number): number;
  write(fd: number, buf: Mem, len: number): number;
  ioctl(fd: number, request: number, arg: Uint8Array): number;
  /** ioctl whose argument is a value, not a pointer (TUNSETPERSIST). */
  ioctlValue(fd: number, request: number, arg: number): number;
  open(path: string, flags: number): number;
  eventfd(initval: number, flags: number): number;
  setns(fd: number, nstype: number): number;
  getpid(): number;
  gettid(): number;
  /** Async poll on koffi's worker pool: the reactor waits here without blocking the event loop. */
  pollAsync(fds: Uint8Array, nfds: number, timeoutMs: number, done: (err: unknown, n: number) => void): void;
  errno(): number;
  address(p: Pointer): bigint;
  view(p: Pointer, length: number): ArrayBuffer;
}

let bound: Libc | undefined;

/** Binds libc on first use. */
export function libc(): Libc {
  if (bound !== undefined) return bound;
  if (process.platform !== 'linux')
    throw new LinkError(LinkErrorCode.UNSUPPORTED, `@switchyard/link needs Linux, not ${process.platform}`);
  if (process.arch !== 'x64' && process.arch !== 'arm64')
    throw new LinkError(
      LinkErrorCode.UNSUPPORTED,
      `@switchyard/link needs a 64-bit Linux, not ${process.arch}`,
    );
  const lib = koffi.load('libc.so.6');
  const poll = lib.func('int poll(void *fds, unsigned long nfds, int timeout)');
  const open = lib.func('int open(const char *path, int flags, ...)');
  const b: Libc = {
    socket: lib.func('int socket(int domain, int type, int protocol)'),
    bind: lib.func('int bind(int fd, void *addr, uint32_t len)'),
    setsockopt: lib.func('int setsockopt(int fd, int level, int name, void *value, uint32_t len)'),
    getsockopt: lib.func('int getsockopt(int fd, int level, int name, void *value, void *len)'),
    mmap: lib.func('void *mmap(void *addr, size_t length, int prot, int flags, int fd, long offset)'),
    munmap: lib.func('int munmap(void *addr, size_t length)'),
    poll,
    close: lib.func('int close(int fd)'),
    send: lib.func('long send(int fd, void *buf, size_t len, int flags)'),
    sendmmsg: lib.func('int sendmmsg(int fd, void *msgvec, unsigned int vlen, int flags)'),
    read: lib.func('long read(int fd, void *buf, size_t len)'),
    write: lib.func('long write(int fd, void *buf, size_t len)'),
    ioctl: lib.func('int ioctl(int fd, unsigned long request, void *arg)'),
    ioctlValue: lib.func('int ioctl(int fd, unsigned long request, unsigned long arg)'),
    open: (path, flags) => open(path, flags) as number,
    eventfd: lib.func('int eventfd(unsigned int initval, int flags)'),
    setns: lib.func('int setns(int fd, int nstype)'),
    getpid: lib.func('int getpid()'),
    gettid: lib.func('int gettid()'),
    pollAsync: (fds, nfds, timeoutMs, done) => poll.async(fds, nfds, timeoutMs, done),
    errno: () => koffi.errno(),
    address: (p) => koffi.address(p),
    view: (p, length) => koffi.view(p, length),
  };
  bound = b;
  return b;
}

/** Linux constants (x86_64 and arm64 share every value used here). */
export const C = {
  AF_PACKET: 17,
  AF_INET: 2,
  SOCK_RAW: 3,
  SOCK_DGRAM: 2,
  SOCK_NONBLOCK: 0o4000,
  SOCK_CLOEXEC: 0o2000000,
  O_RDWR: 2,
  O_RDONLY: 0,
  O_NONBLOCK: 0o4000,
  O_CLOEXEC: 0o2000000,
  ETH_P_ALL: 0x0003,
  SOL_SOCKET: 1,
  SO_ERROR: 4,
  SO_ATTACH_FILTER: 26,
  SO_DETACH_FILTER: 27,
  SOL_PACKET: 263,
  PACKET_ADD_MEMBERSHIP: 1,
  PACKET_DROP_MEMBERSHIP: 2,
  PACKET_RX_RING: 5,
  PACKET_STATISTICS: 6,
  PACKET_VERSION: 10,
  PACKET_TX_RING: 13,
  PACKET_LOSS: 14,
  PACKET_FANOUT: 18,
  PACKET_QDISC_BYPASS: 20,
  TPACKET_V3: 2,
  PACKET_MR_MULTICAST: 0,
  PACKET_MR_PROMISC: 1,
  PACKET_MR_ALLMULTI: 2,
  PACKET_MR_UNICAST: 3,
  PROT_READ: 1,
  PROT_WRITE: 2,
  PROT_NONE: 0,
  MAP_SHARED: 0x01,
  MAP_PRIVATE: 0x02,
  MAP_FIXED: 0x10,
  MAP_ANONYMOUS: 0x20,
  MAP_NORESERVE: 0x4000,
  POLLIN: 0x001,
  POLLERR: 0x008,
  POLLHUP: 0x010,
  POLLNVAL: 0x020,
  MSG_DONTWAIT: 0x40,
  EFD_NONBLOCK: 0o4000,
  EFD_CLOEXEC: 0o2000000,
  CLONE_NEWNET: 0x40000000,
  // <linux/sockios.h>
  SIOCGIFFLAGS: 0x8913,
  SIOCSIFFLAGS: 0x8914,
  SIOCGIFADDR: 0x8915,
  SIOCSIFADDR: 0x8916,
  SIOCGIFNETMASK: 0x891b,
  SIOCSIFNETMASK: 0x891c,
  SIOCGIFMTU: 0x8921,
  SIOCSIFMTU: 0x8922,
  SIOCSIFHWADDR: 0x8924,
  SIOCGIFHWADDR: 0x8927,
  SIOCGIFINDEX: 0x8933,
  // <linux/if_tun.h>: _IOW('T', 202, int), _IOW('T', 203, int), _IOR('T', 210, unsigned int)
  TUNSETIFF: 0x400454ca,
  TUNSETPERSIST: 0x400454cb,
  TUNGETIFF: 0x800454d2,
  IFF_TAP: 0x0002,
  IFF_NO_PI: 0x1000,
  IFF_UP: 0x1,
  IFF_RUNNING: 0x40,
  IFF_PROMISC: 0x100,
  ARPHRD_ETHER: 1,
} as const;

/** errno values this package tells apart. */
export const Errno = {
  EPERM: 1,
  ENOENT: 2,
  EINTR: 4,
  EBADF: 9,
  EAGAIN: 11,
  ENOMEM: 12,
  EACCES: 13,
  EBUSY: 16,
  ENODEV: 19,
  EINVAL: 22,
  ENOBUFS: 105,
  ENXIO: 6,
} as const;

/** Throws the error a failed syscall deserves: permission problems get their own class. */
export function fail(syscall: string, errno: number, detail = ''): never {
  const what = detail === '' ? syscall : `${syscall} (${detail})`;
  if (errno === Errno.EPERM || errno === Errno.EACCES)
    throw new LinkPermissionError(
      `${what}: needs root or CAP_NET_RAW (and CAP_NET_ADMIN for TAP devices and interface settings)`,
      syscall,
      errno,
    );
  throw new LinkError(
    LinkErrorCode.SYSCALL,
    `${what} failed: errno ${errno}${errnoName(errno)}`,
    syscall,
    errno,
  );
}

function errnoName(errno: number): string {
  for (const [k, v] of Object.entries(Errno)) if (v === errno) return ` (${k})`;
  return '';
}

/** The address a koffi mmap result stands for, or -1n for MAP_FAILED. */
export function pointerAddress(p: Pointer): bigint {
  const a = libc().address(p);
  return a === 0xffff_ffff_ffff_ffffn ? -1n : a;
}
