/**
 * Parsers for the JSON that `ip -j` and `bridge -j` print. They check every field they
 * read and throw MALFORMED_OUTPUT otherwise; they never trust the shape blindly.
 */
import { NetlabError, NetlabErrorCode } from './errors.js';

type Json = Record<string, unknown>;

function malformed(what: string, detail: string): NetlabError {
  return new NetlabError(NetlabErrorCode.MALFORMED_OUTPUT, `${what}: ${detail}`);
}

function array(text: string, what: string): Json[] {
  let value: unknown;
  try {
    // `ip -j` prints nothing at all (not `[]`) for an empty table on some versions.
    value = text.trim() === '' ? [] : JSON.parse(text);
  } catch (cause) {
    throw new NetlabError(NetlabErrorCode.MALFORMED_OUTPUT, `${what}: not JSON`, { cause });
  }
  if (!Array.isArray(value)) throw malformed(what, 'expected a JSON array');
  for (const v of value) {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw malformed(what, 'expected objects');
  }
  return value as Json[];
}

/** Reads a field by name (a plain function keeps index-signature access in one place). */
function get(o: Json | null | undefined, key: string): unknown {
  return o?.[key];
}

function str(o: Json, key: string, what: string): string {
  const v = o[key];
  if (typeof v !== 'string') throw malformed(what, `field ${key} is not a string`);
  return v;
}

function optStr(o: Json, key: string, what: string): string | undefined {
  return o[key] === undefined ? undefined : str(o, key, what);
}

function num(o: Json, key: string, what: string): number {
  const v = o[key];
  if (typeof v !== 'number' || !Number.isFinite(v)) throw malformed(what, `field ${key} is not a number`);
  return v;
}

function strings(o: Json, key: string, what: string): string[] {
  const v = o[key];
  if (v === undefined) return [];
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string'))
    throw malformed(what, `field ${key} is not a list`);
  return v as string[];
}

/** One bridge forwarding database entry (`bridge -j fdb show`). */
export interface FdbEntry {
  /** Lower-case MAC address. */
  readonly mac: string;
  /** The interface the entry points at: a bridge port, or the bridge itself. */
  readonly port: string;
  /** The bridge the port belongs to, for entries in the bridge's own table. */
  readonly master?: string;
  readonly vlan?: number;
  /** As printed: `permanent`, `static`, `stale` or `` (a learned entry in use). */
  readonly state: string;
  readonly flags: readonly string[];
  /** The entry is in the port device's own table (`self`), not the bridge's. */
  readonly self: boolean;
  /** Learned from traffic (not permanent, not static, not `self`). */
  readonly learned: boolean;
}

/** Parses `bridge -j fdb show`. */
export function parseFdb(text: string): FdbEntry[] {
  const what = 'bridge fdb';
  return array(text, what).map((o) => {
    const flags = strings(o, 'flags', what);
    const state = optStr(o, 'state', what) ?? '';
    const self = flags.includes('self');
    const master = optStr(o, 'master', what);
    const vlan = get(o, 'vlan') === undefined ? undefined : num(o, 'vlan', what);
    return {
      mac: str(o, 'mac', what).toLowerCase(),
      port: str(o, 'ifname', what),
      ...(master === undefined ? {} : { master }),
      ...(vlan === undefined ? {} : { vlan }),
      state,
      flags,
      self,
      learned: !self && (state === '' || state === 'stale'),
    };
  });
}

/** One neighbor (ARP / NDP) table entry (`ip -j neigh show`). */
export interface Neighbor {
  /** The IP address. */
  readonly address: string;
  readonly ifname: string;
  /** Lower-case link-layer address, `null` while unresolved (INCOMPLETE, FAILED). */
  readonly mac: string | null;
  /** NUD states, e.g. `['REACHABLE']`, `['STALE']`, `['PERMANENT']`. */
  readonly state: readonly string[];
  readonly router: boolean;
}

/** Parses `ip -j neigh show`. */
export function parseNeighbors(text: string): Neighbor[] {
  const what = 'ip neigh';
  return array(text, what).map((o) => {
    const mac = optStr(o, 'lladdr', what);
    return {
      address: str(o, 'dst', what),
      ifname: str(o, 'dev', what),
      mac: mac === undefined ? null : mac.toLowerCase(),
      state: strings(o, 'state', what),
      router: 'router' in o,
    };
  });
}

/** What the kernel says about one interface (`ip -j addr show dev <if>`). */
export interface InterfaceState {
  readonly name: string;
  readonly ifindex: number;
  /** Lower-case MAC address. */
  readonly mac: string;
  readonly mtu: number;
  /** Administratively up (the UP flag). */
  readonly up: boolean;
  /** RFC 2863 operational state as printed: `UP`, `DOWN`, `LOWERLAYERDOWN`, `UNKNOWN`. */
  readonly operstate: string;
  /** Addresses with prefix length, IPv4 and IPv6 (link-local included). */
  readonly addresses: readonly string[];
}

/** Parses `ip -j addr show` into one entry per interface. */
export function parseInterfaces(text: string): InterfaceState[] {
  const what = 'ip addr';
  return array(text, what).map((o) => {
    const info = get(o, 'addr_info');
    const list = info === undefined ? [] : info;
    if (!Array.isArray(list)) throw malformed(what, 'field addr_info is not a list');
    const addresses = list.map((a: unknown) => {
      if (typeof a !== 'object' || a === null) throw malformed(what, 'addr_info holds a non-object');
      const ai = a as Json;
      return `${str(ai, 'local', what)}/${num(ai, 'prefixlen', what)}`;
    });
    return {
      name: str(o, 'ifname', what),
      ifindex: num(o, 'ifindex', what),
      mac: (optStr(o, 'address', what) ?? '').toLowerCase(),
      mtu: num(o, 'mtu', what),
      up: strings(o, 'flags', what).includes('UP'),
      operstate: optStr(o, 'operstate', what) ?? 'UNKNOWN',
      addresses,
    };
  });
}

/** Sums the `counter` packets of every rule of `nft -j list table` per chain name. */
export function parseNftCounters(text: string): Map<string, number> {
  const what = 'nft list table';
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw new NetlabError(NetlabErrorCode.MALFORMED_OUTPUT, `${what}: not JSON`, { cause });
  }
  const items = get(value as Json | null, 'nftables');
  if (!Array.isArray(items)) throw malformed(what, 'expected {"nftables": [...]}');
  const counts = new Map<string, number>();
  for (const item of items as unknown[]) {
    const rule = get(item as Json | null, 'rule') as Json | undefined;
    if (rule === undefined) continue;
    const chain = str(rule, 'chain', what);
    const expr = get(rule, 'expr');
    if (!Array.isArray(expr)) throw malformed(what, 'rule without expr');
    for (const e of expr as unknown[]) {
      const counter = get(e as Json | null, 'counter') as Json | undefined;
      if (counter !== undefined) counts.set(chain, (counts.get(chain) ?? 0) + num(counter, 'packets', what));
    }
  }
  return counts;
}
