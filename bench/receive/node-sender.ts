/**
 * Node's batched sender at full speed for BENCHMARKS.md #2: AfPacketLink.send (copy into
 * a native send slot) and one sendmmsg per 64 frames.
 *
 *   tsx receive/node-sender.ts <netns> <ifname> <seconds> <frameLength> <dstMacHex12>
 */
import { AfPacketLink, BpfOp } from '@switchyard/link';
import { MacAddress } from '@switchyard/wire';

const [netns, ifname, secondsArg, lenArg, dstHex] = process.argv.slice(2);
// The sender receives nothing: a filter that returns 0 drops every frame in the kernel.
const link = new AfPacketLink({
  interface: ifname!,
  netns: netns!,
  driver: 'manual',
  promiscuous: false,
  filter: [{ code: BpfOp.RET_K, jt: 0, jf: 0, k: 0 }],
  sendBatch: 64,
  ring: { blockSize: 4096, blockCount: 2 },
});
const frame = new Uint8Array(Number(lenArg));
MacAddress.write(MacAddress.parse(dstHex!.replace(/(..)(?!$)/g, '$1:')), frame, 0);
MacAddress.write(MacAddress.parse('02:00:00:00:00:01'), frame, 6);
frame[12] = 0x88;
frame[13] = 0xb5;
const dv = new DataView(frame.buffer);
const seconds = Number(secondsArg);
const cpu0 = process.cpuUsage();
const start = performance.now();
const end = start + seconds * 1000;
let offered = 0;
let refused = 0;
const sleeper = new Int32Array(new SharedArrayBuffer(4));
while (performance.now() < end) {
  for (let i = 0; i < 64; i++) {
    dv.setUint32(14, offered++);
    if (!link.send(frame)) {
      refused++;
      Atomics.wait(sleeper, 0, 0, 0.05); // device queue full: back off 50 us
      break;
    }
  }
  link.flush();
}
link.flush();
const took = (performance.now() - start) / 1000;
const cpu = process.cpuUsage(cpu0);
const sent = link.counters.txFrames - link.counters.txErrors;
process.stdout.write(
  `${JSON.stringify({ frames: sent, seconds: took, rate: sent / took, refused, batches: link.counters.txBatches, cpuNs: (cpu.user + cpu.system) * 1000 })}\n`,
);
link.close();
