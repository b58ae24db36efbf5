/** The data plane of the `node-worker` reader: the same per-frame work as the C reader, counted in shared counters. */
import { serveReceiveWorker } from '@switchyard/link';

serveReceiveWorker(({ counters }) => ({
  onFrameRaw(ring, info) {
    counters[0] = counters[0]! + info.length;
    counters[1] = counters[1]! + ring[info.offset]!;
  },
}));
