/**
 * Cost of `Dataplane.handleFrame` per frame, as a ratio to wire's `decodeFrame` alone on the
 * same frames in the same run (the machine is shared: absolute times vary, ratios much less).
 * Frames sit in one buffer, as a receive ring hands them over. Corpora: a mixed one (what a
 * node of a busy cluster sees: mostly established TCP, some SYNs, UDP, traffic for other nodes,
 * ARP, heartbeats, noise), and one per VIP configuration to show what each policy and mode adds.
 * Median of 5 rounds, raw rounds beside it. Run: `pnpm --filter @switchyard/dataplane run bench`.
 */
import { performance } from 'node:perf_hooks';
import { extractFlowKey, FlowHasher, FlowKey } from '@switchyard/flowhash';
import { decodeFrame, FrameDecoder } from '@switchyard/wire';
import { buildSnapshot, Dataplane, type VipConfig } from '../src/index.js';
import {
  arpRequest,
  CLIENT,
  HASH_KEY,
  heartbeatFrame,
  icmp4Error,
  NODE_MAC,
  NOT_A_VIP,
  ringOf,
  TcpFlag,
  tcp4,
  udp4,
  VIP,
} from '../test/helpers.js';

const ROUNDS = 5;
const FRAMES = 1_000_000;
const FLOWS = 4096;

/** Client flows from many addresses: SYN once per flow up front, then the mix. */
function corpus(mixed: boolean): { warm: Uint8Array[]; frames: Uint8Array[] } {
  const warm: Uint8Array[] = [];
  const frames: Uint8Array[] = [];
  for (let i = 0; i < FLOWS; i++) {
    const ip = { source: CLIENT + (i >>> 4) * 7 };
    const sourcePort = 30000 + (i & 0xf) * 131;
    warm.push(tcp4({ flags: TcpFlag.SYN, sourcePort }, ip));
    frames.push(
      tcp4({ flags: TcpFlag.ACK, sourcePort, payload: new Uint8Array(i % 3 === 0 ? 1400 : 0) }, ip),
    );
    if (!mixed) continue;
    if (i % 8 === 0) frames.push(tcp4({ flags: TcpFlag.SYN, sourcePort: sourcePort + 1 }, ip));
    if (i % 8 === 1) frames.push(udp4({ sourcePort }, ip));
    if (i % 16 === 2)
      frames.push(tcp4({ flags: TcpFlag.ACK, sourcePort }, { ...ip, destination: NOT_A_VIP }));
    if (i % 64 === 3) frames.push(arpRequest(), heartbeatFrame(), icmp4Error({ sourcePort }));
    if (i % 64 === 4) frames.push(new Uint8Array(60).fill(i & 0xff));
  }
  return { warm, frames };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function bench(name: string, vip: Partial<VipConfig>, mixed: boolean) {
  const vips: VipConfig[] = [{ address: VIP, ports: [80, 53], ...vip }];
  const dp = new Dataplane({
    mac: NODE_MAC,
    vips,
    flows: { capacity: FLOWS * 4, idleTimeoutMs: 1e12, closingTimeoutMs: 1e12 },
    hashKey: HASH_KEY,
  });
  dp.publish(buildSnapshot({ vips, selfId: 1, members: [1], activeByVip: new Map([[VIP, 1]]) }));
  const { warm, frames } = corpus(mixed);
  for (const f of warm) dp.handleFrame(f, 0);
  const r = ringOf(frames);
  const decoder = new FrameDecoder();
  const time = (fn: (k: number) => void) => {
    const t = performance.now();
    for (let i = 0, k = 0; i < FRAMES; i++, k = k + 1 === r.count ? 0 : k + 1) fn(k);
    return ((performance.now() - t) * 1e6) / FRAMES;
  };
  const ours = (k: number) => dp.handleFrame(r.ring, 1, r.offsets[k]!, r.lengths[k]!);
  const peer = (k: number) => decodeFrame(r.ring, decoder, r.offsets[k]!, r.lengths[k]!);
  // The share of the keyed hash: decode, extract the key and SipHash it, nothing else.
  const hasher = new FlowHasher({ key: HASH_KEY });
  const key = new FlowKey();
  const hashOnly = (k: number) => {
    decodeFrame(r.ring, decoder, r.offsets[k]!, r.lengths[k]!);
    extractFlowKey(decoder, key);
    hasher.hash(key);
  };
  time(ours); // warm-up
  time(peer);
  time(hashOnly);
  const o: number[] = [];
  const p: number[] = [];
  const h: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    p.push(time(peer));
    h.push(time(hashOnly));
    o.push(time(ours));
  }
  const c = dp.counters();
  const delivered = (c.deliveredNew + c.deliveredFlow + c.deliveredIcmpError) / c.frames;
  console.log(
    `| ${name} | ${median(o).toFixed(0)} | ${median(p).toFixed(0)} | ${(median(o) / median(p)).toFixed(2)} | ${median(h).toFixed(0)} | ${(delivered * 100).toFixed(0)} % | ${o.map((x) => x.toFixed(0)).join(' · ')} |`,
  );
}

console.log(`Node ${process.version}, ${FRAMES.toLocaleString('en')} frames per round, ${FLOWS} flows held`);
console.log(
  '| corpus / VIP | handleFrame ns | decodeFrame ns | ratio | decode + key + SipHash ns | delivered | handleFrame rounds |',
);
console.log('| --- | --- | --- | --- | --- | --- | --- |');
bench('mixed, active-passive sticky', {}, true);
bench('established TCP, active-passive sticky', {}, false);
bench('established TCP, active-passive stateless', { nonSyn: 'stateless' }, false);
bench('established TCP, additive3 stateless', { policy: 'additive3', nonSyn: 'stateless' }, false);
bench('established TCP, rendezvous stateless', { policy: 'rendezvous', nonSyn: 'stateless' }, false);
