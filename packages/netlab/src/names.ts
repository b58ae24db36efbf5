/**
 * Names and addresses: every string that reaches a command line passes one of these strict
 * patterns first, so no argv element can be read as an option or smuggle a second command.
 */
import { randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import { check, NetlabError, NetlabErrorCode } from './errors.js';

/** Kernel limit on interface names, NUL included (linux/if.h); names hold at most 15 bytes. */
export const IFNAMSIZ = 16;

/** Longest host or bridge name: keeps `<host>-eth0` bridge port names within 15 bytes. */
export const MAX_NODE_NAME_LENGTH = 10;

/** Host and bridge names: lower-case letters, digits and inner hyphens, 1..10 characters. */
export const NODE_NAME = /^[a-z](?:[a-z0-9-]{0,8}[a-z0-9])?$/;

/** Interface names we accept: a letter, then letters, digits, `_`, `.`, `-` (no `/`, `:`, space). */
export const IFNAME = /^[A-Za-z][A-Za-z0-9_.-]*$/;

/**
 * Namespace names this tool creates: `sy<owner pid, base 36>_<4 random base-36 chars>-<node>`.
 * `sweepStaleLabs` removes only names matching this whose owner pid is dead.
 */
export const NAMESPACE_NAME = /^sy([0-9a-z]{1,7})_([0-9a-z]{4})-([a-z](?:[a-z0-9-]{0,8}[a-z0-9])?)$/;

const SYSCTL_KEY = /^[a-z][a-z0-9_]*(?:[./][A-Za-z0-9_-]+)+$/;
const SYSCTL_VALUE = /^[\x20-\x7e\t]*$/;
const MAC = /^[0-9a-f]{2}(?::[0-9a-f]{2}){5}$/;

/** Checks a host or bridge name. */
export function checkNodeName(name: string, what: string): void {
  if (typeof name === 'string' && name.length > MAX_NODE_NAME_LENGTH && /^[a-z][a-z0-9-]*$/.test(name)) {
    throw new NetlabError(
      NetlabErrorCode.NAME_TOO_LONG,
      `${what} name '${name}' has ${name.length} characters; at most ${MAX_NODE_NAME_LENGTH} keep bridge port names within IFNAMSIZ`,
    );
  }
  check(
    typeof name === 'string' && NODE_NAME.test(name),
    `${what} name ${JSON.stringify(name)} must match ${NODE_NAME} (lower-case letters, digits, inner hyphens)`,
  );
}

/** Checks an interface name: the pattern, then the IFNAMSIZ limit (bytes, as the kernel counts). */
export function checkIfname(name: string, what: string): void {
  check(
    typeof name === 'string' && IFNAME.test(name),
    `${what} ${JSON.stringify(name)} must match ${IFNAME}`,
  );
  // IFNAMSIZ includes the terminating NUL (linux/if.h), so 15 bytes is the longest name.
  if (Buffer.byteLength(name) > IFNAMSIZ - 1) {
    throw new NetlabError(
      NetlabErrorCode.NAME_TOO_LONG,
      `${what} '${name}' has ${Buffer.byteLength(name)} bytes; interface names hold at most ${IFNAMSIZ - 1} (IFNAMSIZ ${IFNAMSIZ})`,
    );
  }
}

/** Normalises a MAC address to lower case; it must be unicast (I/G bit clear, IEEE 802 §8.2). */
export function checkMac(mac: string, what: string): string {
  const m = typeof mac === 'string' ? mac.toLowerCase() : '';
  check(MAC.test(m), `${what} ${JSON.stringify(mac)} must be six colon-separated hex octets`);
  // An interface address must be unicast: the I/G bit is the low bit of the first octet.
  check((Number.parseInt(m.slice(0, 2), 16) & 1) === 0, `${what} ${m} is a multicast address`);
  return m;
}

/** Checks `a.b.c.d/len` or `ipv6/len`; returns the address family (4 or 6). */
export function checkCidr(cidr: string, what: string): 4 | 6 {
  const slash = typeof cidr === 'string' ? cidr.indexOf('/') : -1;
  check(
    slash > 0,
    `${what} ${JSON.stringify(cidr)} must be an address with a prefix length, e.g. 10.1.0.1/24`,
  );
  const family = isIP(cidr.slice(0, slash));
  const len = cidr.slice(slash + 1);
  check(family !== 0 && /^[0-9]{1,3}$/.test(len), `${what} ${JSON.stringify(cidr)} is not a valid CIDR`);
  check(Number(len) <= (family === 4 ? 32 : 128), `${what} ${cidr}: prefix length ${len} is out of range`);
  return family as 4 | 6;
}

/** Checks a plain IP address; returns its family. */
export function checkIp(address: string, what: string): 4 | 6 {
  const family = typeof address === 'string' ? isIP(address) : 0;
  check(family !== 0, `${what} ${JSON.stringify(address)} is not an IPv4 or IPv6 address`);
  return family as 4 | 6;
}

/** Checks a sysctl key (dotted or slashed) and value; returns the `key=value` argument. */
export function sysctlArgument(key: string, value: string | number): string {
  check(
    typeof key === 'string' && SYSCTL_KEY.test(key),
    `sysctl key ${JSON.stringify(key)} must match ${SYSCTL_KEY}`,
  );
  check(
    (typeof value === 'number' && Number.isSafeInteger(value)) ||
      (typeof value === 'string' && SYSCTL_VALUE.test(value)),
    `sysctl value for ${key} must be an integer or printable text on one line`,
  );
  return `${key}=${value}`;
}

/** Checks a sysctl key alone (for reads). */
export function checkSysctlKey(key: string): void {
  check(
    typeof key === 'string' && SYSCTL_KEY.test(key),
    `sysctl key ${JSON.stringify(key)} must match ${SYSCTL_KEY}`,
  );
}

/** A fresh run prefix, `sy<pid36>_<rand4>`, owned by `pid`. */
export function newRunPrefix(pid: number = process.pid, random: Uint8Array = randomBytes(4)): string {
  check(Number.isSafeInteger(pid) && pid > 0 && pid < 36 ** 7, `owner pid ${pid} is out of range`);
  let n = 0;
  for (const b of random.subarray(0, 4)) n = n * 256 + b;
  const tag = (n % 36 ** 4).toString(36).padStart(4, '0');
  return `sy${pid.toString(36)}_${tag}`;
}

/** What a netlab namespace name says about itself, or `null` for any other name. */
export interface ParsedNamespaceName {
  readonly prefix: string;
  readonly ownerPid: number;
  readonly node: string;
}

/** Parses a namespace name this tool generated; `null` when the name is not one of ours. */
export function parseNamespaceName(name: string): ParsedNamespaceName | null {
  const m = NAMESPACE_NAME.exec(name);
  if (m === null) return null;
  const ownerPid = Number.parseInt(m[1]!, 36);
  if (ownerPid <= 0) return null;
  return { prefix: `sy${m[1]}_${m[2]}`, ownerPid, node: m[3]! };
}
