/**
 * Simulated frames per second through a 16-port switch with 8 hosts. Each host sends a
 * 64-byte frame every microsecond of virtual time to another host (known unicast, or with
 * `--broadcast-share` some broadcasts that the switch floods). The figure is switch
 * ingress frames per second of wall time; the median of the rounds is reported with the
 * raw rounds. Run: `pnpm --filter @switchyard/netsim run bench`.
 */
import { performance } from 'node:perf_hooks';
import { EtherType, ethernet, MacAddress } from '@switchyard/wire';
import { Duration, Simulator } from '../src/index.js';

const HOSTS = 8;
const PORTS = 16;
const FRAMES_PER_HOST = 25_000;
const ROUNDS = 5;

function round(broadcastShare: number, seed: number): { frames: number; delivered: number; ms: number } {
  const sim = new Simulator({ seed });
  const sw = sim.createSwitch({ ports: PORTS });
  const macs = Array.from({ length: HOSTS }, (_, i) => 0x02_00_00_00_00_01 + i);
  const hosts = macs.map((mac, i) =>
    sim.attach(sw.port(i), { mac, conditions: { delayNs: Duration.us(1) } }),
  );
  let delivered = 0;
  for (const h of hosts) h.onReceive(() => delivered++);
  const payload = new Uint8Array(50);
  // frames[i][j]: host i to host j; frames[i][i]: host i's broadcast.
  const frames = macs.map((src, i) =>
    macs.map((dst, j) =>
      ethernet.encode({
        destination: i === j ? MacAddress.BROADCAST : dst,
        source: src,
        tags: [],
        etherType: EtherType.LocalExperimental1,
        payload,
      }),
    ),
  );
  // Let the switch learn every host first.
  for (const [i, h] of hosts.entries()) h.send(frames[i]![i]!);
  sim.runUntilIdle();
  const rnd = sim.random.fork();
  const threshold = Math.floor(broadcastShare * 0x1_0000_0000);
  hosts.forEach((h, i) => {
    let left = FRAMES_PER_HOST;
    const tick = () => {
      const x = rnd.nextU32();
      const j = x < threshold ? i : (i + 1 + (x % (HOSTS - 1))) % HOSTS;
      h.send(frames[i]![j]!);
      if (--left > 0) sim.scheduler.after(Duration.us(1), tick);
    };
    sim.scheduler.after(Duration.us(1) + i, tick);
  });
  const before = sw.ports.reduce((n, p) => n + p.counters.rxFrames, 0);
  delivered = 0;
  const t0 = performance.now();
  sim.runUntilIdle();
  const ms = performance.now() - t0;
  const frames_ = sw.ports.reduce((n, p) => n + p.counters.rxFrames, 0) - before;
  return { frames: frames_, delivered, ms };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

console.log(
  `netsim switch benchmark: ${PORTS}-port switch, ${HOSTS} hosts, ${HOSTS * FRAMES_PER_HOST} frames per round`,
);
console.log(`node ${process.version} ${process.platform}/${process.arch}`);
round(0, 0); // warm-up
for (const share of [0, 0.1]) {
  const rates: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const { frames, delivered, ms } = round(share, r + 1);
    const rate = (frames / ms) * 1000;
    rates.push(rate);
    console.log(
      `  broadcast ${share * 100}% round ${r + 1}: ${fmt(frames)} frames in, ${fmt(delivered)} delivered, ${ms.toFixed(1)} ms, ${fmt(rate)} frames/s`,
    );
  }
  console.log(
    `broadcast ${share * 100}%: median ${fmt(median(rates))} switch frames/s (rounds: ${rates.map(fmt).join(', ')})`,
  );
}
