/**
 * An IP address of either family, as heartbeats carry them (a node's real address, a VIP).
 * IPv4 is an unsigned 32-bit number and IPv6 a 128-bit bigint, as in `@switchyard/wire`.
 */
import { InvalidArgumentError, Ipv4Address, Ipv6Address } from '@switchyard/wire';

/** An IPv4 or IPv6 address, tagged with its version. */
export type IpAddress =
  | { readonly version: 4; readonly address: Ipv4Address }
  | { readonly version: 6; readonly address: Ipv6Address };

export const IpAddress = {
  v4(address: Ipv4Address | string): IpAddress {
    const a = typeof address === 'string' ? Ipv4Address.parse(address) : address;
    if (!Ipv4Address.isValid(a)) throw new InvalidArgumentError('election', 'address', 'not an IPv4 address');
    return { version: 4, address: a };
  },

  v6(address: Ipv6Address | string): IpAddress {
    const a = typeof address === 'string' ? Ipv6Address.parse(address) : address;
    if (typeof a !== 'bigint' || !Ipv6Address.isValid(a))
      throw new InvalidArgumentError('election', 'address', 'not an IPv6 address');
    return { version: 6, address: a };
  },

  /** Parses a dotted quad or RFC 4291 text; throws `InvalidArgumentError`. */
  parse(text: string): IpAddress {
    return text.includes(':') ? IpAddress.v6(text) : IpAddress.v4(text);
  },

  format(ip: IpAddress): string {
    return ip.version === 4 ? Ipv4Address.format(ip.address) : Ipv6Address.format(ip.address);
  },

  /** A string usable as a Map key: `4:<n>` or `6:<n>`. */
  key(ip: IpAddress): string {
    return `${ip.version}:${ip.address.toString()}`;
  },

  equals(a: IpAddress, b: IpAddress): boolean {
    return a.version === b.version && a.address === b.address;
  },

  isValid(ip: unknown): ip is IpAddress {
    if (typeof ip !== 'object' || ip === null) return false;
    const { version, address } = ip as { version?: unknown; address?: unknown };
    if (version === 4) return typeof address === 'number' && Ipv4Address.isValid(address);
    if (version === 6) return typeof address === 'bigint' && Ipv6Address.isValid(address);
    return false;
  },
} as const;
