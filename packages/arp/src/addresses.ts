/**
 * The address helpers the responder needs beyond wire's: one type for "an IPv4 or IPv6
 * address" (a number or a bigint, so both can key one Map), and the IPv6 multicast mappings.
 */
import { InvalidArgumentError, Ipv4Address, Ipv6Address, MacAddress } from '@switchyard/wire';

/** An IPv4 address (a number) or an IPv6 address (a bigint); `1` and `1n` are different Map keys. */
export type IpAddress = Ipv4Address | Ipv6Address;

/** The all-nodes link-local multicast address `ff02::1` (RFC 4291 §2.7.1). */
export const ALL_NODES: Ipv6Address = 0xff02_0000_0000_0000_0000_0000_0000_0001n;

/** True for an IPv6 address (a bigint), false for an IPv4 address (a number). */
export function isIpv6(address: IpAddress): address is Ipv6Address {
  return typeof address === 'bigint';
}

/** Text form of either family. */
export function formatIp(address: IpAddress): string {
  return isIpv6(address) ? Ipv6Address.format(address) : Ipv4Address.format(address);
}

/** Parses a dotted quad or an IPv6 text form; throws `InvalidArgumentError`. */
export function parseIp(text: string): IpAddress {
  return text.includes(':') ? Ipv6Address.parse(text) : Ipv4Address.parse(text);
}

/** The Ethernet group address an IPv6 multicast address maps to: 33:33 and its low 32 bits (RFC 2464 §7). */
export function ipv6MulticastMac(address: Ipv6Address): MacAddress {
  return 0x3333_0000_0000 + Number(address & 0xffff_ffffn);
}

/** True for an IPv6 solicited-node multicast address `ff02::1:ffXX:XXXX` (RFC 4291 §2.7.1). */
export function isSolicitedNode(address: Ipv6Address): boolean {
  return address >> 24n === 0xff02_0000_0000_0000_0000_0001_ffn;
}

/** Refuses what can never be a unicast address of a node: unspecified, multicast, broadcast, loopback. */
export function assertUnicastIp(field: string, address: IpAddress): void {
  if (isIpv6(address)) {
    if (
      !Ipv6Address.isValid(address) ||
      address === 0n ||
      address === 1n ||
      Ipv6Address.isMulticast(address)
    ) {
      throw new InvalidArgumentError('arp', field, `not a unicast IPv6 address: ${String(address)}`);
    }
    return;
  }
  if (
    !Ipv4Address.isValid(address) ||
    address === 0 ||
    address === Ipv4Address.BROADCAST ||
    Ipv4Address.isMulticast(address) ||
    address >>> 24 === 127
  ) {
    throw new InvalidArgumentError('arp', field, `not a unicast IPv4 address: ${String(address)}`);
  }
}

/** Refuses a MAC that cannot be a station's own address (zero, or a group address). */
export function assertUnicastMac(field: string, mac: MacAddress): void {
  if (!MacAddress.isValid(mac) || mac === 0 || MacAddress.isMulticast(mac)) {
    throw new InvalidArgumentError('arp', field, `not a unicast MAC address: ${String(mac)}`);
  }
}
