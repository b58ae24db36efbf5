/**
 * BENCHMARKS.md #1, codec and classify cost:
 *
 *   pnpm --filter @switchyard/bench run codec
 *
 * ns per frame to decode a mixed corpus and reach a verdict, for `decodeFrame` from
 * `@switchyard/wire`, a DataView ceiling, and the npm `pcap` package's decoder; plus
 * bytes allocated per decode. Writes results/codec.json and results/codec.md. Targets are
 * reported PASS/MISS and never fail the run (shared machines are noisy); only a
 * disagreement between contenders about the corpus does, since then the figures mean nothing.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FrameDecoder } from '@switchyard/wire';
import type { PacketWithHeader } from 'pcap/decode';
import { machine, repoRoot, resultsDir, source, writeResults } from '../common/results.js';
import {
  classifyCeiling,
  classifyNothing,
  classifyPcap,
  classifyPcapEthernet,
  classifyWire,
  VERDICT_SLOTS,
  Verdict,
} from './contenders.js';
import { buildCorpus, MIX, VLAN_SHARE } from './corpus.js';
import {
  type AllocationResult,
  calibrateAllocation,
  gc,
  hasGc,
  measureAllocation,
  median,
  type Pass,
  timePasses,
} from './measure.js';

const FRAMES = 4096;
const SEED = 0x5717_c4a1;
const ROUNDS = 9;
/** Target length of one timed sample (one contender, one round). */
const SAMPLE_MS = 100;
const WARMUP_MS = 300;
/** Decodes in each allocation window. */
const ALLOCATION_DECODES = 1_000_000;
/** Bytes per decode below which a loop counts as non-allocating (one 16-byte object every 160 decodes). */
const ZERO_ALLOCATION_THRESHOLD = 0.1;

const TARGETS = {
  ceilingRatio: 2,
  pcapRatio: 10,
} as const;

interface Contender {
  id: string;
  label: string;
  pass: Pass;
  counts: Uint32Array;
  passes: number;
  rounds: number[];
  allocation?: AllocationResult;
}

const require = createRequire(import.meta.url);

/** Which @switchyard/wire is measured: the workspace source via bench/tsconfig.json paths, run by tsx. */
function wireBuild(): { version: string; entry: string } {
  const version = (require('@switchyard/wire/package.json') as { version: string }).version;
  const entry = fileURLToPath(import.meta.resolve('@switchyard/wire'));
  return { version, entry: entry.startsWith(repoRoot) ? entry.slice(repoRoot.length + 1) : entry };
}

const fmt = (x: number, digits = 1) => (Number.isFinite(x) ? x.toFixed(digits) : 'n/a');

function main(): number {
  const startedAt = new Date();
  const loadBefore = os.loadavg();
  if (!hasGc())
    console.warn('warning: run with --expose-gc (tsx --expose-gc) for a clean heap before each sample');

  const wire = wireBuild();

  // --- corpus -------------------------------------------------------------------------
  const corpus = buildCorpus(FRAMES, SEED);
  const { bytes, offsets, lengths, headerOffsets } = corpus;
  mkdirSync(join(resultsDir, 'tmp'), { recursive: true });
  writeFileSync(join(resultsDir, 'tmp', 'codec-corpus.pcap'), bytes);

  // --- contenders ---------------------------------------------------------------------
  const contenders: Contender[] = [];
  const notRun: { peer: string; reason: string }[] = [
    {
      peer: 'pcap@3.1.0 live capture (native binding)',
      reason:
        'not built on purpose (pnpm onlyBuiltDependencies); this benchmark is in process and uses only its pure-JS decoder',
    },
  ];
  const add = (id: string, label: string, make: (counts: Uint32Array) => Pass) => {
    const counts = new Uint32Array(VERDICT_SLOTS);
    contenders.push({ id, label, pass: make(counts), counts, passes: 1, rounds: [] });
  };

  const decoder = new FrameDecoder();
  add(
    'decodeFrame',
    '@switchyard/wire decodeFrame + view getters',
    (c) => () => classifyWire(bytes, offsets, lengths, decoder, c),
  );
  const dv = new DataView(corpus.ring);
  add(
    'ceiling',
    'ceiling: one DataView, fixed offsets, no validation',
    (c) => () => classifyCeiling(dv, offsets, lengths, c),
  );

  let pcap: typeof import('pcap/decode') | undefined;
  try {
    pcap = require('pcap/decode') as typeof import('pcap/decode');
  } catch (e) {
    notRun.push({ peer: 'pcap@3.1.0 decoder', reason: `require('pcap/decode') failed: ${String(e)}` });
  }
  if (pcap !== undefined) {
    // What a node_pcap session emits per packet: the frame and its pcap record header. Built
    // once, outside the timed loop (a session reuses one buffer and copies each frame in).
    const packets: PacketWithHeader[] = Array.from(offsets, (off, i) => ({
      buf: Buffer.from(corpus.ring, off, lengths[i]!),
      header: Buffer.from(corpus.ring, headerOffsets[i]!, 16),
      link_type: 'LINKTYPE_ETHERNET' as const,
    }));
    const { decode, EthernetPacket } = pcap;
    add(
      'pcap',
      'pcap@3.1.0 decode.packet (record header + Ethernet)',
      (c) => () => classifyPcap(decode, packets, c),
    );
    add(
      'pcapEthernet',
      'pcap@3.1.0 new EthernetPacket().decode',
      (c) => () => classifyPcapEthernet(EthernetPacket, packets, c),
    );
  }
  const byId = (id: string) => contenders.find((c) => c.id === id);

  // --- agreement: every contender reads the same fields and reaches the same verdicts ---
  const reference = byId('ceiling')!;
  const agreement: Record<string, { hash: number; counts: number[] }> = {};
  for (const c of contenders) {
    c.counts.fill(0);
    const hash = c.pass() >>> 0;
    agreement[c.id] = { hash, counts: Array.from(c.counts) };
  }
  const ref = agreement[reference.id]!;
  const disagree = contenders.filter((c) => {
    const a = agreement[c.id]!;
    return a.hash !== ref.hash || a.counts.join() !== ref.counts.join();
  });
  if (disagree.length > 0) {
    console.error('contenders disagree about the corpus; figures would be meaningless:');
    console.error(JSON.stringify(agreement, null, 2));
    return 1;
  }

  // --- warm-up and calibration ----------------------------------------------------------
  const sink = { value: 0 };
  for (const c of contenders) {
    let spent = 0;
    let passes = 0;
    while (spent < WARMUP_MS * 1e6 || passes < 20) {
      spent += timePasses(c.pass, 1, sink);
      passes++;
    }
    const nsPerPass = timePasses(c.pass, 5, sink) / 5;
    c.passes = Math.max(1, Math.round((SAMPLE_MS * 1e6) / nsPerPass));
  }

  // --- timed rounds, interleaved --------------------------------------------------------
  for (let r = 0; r < ROUNDS; r++) {
    for (const c of contenders) {
      gc();
      const ns = timePasses(c.pass, c.passes, sink);
      c.rounds.push(ns / (c.passes * FRAMES));
    }
  }

  // --- bytes allocated per decode -------------------------------------------------------
  const calibration = calibrateAllocation();
  const allocationPasses = Math.ceil(ALLOCATION_DECODES / FRAMES);
  for (const c of contenders) c.allocation = measureAllocation(c.pass, allocationPasses, FRAMES);
  const floorCounts = new Uint32Array(VERDICT_SLOTS);
  const floorPass: Pass = () => classifyNothing(offsets, lengths, floorCounts);
  for (let i = 0; i < 50; i++) floorPass();
  const floor = measureAllocation(floorPass, allocationPasses, FRAMES);

  // --- results --------------------------------------------------------------------------
  const med = (id: string) => {
    const c = byId(id);
    return c === undefined ? Number.NaN : median(c.rounds);
  };
  const ratios = {
    decodeFrameOverCeiling: med('decodeFrame') / med('ceiling'),
    pcapOverDecodeFrame: med('pcap') / med('decodeFrame'),
    pcapEthernetOverDecodeFrame: med('pcapEthernet') / med('decodeFrame'),
  };
  const wireBytes = byId('decodeFrame')!.allocation!.bytesPerDecode;
  const targets = [
    {
      name: 'decodeFrame within 2x of the ceiling',
      goal: `decodeFrame / ceiling <= ${TARGETS.ceilingRatio}`,
      measured: ratios.decodeFrameOverCeiling,
      pass: ratios.decodeFrameOverCeiling <= TARGETS.ceilingRatio,
    },
    {
      name: 'decodeFrame at least 10x faster than the pcap decoder',
      goal: `pcap decode.packet / decodeFrame >= ${TARGETS.pcapRatio}`,
      measured: ratios.pcapOverDecodeFrame,
      pass: ratios.pcapOverDecodeFrame >= TARGETS.pcapRatio,
    },
    {
      name: 'zero bytes allocated per decodeFrame',
      goal: `bytes per decode <= ${ZERO_ALLOCATION_THRESHOLD} (less than one 16-byte object per 160 decodes)`,
      measured: wireBytes,
      pass: wireBytes <= ZERO_ALLOCATION_THRESHOLD,
    },
  ];

  const result = {
    benchmark: 'codec',
    description:
      'BENCHMARKS.md #1: ns per frame to decode a mixed corpus and reach a verdict; bytes per decode',
    command: 'pnpm --filter @switchyard/bench run codec',
    date: startedAt.toISOString(),
    durationSeconds: (Date.now() - startedAt.getTime()) / 1000,
    machine: machine(loadBefore),
    source: { ...source(['packages/wire/src']), wire },
    corpus: {
      frames: FRAMES,
      seed: SEED,
      frameBytes: corpus.frameBytes,
      ringBytes: corpus.ring.byteLength,
      meanFrameLength: Number((corpus.frameBytes / FRAMES).toFixed(1)),
      layout:
        'one ArrayBuffer laid out as a pcap file: 24-byte file header, then a 16-byte record header before each frame',
      weights: MIX,
      vlanShare: VLAN_SHARE,
      counts: corpus.counts,
      verdicts: Object.fromEntries(Object.entries(Verdict).map(([k, slot]) => [k, ref.counts[slot]])),
      written: 'bench/results/tmp/codec-corpus.pcap',
    },
    method: {
      timing: `${ROUNDS} rounds, contenders interleaved in each round (${contenders.map((c) => c.id).join(', ')}); a round times one contender for about ${SAMPLE_MS} ms of whole passes over the corpus with process.hrtime.bigint(), after gc(); ns/frame = elapsed / (passes x frames); the median of the rounds is reported and the raw rounds are kept. Warm-up: ${WARMUP_MS} ms and at least 20 passes per contender before calibration.`,
      verdict:
        'every contender folds the same fields into one hash (EtherType; IP source, destination, protocol, IPv6 by the low 32 bits of each address; TCP ports and flag byte; UDP ports; ARP operation and target IP) and counts verdicts; all must agree with the ceiling before anything is timed',
      allocation: `v8.GCProfiler around ${allocationPasses * FRAMES} decodes after gc(): allocated = heap used after - heap used before + bytes freed by each collection inside the window (before - after, from the profiler). Exact across scavenges; JS heap only. Floor (loop that decodes nothing): ${fmt(floor.bytesPerDecode, 3)} B per iteration. Calibration: ${calibration.map((c) => `${c.label} expected ${c.expected} B, measured ${fmt(c.measured, 2)} B`).join('; ')}.`,
      pcapInput:
        'pcap gets one prebuilt { buf, header, link_type } per frame (Buffer views into the ring), as a node_pcap session emits them; building them is not timed, and neither is the copy a live session does per packet',
    },
    contenders: Object.fromEntries(
      contenders.map((c) => [
        c.id,
        {
          label: c.label,
          passesPerRound: c.passes,
          roundsNsPerFrame: c.rounds.map((x) => Number(x.toFixed(3))),
          medianNsPerFrame: Number(median(c.rounds).toFixed(3)),
          minNsPerFrame: Number(Math.min(...c.rounds).toFixed(3)),
          maxNsPerFrame: Number(Math.max(...c.rounds).toFixed(3)),
          allocation: c.allocation,
          hash: agreement[c.id]!.hash,
        },
      ]),
    ),
    allocationFloor: floor,
    allocationCalibration: calibration,
    ratios,
    targets,
    notRun,
  };

  // --- Markdown -------------------------------------------------------------------------
  const ceiling = med('ceiling');
  const lines: string[] = [];
  lines.push('# Codec and classify cost (BENCHMARKS.md #1)');
  lines.push('');
  lines.push(
    `${result.date} · Node ${process.version} · ${result.machine.cpuModel} ×${result.machine.cpuCount} · load ${loadBefore.map((x) => x.toFixed(2)).join(' ')} · ` +
      `corpus ${FRAMES} frames (${corpus.frameBytes} bytes, seed 0x${SEED.toString(16)}) · median of ${ROUNDS} interleaved rounds`,
  );
  lines.push('');
  lines.push('| Contender | median ns/frame | min–max ns/frame | × ceiling | bytes/decode |');
  lines.push('| --- | ---: | ---: | ---: | ---: |');
  for (const id of ['ceiling', 'decodeFrame', 'pcap', 'pcapEthernet']) {
    const c = byId(id);
    if (c === undefined) continue;
    const m = median(c.rounds);
    lines.push(
      `| ${c.label} | ${fmt(m)} | ${fmt(Math.min(...c.rounds))}–${fmt(Math.max(...c.rounds))} | ${fmt(m / ceiling, 2)} | ${fmt(c.allocation!.bytesPerDecode, 2)} |`,
    );
  }
  lines.push('');
  lines.push('| Target | Goal | Measured | Result |');
  lines.push('| --- | --- | ---: | --- |');
  for (const t of targets) {
    lines.push(`| ${t.name} | ${t.goal} | ${fmt(t.measured, 2)} | ${t.pass ? 'PASS' : 'MISS'} |`);
  }
  lines.push('');
  lines.push(
    `pcap's lighter entry (EthernetPacket.decode, no record header) is ${fmt(ratios.pcapEthernetOverDecodeFrame, 1)}× decodeFrame.`,
  );
  lines.push('');
  lines.push(`Raw rounds (ns/frame):`);
  lines.push('');
  lines.push(`| Round | ${contenders.map((c) => c.id).join(' | ')} |`);
  lines.push(`| ---: | ${contenders.map(() => '---:').join(' | ')} |`);
  for (let r = 0; r < ROUNDS; r++) {
    lines.push(`| ${r + 1} | ${contenders.map((c) => fmt(c.rounds[r]!, 2)).join(' | ')} |`);
  }
  lines.push('');
  lines.push(`Bytes allocated: ${result.method.allocation}`);
  lines.push('');
  lines.push(`Timing: ${result.method.timing}`);
  lines.push('');
  lines.push(`Not run: ${notRun.map((n) => `${n.peer}: ${n.reason}`).join('; ')}.`);
  const markdown = `${lines.join('\n')}\n`;

  writeResults('codec', result, markdown, result.durationSeconds);
  if (sink.value === 0.5) console.log(sink.value);
  return 0;
}

process.exitCode = main();
