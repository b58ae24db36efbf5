/**
 * The Node side of BENCHMARKS.md #2: an AfPacketLink on the main thread (reactor driver,
 * the default) doing the same per-frame work as the C reader: read the length and the
 * first byte. `view` hands each frame as a Uint8Array view (the Link interface); `raw`
 * uses the allocation-free handler (ring, offset, length); `worker` runs the ring in a
 * ReceiveWorker (blocking poll in the worker thread) and reads its shared counters.
 *
 *   tsx receive/node-reader.ts <netns> <ifname> <raw|view|worker> <blockSize> <blockCount> <idleMs> <maxMs>
 *
 * Prints "ready" once bound, then one JSON line after the stream stopped for idleMs.
 */
import { AfPacketLink, ReceiveWorker } from '@switchyard/link';

const [netns, ifname, mode, bs, bn, idleArg, maxArg] = process.argv.slice(2);
const idleMs = Number(idleArg);
const maxMs = Number(maxArg);
/**
 * How often the harness looks for the end of the stream. The CPU it costs is charged to the
 * reader (process.cpuUsage() counts every thread), so it stays coarse: the C reader spends
 * nothing on it while frames flow, and the idle limit (300 ms) needs no finer steps.
 */
const TICK_MS = 50;
if (mode === 'worker') await runWorker();

async function runWorker(): Promise<never> {
  const w = await ReceiveWorker.start(new URL('./worker-entry.mjs', import.meta.url), {
    link: { interface: ifname!, netns: netns!, ring: { blockSize: Number(bs), blockCount: Number(bn) } },
    counterSlots: 4,
  });
  process.stdout.write('ready\n');
  const start = performance.now();
  let seen = 0;
  let lastChange = start;
  for (;;) {
    await new Promise((r) => setTimeout(r, TICK_MS));
    const now = performance.now();
    const frames = w.counters().rxFrames;
    if (frames !== seen) {
      seen = frames;
      lastChange = now;
      continue;
    }
    if ((frames > 0 && now - lastChange > idleMs) || (frames === 0 && now - start > maxMs)) {
      const cpu = process.cpuUsage();
      await w.close();
      const c = w.counters();
      const [bytes, , cpu0, first] = w.userCounters();
      const firstMs = first! - performance.timeOrigin;
      process.stdout.write(
        `${JSON.stringify({ frames, bytes, cpuNs: frames > 0 ? (cpu.user + cpu.system - cpu0!) * 1000 : 0, wallNs: frames > 0 ? Math.round((lastChange - firstMs) * 1e6) : 0, kernelPackets: c.kernelPackets, kernelDrops: c.kernelDrops, blocks: c.blocks })}\n`,
      );
      process.exit(0);
    }
  }
}

const link = new AfPacketLink({
  interface: ifname!,
  netns: netns!,
  ring: { blockSize: Number(bs), blockCount: Number(bn) },
});
let frames = 0;
let bytes = 0;
let sink = 0;
let cpu0: NodeJS.CpuUsage | undefined;
let first = 0;
if (mode === 'raw') {
  link.onReceiveRaw((ring, info) => {
    if (frames++ === 0) {
      cpu0 = process.cpuUsage();
      first = performance.now();
    }
    bytes += info.length;
    sink += ring[info.offset]!;
  });
} else {
  link.onReceive((frame) => {
    if (frames++ === 0) {
      cpu0 = process.cpuUsage();
      first = performance.now();
    }
    bytes += frame.length;
    sink += frame[0]!;
  });
}
const start = performance.now();
let seen = 0;
let lastChange = start;
const tick = setInterval(() => {
  const now = performance.now();
  if (frames !== seen) {
    seen = frames;
    lastChange = now;
    return;
  }
  if ((frames > 0 && now - lastChange > idleMs) || (frames === 0 && now - start > maxMs)) {
    clearInterval(tick);
    const cpu = cpu0 === undefined ? { user: 0, system: 0 } : process.cpuUsage(cpu0);
    const c = link.refreshStatistics();
    process.stdout.write(
      `${JSON.stringify({
        frames,
        bytes,
        cpuNs: (cpu.user + cpu.system) * 1000,
        wallNs: Math.round((lastChange - first) * 1e6),
        kernelPackets: c.kernelPackets,
        kernelDrops: c.kernelDrops,
        blocks: c.blocks,
        sink,
      })}\n`,
    );
    link.close();
  }
}, TICK_MS);
process.stdout.write('ready\n');
