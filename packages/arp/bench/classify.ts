/**
 * Cost of `handleFrame` per frame, as a ratio to wire's `decodeFrame` on the same frame in the
 * same run (the machine is shared: absolute times vary, ratios much less). Cases: a frame that
 * is not the responder's (IPv4 to the vMAC: what every node sees for every client packet), an
 * ARP request for the VIP (answered: includes building the reply), and a neighbor solicitation
 * for an IPv6 VIP (answered), each followed by `pollTransmit` as a driver would. Median of 5 rounds, raw rounds beside it.
 * Run: `pnpm --filter @switchyard/arp run bench`.
 */
import { performance } from 'node:perf_hooks';
import {
  ArpOperation,
  arp,
  decodeFrame,
  EtherType,
  ethernet,
  FrameDecoder,
  IpProtocol,
  Ipv4Address,
  Ipv6Address,
  icmpv6,
  ipv6,
  MacAddress,
} from '@switchyard/wire';
import { ArpResponder } from '../src/index.js';

const ROUNDS = 5;
const FRAMES = 200_000;

const mac = MacAddress.parse('02:00:00:00:00:0a');
const vmac = MacAddress.parse('02:53:59:00:00:01');
const client = MacAddress.parse('02:00:00:00:00:99');
const vip = Ipv4Address.parse('10.77.0.50');
const vip6 = Ipv6Address.parse('fd00:77::50');
const client6 = Ipv6Address.parse('fd00:77::1');

const ns = icmpv6.encode(
  {
    kind: 'neighbor-solicitation',
    code: 0,
    target: vip6,
    options: [{ kind: 'source-link-layer-address', address: client }],
  },
  undefined,
  0,
  { pseudo: { version: 6, source: client6, destination: Ipv6Address.solicitedNode(vip6) } },
);
const cases: Record<string, Uint8Array> = {
  'IPv4 to the vMAC (other)': ethernet.encode({
    destination: vmac,
    source: client,
    tags: [],
    etherType: EtherType.IPv4,
    payload: new Uint8Array(46),
  }),
  'ARP request for the VIP (answered)': ethernet.encode({
    destination: MacAddress.BROADCAST,
    source: client,
    tags: [],
    etherType: EtherType.ARP,
    payload: arp.encode({
      kind: 'ethernet-ipv4',
      operation: ArpOperation.REQUEST,
      senderHardwareAddress: client,
      senderProtocolAddress: Ipv4Address.parse('10.77.0.1'),
      targetHardwareAddress: 0,
      targetProtocolAddress: vip,
    }),
  }),
  'NS for the IPv6 VIP (answered)': ethernet.encode({
    destination: 0x3333_ff00_0050,
    source: client,
    tags: [],
    etherType: EtherType.IPv6,
    payload: ipv6.encode({
      trafficClass: 0,
      flowLabel: 0,
      hopLimit: 255,
      source: client6,
      destination: Ipv6Address.solicitedNode(vip6),
      extensionHeaders: [],
      protocol: IpProtocol.ICMPV6,
      payload: ns,
    }),
  }),
};

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function timeIt(fn: (i: number) => void): number {
  const t = performance.now();
  for (let i = 0; i < FRAMES; i++) fn(i);
  return ((performance.now() - t) * 1e6) / FRAMES;
}

const responder = new ArpResponder({
  mac,
  ipv4: Ipv4Address.parse('10.77.0.10'),
  vips: [
    { address: vip, vmac, active: true },
    { address: vip6, vmac, active: true },
  ],
});
const decoder = new FrameDecoder();

console.log('| frame | handleFrame ns (median) | decodeFrame ns (median) | ratio | handleFrame rounds |');
console.log('| --- | --- | --- | --- | --- |');
for (const [name, frame] of Object.entries(cases)) {
  const ours: number[] = [];
  const peer: number[] = [];
  // Like a driver: every frame in, then its reply (if any) out.
  const step = (i: number) => {
    responder.handleFrame(frame, i);
    responder.pollTransmit();
  };
  timeIt(step); // warm-up
  for (let r = 0; r < ROUNDS; r++) {
    peer.push(timeIt(() => decodeFrame(frame, decoder)));
    ours.push(timeIt(step));
  }
  const o = median(ours);
  const p = median(peer);
  console.log(
    `| ${name} | ${o.toFixed(0)} | ${p.toFixed(0)} | ${(o / p).toFixed(2)} | ${ours.map((x) => x.toFixed(0)).join(' · ')} |`,
  );
}
