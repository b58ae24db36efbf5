/** Timing and allocation measurement for in-process benchmarks. */
import v8 from 'node:v8';

/** One pass of a contender over the whole corpus; returns its hash so nothing is dead. */
export type Pass = () => number;

/** Nanoseconds for `passes` passes (process.hrtime.bigint, monotonic). */
export function timePasses(pass: Pass, passes: number, sink: { value: number }): number {
  let h = 0;
  const t0 = process.hrtime.bigint();
  for (let p = 0; p < passes; p++) h ^= pass();
  const t1 = process.hrtime.bigint();
  sink.value ^= h;
  return Number(t1 - t0);
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export function gc(): void {
  const g = (globalThis as { gc?: () => void }).gc;
  if (g !== undefined) g();
}

export function hasGc(): boolean {
  return typeof (globalThis as { gc?: unknown }).gc === 'function';
}

export interface AllocationResult {
  /** Decodes in the measured window. */
  decodes: number;
  /** Bytes allocated on the V8 heap in the window (see `measureAllocation`). */
  bytes: number;
  bytesPerDecode: number;
  /** Garbage collections that ran inside the window (their freed bytes are added back). */
  gcs: number;
}

/**
 * Bytes a pass allocates on the V8 heap, counted exactly even when collections run:
 * after a full `gc()`, a `v8.GCProfiler` records every collection in the window with the
 * heap's used size before and after it, so
 *
 *   allocated = usedAfterWindow - usedBeforeWindow + Σ (usedBeforeGC - usedAfterGC).
 *
 * Node 20 has no allocation counter (`getHeapStatistics()` has no total_allocated_bytes),
 * and a bare `heapUsed` delta undercounts as soon as a scavenge runs. The method is
 * checked at startup against loops of known allocation size. It counts only the JS heap:
 * ArrayBuffer backing stores (malloc) are not in it, which does not matter here because
 * no contender allocates one per frame (a Buffer slice is a heap object over the same store).
 */
export function measureAllocation(pass: Pass, passes: number, decodesPerPass: number): AllocationResult {
  gc();
  const profiler = new v8.GCProfiler();
  profiler.start();
  const before = v8.getHeapStatistics().used_heap_size;
  let h = 0;
  for (let p = 0; p < passes; p++) h ^= pass();
  const after = v8.getHeapStatistics().used_heap_size;
  const profile = profiler.stop();
  let freed = 0;
  for (const g of profile.statistics) {
    freed += g.beforeGC.heapStatistics.usedHeapSize - g.afterGC.heapStatistics.usedHeapSize;
  }
  if (h === 0.5) console.log(h); // keeps h live without printing anything
  const bytes = after - before + freed;
  const decodes = passes * decodesPerPass;
  return { decodes, bytes, bytesPerDecode: bytes / decodes, gcs: profile.statistics.length };
}

/** Loops of known allocation size, to show the allocation method reads true on this Node. */
export function calibrateAllocation(): { expected: number; measured: number; label: string }[] {
  let sink: unknown;
  const n = 100_000;
  const none: Pass = () => {
    let s = 0;
    for (let i = 0; i < n; i++) s = (s + i) | 0;
    return s;
  };
  // A two-property literal: map, properties, elements + 2 in-object fields = 5 words.
  const pairs: Pass = () => {
    let s = 0;
    for (let i = 0; i < n; i++) {
      const o = { a: i, b: i + 1 };
      sink = o;
      s += o.a;
    }
    return s;
  };
  const compressed = (process.config.variables as { v8_enable_pointer_compression?: unknown })
    .v8_enable_pointer_compression;
  const word = compressed === true || compressed === 1 || compressed === 'true' ? 4 : 8;
  for (let i = 0; i < 20; i++) {
    none();
    pairs();
  }
  const out = [
    { label: 'empty loop', expected: 0, measured: measureAllocation(none, 10, n).bytesPerDecode },
    {
      label: '{ a, b } per iteration',
      expected: 5 * word,
      measured: measureAllocation(pairs, 10, n).bytesPerDecode,
    },
  ];
  if (sink === undefined) console.log('unreachable');
  return out;
}
