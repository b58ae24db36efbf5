/**
 * Interface addresses through iproute2 (`ip -j`): the node's real IPv4 address, and the VIPs
 * on the TAP (IPv4 /32, IPv6 /128 without DAD). iproute2 is the reference netlink client;
 * its JSON output is what we parse, as in `@switchyard/netlab`.
 */
import { execFileSync } from 'node:child_process';

/** An `ip` command failed; names the command and what it said. */
export class AddressError extends Error {
  override readonly name = 'AddressError';
}

interface IpAddrJson {
  readonly addr_info?: readonly {
    readonly family?: string;
    readonly local?: string;
    readonly prefixlen?: number;
  }[];
}

function ip(args: readonly string[]): string {
  try {
    return execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr?.trim();
    throw new AddressError(`ip ${args.join(' ')}: ${stderr || (error as Error).message}`);
  }
}

/** Addresses (without prefix) of `device`, IPv4 and IPv6, scope global. */
export function deviceAddresses(device: string): { family: 4 | 6; address: string; prefix: number }[] {
  const parsed = JSON.parse(ip(['-j', 'addr', 'show', 'dev', device]) || '[]') as IpAddrJson[];
  const out: { family: 4 | 6; address: string; prefix: number }[] = [];
  for (const link of parsed) {
    for (const a of link.addr_info ?? []) {
      if (a.local === undefined || (a.family !== 'inet' && a.family !== 'inet6')) continue;
      if (a.family === 'inet6' && a.local.toLowerCase().startsWith('fe80')) continue;
      out.push({ family: a.family === 'inet' ? 4 : 6, address: a.local, prefix: a.prefixlen ?? 0 });
    }
  }
  return out;
}

/** The first IPv4 address of `device`, or undefined. */
export function primaryIpv4(device: string): string | undefined {
  return deviceAddresses(device).find((a) => a.family === 4)?.address;
}

/**
 * Makes `device` hold exactly `vips` (text form, canonical): adds the missing ones and
 * removes the others. Returns what changed.
 */
export function reconcileVipAddresses(
  device: string,
  vips: readonly { readonly text: string; readonly family: 4 | 6 }[],
): { added: string[]; removed: string[] } {
  const present = deviceAddresses(device);
  const wanted = new Set(vips.map((v) => v.text));
  const have = new Set(present.map((a) => a.address));
  const added: string[] = [];
  const removed: string[] = [];
  for (const v of vips) {
    if (have.has(v.text)) continue;
    if (v.family === 4) ip(['addr', 'replace', `${v.text}/32`, 'dev', device]);
    else ip(['-6', 'addr', 'replace', `${v.text}/128`, 'dev', device, 'nodad']);
    added.push(v.text);
  }
  for (const a of present) {
    if (wanted.has(a.address)) continue;
    ip(['addr', 'del', `${a.address}/${a.prefix}`, 'dev', device]);
    removed.push(a.address);
  }
  return { added, removed };
}

/** Deletes `device` (the persistent TAP at the final stop); a missing device is not an error. */
export function deleteDevice(device: string): void {
  try {
    ip(['link', 'del', 'dev', device]);
  } catch (error) {
    if (!/Cannot find device|does not exist/.test((error as Error).message)) throw error;
  }
}
