/**
 * Interface settings through ifreq ioctls on a throwaway AF_INET socket: index, MTU, MAC,
 * flags, an IPv4 address. ioctls rather than `ip` subprocesses: no fork per call, no parsing,
 * and errors come back as errnos.
 */
import { InvalidArgumentError, type Ipv4Address, MacAddress } from '@switchyard/wire';
import { NoSuchInterfaceError } from './errors.js';
import { encodeIfreq, Ifreq } from './layout.js';
import { withNetns } from './netns.js';
import { C, Errno, fail, libc } from './sys.js';

/** What `interfaceInfo` reports. */
export interface InterfaceInfo {
  readonly name: string;
  readonly index: number;
  readonly mtu: number;
  readonly mac: MacAddress;
  /** IFF_* flags (IFF_UP = 1, IFF_RUNNING = 0x40, IFF_PROMISC = 0x100, ...). */
  readonly flags: number;
}

/** Settings `configureInterface` applies, in this order: MAC, MTU, IPv4 address, up. */
export interface InterfaceSettings {
  mac?: MacAddress;
  mtu?: number;
  ipv4?: { address: Ipv4Address; prefixLength: number };
  /** true brings the interface up, false down; undefined leaves it. */
  up?: boolean;
}

/** Checks an interface name before it reaches an ifreq (IFNAMSIZ, no '/', no spaces). */
export function checkInterfaceName(name: string): void {
  if (name.length === 0 || name.length >= Ifreq.IFNAMSIZ || /[\s/:]/.test(name))
    throw new InvalidArgumentError(
      'link',
      'interface',
      `not a valid interface name: ${JSON.stringify(name)}`,
    );
}

function withControlSocket<T>(fn: (fd: number) => T): T {
  const sys = libc();
  const fd = sys.socket(C.AF_INET, C.SOCK_DGRAM | C.SOCK_CLOEXEC, 0);
  if (fd < 0) fail('socket', sys.errno(), 'AF_INET control socket');
  try {
    return fn(fd);
  } finally {
    sys.close(fd);
  }
}

function ioctl(fd: number, request: number, req: Uint8Array, name: string, what: string): void {
  const sys = libc();
  if (sys.ioctl(fd, request, req) < 0) {
    const errno = sys.errno();
    if (errno === Errno.ENODEV || errno === Errno.ENXIO) throw new NoSuchInterfaceError(name, errno);
    fail('ioctl', errno, `${what} ${name}`);
  }
}

/** Index, MTU, MAC and flags of `name` (in `netns` when given). */
export function interfaceInfo(name: string, netns?: string): InterfaceInfo {
  checkInterfaceName(name);
  return withNetns(netns, () =>
    withControlSocket((fd) => {
      const req = encodeIfreq(name);
      const dv = new DataView(req.buffer);
      ioctl(fd, C.SIOCGIFINDEX, req, name, 'SIOCGIFINDEX');
      const index = dv.getInt32(Ifreq.ifr_ifindex, true);
      ioctl(fd, C.SIOCGIFMTU, req, name, 'SIOCGIFMTU');
      const mtu = dv.getInt32(Ifreq.ifr_mtu, true);
      ioctl(fd, C.SIOCGIFHWADDR, req, name, 'SIOCGIFHWADDR');
      const mac = MacAddress.read(req, Ifreq.ifr_hwaddr + 2);
      ioctl(fd, C.SIOCGIFFLAGS, req, name, 'SIOCGIFFLAGS');
      const flags = dv.getUint16(Ifreq.ifr_flags, true);
      return { name, index, mtu, mac, flags };
    }),
  );
}

/** Applies `settings` to `name` (needs CAP_NET_ADMIN). */
export function configureInterface(name: string, settings: InterfaceSettings, netns?: string): void {
  checkInterfaceName(name);
  const { mac, mtu, ipv4, up } = settings;
  if (mac !== undefined && (!MacAddress.isValid(mac) || MacAddress.isMulticast(mac)))
    throw new InvalidArgumentError('link', 'mac', 'needs a unicast 48-bit MAC');
  if (mtu !== undefined && (!Number.isInteger(mtu) || mtu < 68 || mtu > 65535))
    throw new InvalidArgumentError('link', 'mtu', `needs an integer in [68, 65535], got ${String(mtu)}`);
  if (
    ipv4 !== undefined &&
    (!Number.isInteger(ipv4.prefixLength) || ipv4.prefixLength < 0 || ipv4.prefixLength > 32)
  )
    throw new InvalidArgumentError('link', 'prefixLength', `needs 0..32, got ${String(ipv4.prefixLength)}`);
  withNetns(netns, () =>
    withControlSocket((fd) => {
      if (mac !== undefined) {
        const req = encodeIfreq(name);
        new DataView(req.buffer).setUint16(Ifreq.ifr_hwaddr, C.ARPHRD_ETHER, true);
        MacAddress.write(mac, req, Ifreq.ifr_hwaddr + 2);
        ioctl(fd, C.SIOCSIFHWADDR, req, name, 'SIOCSIFHWADDR');
      }
      if (mtu !== undefined) {
        const req = encodeIfreq(name);
        new DataView(req.buffer).setInt32(Ifreq.ifr_mtu, mtu, true);
        ioctl(fd, C.SIOCSIFMTU, req, name, 'SIOCSIFMTU');
      }
      if (ipv4 !== undefined) {
        const req = encodeIfreq(name);
        const dv = new DataView(req.buffer);
        dv.setUint16(Ifreq.ifr_addr, C.AF_INET, true);
        dv.setUint32(Ifreq.ifr_addr + 4, ipv4.address, false);
        ioctl(fd, C.SIOCSIFADDR, req, name, 'SIOCSIFADDR');
        const mask = ipv4.prefixLength === 0 ? 0 : (0xffff_ffff << (32 - ipv4.prefixLength)) >>> 0;
        dv.setUint32(Ifreq.ifr_addr + 4, mask, false);
        ioctl(fd, C.SIOCSIFNETMASK, req, name, 'SIOCSIFNETMASK');
      }
      if (up !== undefined) {
        const req = encodeIfreq(name);
        const dv = new DataView(req.buffer);
        ioctl(fd, C.SIOCGIFFLAGS, req, name, 'SIOCGIFFLAGS');
        const flags = dv.getUint16(Ifreq.ifr_flags, true);
        dv.setUint16(Ifreq.ifr_flags, up ? flags | C.IFF_UP : flags & ~C.IFF_UP, true);
        ioctl(fd, C.SIOCSIFFLAGS, req, name, 'SIOCSIFFLAGS');
      }
    }),
  );
}
