/** The data plane of the `node-worker` reader: the same per-frame work as the C reader, counted in shared counters
 * (slots 0-1; slots 2-3: process CPU in µs and time in ms at the first frame). */
import { serveReceiveWorker } from '@switchyard/link';

serveReceiveWorker(({ counters }) => ({
  onFrameRaw(ring, info) {
    if (counters[2] === 0) {
      // CPU (process-wide, all threads) and time at the first frame, as the C reader takes them.
      const cpu = process.cpuUsage();
      counters[2] = cpu.user + cpu.system;
      counters[3] = performance.timeOrigin + performance.now();
    }
    counters[0] = counters[0]! + info.length;
    counters[1] = counters[1]! + ring[info.offset]!;
  },
}));
