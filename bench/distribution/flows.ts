/**
 * The flow sets of BENCHMARKS.md #5, generated from a seed: random clients, /24-strided
 * clients, CGNAT-heavy, and a stand-in for a capture from the lab (there is no lab yet).
 * Every flow goes to one VIP (IPv4 203.0.113.10, IPv6 2001:db8:ff::10), as a layer-4 VIP sees it.
 */
import { FlowKey, FlowKeyExtractor, FlowKeyStatus, Protocol } from '@switchyard/flowhash';
import { Ipv4Address, Ipv6Address, readPcap } from '@switchyard/wire';

export const VIP4 = Ipv4Address.parse('203.0.113.10');
export const VIP6 = Ipv6Address.parse('2001:db8:ff::10');

/** mulberry32: small, fast, and the same stream on every machine for a given seed. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

const int = (r: () => number, min: number, max: number) => min + Math.floor(r() * (max - min + 1));
/** Linux's default ephemeral range (net.ipv4.ip_local_port_range). */
const ephemeral = (r: () => number) => int(r, 32768, 60999);

export interface FlowSet {
  id: string;
  label: string;
  description: string;
  flows: FlowKey[];
  /** Distinct client addresses (how many sources the flows come from). */
  clients: number;
}

function countClients(flows: FlowKey[]): number {
  const seen = new Set<string>();
  for (const f of flows) seen.add(`${f.version}:${f.source.join('.')}`);
  return seen.size;
}

function set(id: string, label: string, description: string, flows: FlowKey[]): FlowSet {
  return { id, label, description, flows, clients: countClients(flows) };
}

/** Uniformly random client addresses and ephemeral ports, to VIP:443/TCP. */
export function randomFlows(count: number, seed: number): FlowSet {
  const r = rng(seed);
  const flows = Array.from({ length: count }, () =>
    FlowKey.ipv4(Math.floor(r() * 2 ** 32), VIP4, ephemeral(r), 443, Protocol.TCP),
  );
  return set(
    'random',
    'random',
    'uniformly random IPv4 client addresses and ephemeral ports (32768-60999) to VIP:443/TCP',
    flows,
  );
}

/**
 * One client per /24 (the .10 host of 10.a.b.0/24 for 1,024 consecutive /24s: one branch
 * office NAT or one server per subnet), 1/1024 of the flows each, random ephemeral ports.
 * Every source address is congruent mod 256, which is what breaks `% N` when N divides 256.
 */
export function stridedFlows(count: number, seed: number): FlowSet {
  const r = rng(seed);
  const base = Ipv4Address.parse('10.20.0.10');
  const subnets = 1024;
  const flows = Array.from({ length: count }, (_, i) =>
    FlowKey.ipv4(base + 256 * (i % subnets), VIP4, ephemeral(r), 443, Protocol.TCP),
  );
  return set(
    'strided24',
    '/24-strided',
    'one client per /24: 10.20.0.10, 10.20.1.10, ... (1,024 consecutive /24s, addresses 256 apart), random ephemeral ports, to VIP:443/TCP',
    flows,
  );
}

/**
 * Carrier-grade NAT: 16 public addresses (198.51.100.1-16) carry every flow, each translated
 * to a random port in 1024-65535 (RFC 6888 port ranges), to VIP:443/TCP.
 */
export function cgnatFlows(count: number, seed: number): FlowSet {
  const r = rng(seed);
  const base = Ipv4Address.parse('198.51.100.1');
  const flows = Array.from({ length: count }, () =>
    FlowKey.ipv4(base + int(r, 0, 15), VIP4, int(r, 1024, 65535), 443, Protocol.TCP),
  );
  return set(
    'cgnat',
    'CGNAT-heavy',
    '16 CGNAT public addresses (198.51.100.1-16), random ports 1024-65535, to VIP:443/TCP',
    flows,
  );
}

/**
 * A stand-in for a lab capture, built to look like a public VIP's traffic mix (NOT a capture):
 * - 55 % residential clients: 4,000 addresses in 12 ISP /16s, Zipf-like popularity (a few
 *   clients open many connections), ports from a per-client counter in the Linux range
 *   (consecutive connections of one client use nearby ports);
 * - 20 % from 8 CGNAT addresses with random ports;
 * - 10 % from one office /24 (10 hosts of 192.0.2.0/24);
 * - 15 % IPv6 clients in 2001:db8::/32 (random /64s, random interface ids), exercising the
 *   IPv6 extension of the additive formulas;
 * destination port 443 for 85 % and 80 for 15 %; 5 % of IPv4 flows are UDP/443 (QUIC).
 */
export function labStandInFlows(count: number, seed: number): FlowSet {
  const r = rng(seed);
  const isps = Array.from({ length: 12 }, () => int(r, 1, 223) * 2 ** 24 + int(r, 0, 255) * 2 ** 16);
  const residential = Array.from({ length: 4000 }, () => isps[int(r, 0, 11)]! + int(r, 1, 65534));
  const nextPort = residential.map(() => ephemeral(r));
  const cgnat = Array.from({ length: 8 }, (_, i) => Ipv4Address.parse('100.64.7.1') + i * 3);
  const office = Ipv4Address.parse('192.0.2.0');
  const zipf = () => Math.min(residential.length - 1, Math.floor(residential.length * r() ** 3));
  const flows: FlowKey[] = [];
  for (let i = 0; i < count; i++) {
    const dport = r() < 0.85 ? 443 : 80;
    const x = r();
    if (x < 0.15) {
      const src =
        (0x20010db8n << 96n) |
        (BigInt(int(r, 0, 0xffff)) << 64n) |
        (BigInt(int(r, 0, 2 ** 31)) << 32n) |
        BigInt(int(r, 0, 2 ** 31));
      flows.push(FlowKey.ipv6(src, VIP6, ephemeral(r), dport, Protocol.TCP));
      continue;
    }
    const proto = dport === 443 && r() < 0.05 ? Protocol.UDP : Protocol.TCP;
    if (x < 0.7) {
      const c = zipf();
      const port = nextPort[c]!;
      nextPort[c] = port >= 60999 ? 32768 : port + 1;
      flows.push(FlowKey.ipv4(residential[c]!, VIP4, port, dport, proto));
    } else if (x < 0.9) {
      flows.push(FlowKey.ipv4(cgnat[int(r, 0, 7)]!, VIP4, int(r, 1024, 65535), dport, proto));
    } else {
      flows.push(FlowKey.ipv4(office + int(r, 20, 29), VIP4, ephemeral(r), dport, proto));
    }
  }
  return set(
    'lab',
    'lab stand-in',
    'GENERATED stand-in for a lab capture (no lab exists yet): 55 % residential (4,000 clients, Zipf-like, sequential ports), 20 % 8 CGNAT addresses, 10 % one office /24, 15 % IPv6; dport 443 (85 %) / 80; 5 % of IPv4 flows UDP/443',
    flows,
  );
}

/** What the sample capture in packages/wire/examples/sample.pcap holds: its distinct flows (client → server direction as captured). */
export function flowsInPcap(bytes: Uint8Array): { frames: number; flows: string[] } {
  const pcap = readPcap(bytes);
  const ex = new FlowKeyExtractor();
  const key = new FlowKey();
  const seen = new Set<string>();
  for (const rec of pcap.records) {
    if (ex.extract(rec.data, key) !== FlowKeyStatus.OK) continue;
    const back = new FlowKey().copyFrom(key).reverse().toString();
    if (!seen.has(back)) seen.add(key.toString());
  }
  return { frames: pcap.records.length, flows: [...seen] };
}
