/**
 * BENCHMARKS.md #2, receive path:
 *
 *   pnpm bench:receive        (root; runs `tsx receive/run.ts` in bench/)
 *
 * Frames/s and CPU-ns per frame that `@switchyard/link` takes off a veth at 100k, 200k and
 * 400k offered frames/s and at the sender's maximum, beside a small C TPACKET_V3 reader
 * (same ring geometry, same per-frame work) built with gcc and run in the same run. The
 * sender is a small C sendmmsg sender with rate pacing, in its own namespace. Then the send
 * rate of Node's batched sender beside the C sendmmsg sender (and a C PACKET_TX_RING sender,
 * which decides whether the link should use a TX ring). Writes results/receive.json and
 * results/receive.md. Targets are reported PASS/MISS and never fail the run.
 *
 * Needs root (namespaces, veth, packet sockets); installs gcc with apt-get when missing.
 * Everything runs in two namespaces this run creates and removes.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { machine, resultsDir, source, writeResults } from '../common/results.js';

const here = dirname(fileURLToPath(import.meta.url));
const benchDir = join(here, '..');
const tmpDir = join(resultsDir, 'tmp');

const RATES = [100_000, 200_000, 400_000, 0] as const; // 0: the sender's maximum
const ROUNDS = 3;
const SECONDS = 2;
const FRAME_LENGTH = 60;
const BLOCK_SIZE = 256 * 1024;
const BLOCK_COUNT = 64;
const IDLE_MS = 300;
const READERS = ['c', 'node-worker', 'node-raw', 'node-view'] as const;
type ReaderId = (typeof READERS)[number];
const READER_LABEL: Record<ReaderId, string> = {
  c: 'C TPACKET_V3 reader (ceiling)',
  'node-worker': 'ReceiveWorker: ring in a worker thread, raw handler',
  'node-raw': 'AfPacketLink, raw handler (ring, offset)',
  'node-view': 'AfPacketLink, Uint8Array view per frame',
};
/** Reader and sender on different CPUs when there are two (the veth receive softirq runs on the sender's). */
const TWO_CPUS = os.cpus().length >= 2;
const READER_CPU = ['-c', TWO_CPUS ? '1' : '0'];
const SENDER_CPU = ['-c', '0'];
const TARGETS = { zeroDropsAt: 200_000, cpuRatio: 1.5 } as const;

interface ReaderResult {
  frames: number;
  bytes: number;
  cpuNs: number;
  wallNs: number;
  kernelPackets: number;
  kernelDrops: number;
}
interface SenderResult {
  frames: number;
  seconds: number;
  rate: number;
  cpuNs?: number;
}
interface Sample {
  rate: number;
  reader: ReaderId;
  round: number;
  sender: SenderResult;
  result: ReaderResult;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const fmt = (x: number, d = 1) => (Number.isFinite(x) ? x.toFixed(d) : 'n/a');
const sh = (cmd: string, args: string[]) =>
  execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

function ensureGcc(): string {
  try {
    return sh('gcc', ['--version']).split('\n')[0]!;
  } catch {
    console.log('gcc missing: apt-get install -y gcc');
    execFileSync('apt-get', ['update'], { stdio: 'inherit' });
    execFileSync('apt-get', ['install', '-y', 'gcc'], {
      stdio: 'inherit',
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
    return sh('gcc', ['--version']).split('\n')[0]!;
  }
}

/** Spawns a child, resolves with its first line equal to "ready" and then its last JSON line. */
function startChild(
  cmd: string,
  args: string[],
): { ready: Promise<void>; done: Promise<string>; child: ChildProcess } {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'inherit'], cwd: benchDir });
  const lines = createInterface({ input: child.stdout! });
  let readyResolve: () => void = () => {};
  const ready = new Promise<void>((r) => {
    readyResolve = r;
  });
  const done = new Promise<string>((resolve, reject) => {
    let last = '';
    lines.on('line', (l) => {
      if (l === 'ready') readyResolve();
      else last = l;
    });
    child.on('exit', (code) =>
      code === 0 ? resolve(last) : reject(new Error(`${cmd} ${args.join(' ')} exited ${code}`)),
    );
  });
  return { ready, done, child };
}

async function main(): Promise<number> {
  if (process.getuid?.() !== 0) {
    console.error('bench:receive needs root (network namespaces, veth, AF_PACKET)');
    return 1;
  }
  const startedAt = new Date();
  const loadBefore = os.loadavg();
  const gcc = ensureGcc();
  mkdirSync(tmpDir, { recursive: true });
  const readerBin = join(tmpDir, 'receive-reader');
  const senderBin = join(tmpDir, 'receive-sender');
  sh('gcc', ['-O2', '-Wall', '-o', readerBin, join(here, 'c', 'reader.c')]);
  sh('gcc', ['-O2', '-Wall', '-o', senderBin, join(here, 'c', 'sender.c')]);

  const prefix = `sybr${process.pid}${Math.floor(Math.random() * 1e6).toString(36)}`;
  const nsS = `${prefix}s`;
  const nsR = `${prefix}r`;
  const cleanup = () => {
    for (const ns of [nsS, nsR])
      try {
        sh('ip', ['netns', 'del', ns]);
      } catch {
        // not created
      }
  };
  process.on('SIGINT', () => {
    cleanup();
    process.exit(130);
  });
  const samples: Sample[] = [];
  const sendRuns: { id: string; label: string; rounds: SenderResult[] }[] = [
    { id: 'c-mmsg', label: 'C sendmmsg (32 per call)', rounds: [] },
    { id: 'c-ring', label: 'C PACKET_TX_RING (TPACKET_V2)', rounds: [] },
    { id: 'node', label: 'AfPacketLink.send + sendmmsg (64 per call)', rounds: [] },
  ];
  let dstMac = '';
  try {
    for (const ns of [nsS, nsR]) {
      sh('ip', ['netns', 'add', ns]);
      sh('ip', [
        'netns',
        'exec',
        ns,
        'sysctl',
        '-q',
        '-w',
        'net.ipv6.conf.all.disable_ipv6=1',
        'net.ipv6.conf.default.disable_ipv6=1',
      ]);
    }
    sh('ip', [
      'link',
      'add',
      `${prefix.slice(-6)}x`,
      'netns',
      nsS,
      'type',
      'veth',
      'peer',
      'name',
      `${prefix.slice(-6)}y`,
      'netns',
      nsR,
    ]);
    sh('ip', ['netns', 'exec', nsS, 'ip', 'link', 'set', `${prefix.slice(-6)}x`, 'name', 'vs', 'up']);
    sh('ip', ['netns', 'exec', nsR, 'ip', 'link', 'set', `${prefix.slice(-6)}y`, 'name', 'vr', 'up']);
    dstMac = JSON.parse(
      sh('ip', ['netns', 'exec', nsR, 'ip', '-j', 'link', 'show', 'vr']),
    )[0].address.replaceAll(':', '');

    const tsx = ['--import', 'tsx'];
    for (const rate of RATES) {
      for (let round = 0; round < ROUNDS; round++) {
        for (const reader of READERS) {
          const r =
            reader === 'c'
              ? startChild('taskset', [
                  ...READER_CPU,
                  'ip',
                  'netns',
                  'exec',
                  nsR,
                  readerBin,
                  'vr',
                  String(BLOCK_SIZE),
                  String(BLOCK_COUNT),
                  String(IDLE_MS),
                  '10000',
                ])
              : startChild('taskset', [
                  ...READER_CPU,
                  process.execPath,
                  ...tsx,
                  join(here, 'node-reader.ts'),
                  nsR,
                  'vr',
                  reader === 'node-raw' ? 'raw' : reader === 'node-worker' ? 'worker' : 'view',
                  String(BLOCK_SIZE),
                  String(BLOCK_COUNT),
                  String(IDLE_MS),
                  '10000',
                ]);
          await r.ready;
          await new Promise((res) => setTimeout(res, 100));
          const sender = JSON.parse(
            sh('taskset', [
              ...SENDER_CPU,
              'ip',
              'netns',
              'exec',
              nsS,
              senderBin,
              'vs',
              'mmsg',
              String(rate),
              String(SECONDS),
              String(FRAME_LENGTH),
              dstMac,
            ]),
          ) as SenderResult;
          const result = JSON.parse(await r.done) as ReaderResult;
          samples.push({ rate, reader, round, sender, result });
          const drops = result.kernelDrops;
          console.log(
            `${rate === 0 ? 'max' : rate} ${reader} round ${round + 1}: sent ${sender.frames} (${fmt(sender.rate / 1e3)}k/s), got ${result.frames}, drops ${drops}, ${fmt(result.cpuNs / Math.max(1, result.frames))} cpu-ns/frame`,
          );
        }
      }
    }
    for (let round = 0; round < ROUNDS; round++) {
      for (const s of sendRuns) {
        const out =
          s.id === 'node'
            ? await startChild(process.execPath, [
                ...tsx,
                join(here, 'node-sender.ts'),
                nsS,
                'vs',
                String(SECONDS),
                String(FRAME_LENGTH),
                dstMac,
              ]).done
            : sh('ip', [
                'netns',
                'exec',
                nsS,
                senderBin,
                'vs',
                s.id === 'c-ring' ? 'ring' : 'mmsg',
                '0',
                String(SECONDS),
                String(FRAME_LENGTH),
                dstMac,
              ]);
        const res = JSON.parse(out) as SenderResult;
        s.rounds.push(res);
        console.log(`send ${s.id} round ${round + 1}: ${fmt(res.rate / 1e3)}k frames/s`);
      }
    }
  } finally {
    cleanup();
  }

  // --- summary -------------------------------------------------------------------------
  const rows = RATES.flatMap((rate) =>
    READERS.map((reader) => {
      const ss = samples.filter((s) => s.rate === rate && s.reader === reader);
      const offered = median(ss.map((s) => s.sender.rate));
      const rxRate = median(ss.map((s) => s.result.frames / s.sender.seconds));
      const cpuPerFrame = median(ss.map((s) => s.result.cpuNs / Math.max(1, s.result.frames)));
      const cpuShare = median(ss.map((s) => s.result.cpuNs / (s.sender.seconds * 1e9)));
      const drops = median(ss.map((s) => s.result.kernelDrops));
      const lost = median(ss.map((s) => s.sender.frames - s.result.frames));
      return {
        rate,
        reader,
        offered,
        rxRate,
        cpuPerFrame,
        cpuShare,
        drops,
        lost,
        rounds: ss.map((s) => ({
          sent: s.sender.frames,
          senderSeconds: Number(s.sender.seconds.toFixed(4)),
          received: s.result.frames,
          cpuNs: s.result.cpuNs,
          kernelPackets: s.result.kernelPackets,
          kernelDrops: s.result.kernelDrops,
        })),
      };
    }),
  );
  // CPU time per second against frames per second, fitted over every round of a reader: the
  // slope is the marginal cost of a frame, the intercept the reader's fixed cost (wake-ups,
  // timers, the runtime). At these rates the fixed cost dominates CPU-ns/frame.
  const fits = READERS.map((reader) => {
    const pts = samples
      .filter((s) => s.reader === reader && s.result.wallNs > 0)
      .map((s) => ({
        x: s.result.frames / (s.result.wallNs / 1e9),
        y: s.result.cpuNs / (s.result.wallNs / 1e9),
      }));
    const n = pts.length;
    const mx = pts.reduce((a, p) => a + p.x, 0) / n;
    const my = pts.reduce((a, p) => a + p.y, 0) / n;
    const sxx = pts.reduce((a, p) => a + (p.x - mx) ** 2, 0);
    const sxy = pts.reduce((a, p) => a + (p.x - mx) * (p.y - my), 0);
    const slope = sxx > 0 ? sxy / sxx : Number.NaN;
    return { reader, points: n, marginalNsPerFrame: slope, fixedCpuShare: (my - slope * mx) / 1e9 };
  });
  const row = (rate: number, reader: ReaderId) => rows.find((r) => r.rate === rate && r.reader === reader)!;
  const targets = [
    ...(['node-worker', 'node-raw', 'node-view'] as const).map((reader) => {
      const r = row(TARGETS.zeroDropsAt, reader);
      return {
        target: `zero drops at ${TARGETS.zeroDropsAt / 1e3}k frames/s (${reader})`,
        goal: 'kernel drops = 0 and frames lost = 0 in every round',
        measured: `drops ${r.rounds.map((x) => x.kernelDrops).join('/')}, lost ${r.rounds.map((x) => x.sent - x.received).join('/')}`,
        pass: r.rounds.every((x) => x.kernelDrops === 0 && x.sent === x.received),
      };
    }),
    ...(['node-worker', 'node-raw', 'node-view'] as const).flatMap((reader) =>
      RATES.filter((rate) => rate !== 0).map((rate) => {
        const ratio = row(rate, reader).cpuPerFrame / row(rate, 'c').cpuPerFrame;
        return {
          target: `CPU/frame within ${TARGETS.cpuRatio}x of the C reader at ${rate / 1e3}k (${reader})`,
          goal: `ratio <= ${TARGETS.cpuRatio}`,
          measured: fmt(ratio, 2),
          pass: ratio <= TARGETS.cpuRatio,
        };
      }),
    ),
  ];
  const sendSummary = sendRuns.map((s) => ({
    id: s.id,
    label: s.label,
    medianRate: median(s.rounds.map((r) => r.rate)),
    rounds: s.rounds,
  }));
  const result = {
    benchmark: 'receive',
    description:
      'BENCHMARKS.md #2: frames/s and CPU-ns per frame taken off a veth by @switchyard/link vs a C TPACKET_V3 reader; send rate of the batched sender vs C',
    date: startedAt.toISOString(),
    durationSeconds: (Date.now() - startedAt.getTime()) / 1000,
    machine: { ...machine(loadBefore), gcc },
    source: source(['packages/link/src']),
    method: {
      topology: 'two network namespaces joined by a veth pair; sender in one, reader in the other',
      frame: `${FRAME_LENGTH}-byte Ethernet frames (EtherType 0x88b5) to the reader interface's MAC`,
      ring: `${BLOCK_COUNT} blocks x ${BLOCK_SIZE} bytes, retire timeout 1 ms, promiscuous, for both readers`,
      perFrameWork: 'read the frame length and its first byte (both readers)',
      cpu: 'reader process CPU (user+system, all threads) from its first frame to the end of the stream: getrusage(RUSAGE_SELF) in C, process.cpuUsage() in Node',
      rate: `received frames / sender duration (${SECONDS} s per run); the C sender paces in batches of 32 with sendmmsg`,
      rounds: `${ROUNDS} rounds per (rate, reader), readers interleaved within a round; medians reported, raw rounds kept`,
      nodeReaders:
        'node-worker: ReceiveWorker (the data-plane harness: ring walked in a worker thread that blocks in poll); node-raw/node-view: AfPacketLink on the main thread, reactor driver (one async poll on koffi’s pool per wake-up)',
    },
    rows,
    targets,
    fits,
    send: sendSummary,
    notRun: [] as { peer: string; reason: string }[],
  };

  const lines: string[] = [];
  lines.push('# Receive path (BENCHMARKS.md #2)');
  lines.push('');
  lines.push(
    `${result.date} · Node ${process.version} · ${result.machine.cpuModel} ×${result.machine.cpuCount} · kernel ${os.release()} · load ${loadBefore.map((x) => x.toFixed(2)).join(' ')} · ${FRAME_LENGTH}-byte frames over a veth · median of ${ROUNDS} rounds, ${SECONDS} s each`,
  );
  lines.push('');
  lines.push(
    '| Offered | Reader | sent frames/s | received frames/s | kernel drops | lost | CPU-ns/frame | CPU % of one core | × C CPU/frame |',
  );
  lines.push('| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const r of rows) {
    const c = row(r.rate, 'c');
    lines.push(
      `| ${r.rate === 0 ? 'max' : `${r.rate / 1e3}k`} | ${READER_LABEL[r.reader]} | ${fmt(r.offered / 1e3)}k | ${fmt(r.rxRate / 1e3)}k | ${r.drops} | ${r.lost} | ${fmt(r.cpuPerFrame)} | ${fmt(r.cpuShare * 100)} | ${fmt(r.cpuPerFrame / c.cpuPerFrame, 2)} |`,
    );
  }
  lines.push('');
  lines.push('| Target | Goal | Measured | Result |');
  lines.push('| --- | --- | --- | --- |');
  for (const t of targets)
    lines.push(`| ${t.target} | ${t.goal} | ${t.measured} | ${t.pass ? 'PASS' : 'MISS'} |`);
  lines.push('');
  lines.push(
    'Fixed and marginal cost (least-squares fit of CPU-ns/s against frames/s over every round of a reader):',
  );
  lines.push('');
  lines.push('| Reader | marginal CPU-ns per frame | fixed CPU % of one core | × C marginal |');
  lines.push('| --- | ---: | ---: | ---: |');
  const cFit = fits.find((f) => f.reader === 'c')!;
  for (const f of fits)
    lines.push(
      `| ${READER_LABEL[f.reader]} | ${fmt(f.marginalNsPerFrame)} | ${fmt(f.fixedCpuShare * 100, 2)} | ${fmt(f.marginalNsPerFrame / cFit.marginalNsPerFrame, 2)} |`,
    );
  lines.push('');
  lines.push('Send rate at full speed (no reader on the far side):');
  lines.push('');
  lines.push('| Sender | median frames/s | rounds |');
  lines.push('| --- | ---: | --- |');
  for (const s of sendSummary)
    lines.push(
      `| ${s.label} | ${fmt(s.medianRate / 1e3)}k | ${s.rounds.map((r) => `${fmt(r.rate / 1e3)}k`).join(', ')} |`,
    );
  lines.push('');
  lines.push(`Raw rounds are in receive.json. Method: ${Object.values(result.method).join('; ')}.`);
  const markdown = `${lines.join('\n')}\n`;
  writeResults('receive', result, markdown, result.durationSeconds);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
