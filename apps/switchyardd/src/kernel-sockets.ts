/**
 * The kernel's TCP sockets, read from /proc/net/tcp and /proc/net/tcp6, so a restarted
 * daemon can rebuild its flow table from the connections the kernel still holds on the
 * VIPs (FIELD-NOTES: "A daemon restart loses its flow table: rebuild it from the kernel's
 * socket table") and break none of them.
 */
import { readFileSync } from 'node:fs';
import { endianness } from 'node:os';
import { FlowKey } from '@switchyard/flowhash';
import { Ipv4Address, Ipv6Address } from '@switchyard/wire';

/** TCP states as the kernel numbers them (include/net/tcp_states.h). */
export const TcpState = {
  ESTABLISHED: 1,
  SYN_SENT: 2,
  SYN_RECV: 3,
  FIN_WAIT1: 4,
  FIN_WAIT2: 5,
  TIME_WAIT: 6,
  CLOSE: 7,
  CLOSE_WAIT: 8,
  LAST_ACK: 9,
  LISTEN: 10,
  CLOSING: 11,
  NEW_SYN_RECV: 12,
} as const;

/** One socket: addresses as four big-endian 32-bit words (IPv4 in word 0), as flow keys hold them. */
export interface KernelSocket {
  readonly version: 4 | 6;
  readonly local: readonly [number, number, number, number];
  readonly localPort: number;
  readonly remote: readonly [number, number, number, number];
  readonly remotePort: number;
  readonly state: number;
}

const littleEndian = endianness() === 'LE';

/** A word as /proc prints it (%08X of the in-memory __be32, i.e. host order) to its network-order value. */
function wordFromProc(hex: string): number {
  const value = Number.parseInt(hex, 16) >>> 0;
  return littleEndian ? byteSwap(value) : value;
}

function byteSwap(v: number): number {
  return (((v & 0xff) << 24) | ((v & 0xff00) << 8) | ((v >>> 8) & 0xff00) | (v >>> 24)) >>> 0;
}

function parseEndpoint(text: string, version: 4 | 6): [[number, number, number, number], number] | undefined {
  const [address, port] = text.split(':');
  const words = version === 4 ? 1 : 4;
  if (
    address === undefined ||
    port === undefined ||
    address.length !== 8 * words ||
    !/^[0-9A-Fa-f]+$/.test(address)
  ) {
    return undefined;
  }
  if (!/^[0-9A-Fa-f]{4}$/.test(port)) return undefined;
  const out: [number, number, number, number] = [0, 0, 0, 0];
  for (let i = 0; i < words; i++) out[i] = wordFromProc(address.slice(8 * i, 8 * i + 8));
  return [out, Number.parseInt(port, 16)];
}

function isV4Mapped(words: readonly number[]): boolean {
  return words[0] === 0 && words[1] === 0 && words[2] === 0xffff;
}

/** Parses the text of /proc/net/tcp (`version` 4) or /proc/net/tcp6 (6); lines it cannot read are skipped. */
export function parseProcNetTcp(text: string, version: 4 | 6): KernelSocket[] {
  const sockets: KernelSocket[] = [];
  for (const line of text.split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/);
    if (fields.length < 4) continue;
    const local = parseEndpoint(fields[1]!, version);
    const remote = parseEndpoint(fields[2]!, version);
    if (local === undefined || remote === undefined || !/^[0-9A-Fa-f]{2}$/.test(fields[3]!)) continue;
    // A dual-stack socket shows an IPv4 connection as ::ffff:a.b.c.d (RFC 4291 §2.5.5.2): report it as IPv4.
    if (version === 6 && isV4Mapped(local[0]) && isV4Mapped(remote[0])) {
      sockets.push({
        version: 4,
        local: [local[0][3], 0, 0, 0],
        localPort: local[1],
        remote: [remote[0][3], 0, 0, 0],
        remotePort: remote[1],
        state: Number.parseInt(fields[3]!, 16),
      });
      continue;
    }
    sockets.push({
      version,
      local: local[0],
      localPort: local[1],
      remote: remote[0],
      remotePort: remote[1],
      state: Number.parseInt(fields[3]!, 16),
    });
  }
  return sockets;
}

/**
 * The connections (every state but LISTEN and CLOSE) of the caller's network namespace,
 * from `/proc/net/tcp` and `/proc/net/tcp6` under `procRoot`. A missing file (no IPv6)
 * reads as empty.
 */
export function readKernelConnections(procRoot = '/proc'): KernelSocket[] {
  const sockets: KernelSocket[] = [];
  for (const [file, version] of [
    ['net/tcp', 4],
    ['net/tcp6', 6],
  ] as const) {
    let text: string;
    try {
      text = readFileSync(`${procRoot}/${file}`, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw error;
    }
    for (const s of parseProcNetTcp(text, version)) {
      if (s.state !== TcpState.LISTEN && s.state !== TcpState.CLOSE) sockets.push(s);
    }
  }
  return sockets;
}

/** TCP states in which a connection is still alive for its client (drained before exit, adopted at start). */
const LIVE_STATES: ReadonlySet<number> = new Set([
  TcpState.ESTABLISHED,
  TcpState.SYN_RECV,
  TcpState.FIN_WAIT1,
  TcpState.FIN_WAIT2,
  TcpState.CLOSE_WAIT,
  TcpState.LAST_ACK,
  TcpState.CLOSING,
  TcpState.NEW_SYN_RECV,
]);

/** An IPv6 address from its four 32-bit words, most significant first. */
function ipv6FromWords(words: readonly number[]): bigint {
  return words.reduce((a, w) => (a << 32n) | BigInt(w >>> 0), 0n);
}

function vipKey(version: 4 | 6, words: readonly number[]): string {
  return version === 4 ? Ipv4Address.format(words[0]!) : Ipv6Address.format(ipv6FromWords(words));
}

/** The kernel's connections on the VIPs, as client → VIP flow keys. */
export function vipConnections(
  sockets: readonly KernelSocket[],
  vips: readonly { readonly text: string }[],
  states: ReadonlySet<number> = LIVE_STATES,
): FlowKey[] {
  const served = new Set(vips.map((v) => v.text));
  const keys: FlowKey[] = [];
  for (const s of sockets) {
    if (!states.has(s.state) || !served.has(vipKey(s.version, s.local))) continue;
    const key = new FlowKey();
    if (s.version === 4) key.setIpv4(s.remote[0], s.local[0], s.remotePort, s.localPort, 6);
    else key.setIpv6(ipv6FromWords(s.remote), ipv6FromWords(s.local), s.remotePort, s.localPort, 6);
    keys.push(key);
  }
  return keys;
}
