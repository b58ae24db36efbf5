/**
 * BENCHMARKS.md #3, end-to-end L4, in network namespaces:
 *
 *   pnpm bench:l4 [--rounds N] [--seconds S] [--connections C]
 *
 * One topology (client, balancer host, three nginx servers on one bridge), built for this run
 * and removed after it. Contenders, in turns (A B C ... A B C ...) for N rounds:
 *   - ceiling: the client straight to one server's nginx;
 *   - Switchyard flood cluster, three nodes, active-passive VIP and rendezvous VIP;
 *   - haproxy `mode tcp` and nginx `stream` on the balancer host, round-robin to the servers.
 * For each, wrk keep-alive (requests/s, p50/p99) and wrk with `Connection: close` (new
 * connections/s), and the CPU the balancing part used per request (the balancer's processes;
 * for Switchyard, the three daemons). Figures are medians over rounds of ratios taken within
 * the same round. Writes results/l4.json and l4.md.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { canCreateNamespaces, type Lab, type LabProcess } from '@switchyard/netlab';
import { machine, source, writeResults } from '../common/results.js';
import { CpuMeter, median, namespacePids, parseWrk, sleep, type WrkResult } from '../lab/measure.js';
import { ensurePeers, haproxyConfig, nginxStreamConfig, notRunNote, PEERS } from '../lab/peers.js';
import {
  BALANCER_IP,
  buildLab,
  httpGet,
  SERVERS,
  SwitchyardCluster,
  serverIp,
  VIP_AP,
  VIP_RV,
  waitFor,
} from '../lab/topology.js';

const { values: args } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    seconds: { type: 'string', default: '10' },
    connections: { type: 'string', default: '64' },
    only: { type: 'string' },
  },
});
const ROUNDS = Number(args.rounds);
const SECONDS = Number(args.seconds);
const CONNECTIONS = Number(args.connections);
const WARMUP_SECONDS = 2;
const MODES = ['keep-alive', 'close'] as const;
type Mode = (typeof MODES)[number];

interface Target {
  readonly name: string;
  readonly url: string;
  /** The processes whose CPU is the balancing part (none for the ceiling). */
  readonly pids: () => readonly number[];
}

/** A contender: started for its turn, measured on one or more targets, stopped after it. */
interface Contender {
  readonly name: string;
  start(lab: Lab, dir: string): Promise<{ targets: Target[]; stop: () => Promise<void> }>;
}

const backends = SERVERS.map((n) => `${serverIp(n)}:80`);

/** A process on the balancer host that serves once `url` answers. */
async function balancer(lab: Lab, argv: string[], url: string): Promise<LabProcess> {
  const p = await lab.spawn('lb', argv);
  await waitFor(
    async () => (await httpGet(lab, 'client', url)).includes('hello'),
    10_000,
    `${argv[0]} serving`,
  );
  return p;
}

const contenders: Contender[] = [
  {
    name: 'ceiling',
    async start() {
      return {
        targets: [{ name: 'ceiling (client → one nginx)', url: `http://${serverIp(1)}/`, pids: () => [] }],
        stop: async () => {},
      };
    },
  },
  {
    name: 'switchyard',
    async start(lab, dir) {
      const cluster = await SwitchyardCluster.start(lab, dir, {
        heartbeatMs: 50,
        vips: [
          { address: VIP_AP, policy: 'active-passive' },
          { address: VIP_RV, policy: 'rendezvous' },
        ],
      });
      return {
        targets: [
          { name: 'Switchyard active-passive', url: `http://${VIP_AP}/`, pids: () => cluster.pids() },
          { name: 'Switchyard rendezvous', url: `http://${VIP_RV}/`, pids: () => cluster.pids() },
        ],
        stop: () => cluster.stop(),
      };
    },
  },
  {
    name: 'haproxy',
    async start(lab, dir) {
      const config = join(dir, 'haproxy.cfg');
      writeFileSync(config, haproxyConfig(`${BALANCER_IP}:80`, backends));
      const url = `http://${BALANCER_IP}/`;
      const p = await balancer(lab, ['haproxy', '-db', '-f', config], url);
      return {
        targets: [{ name: 'haproxy mode tcp', url, pids: () => namespacePids(lab.namespace('lb')) }],
        stop: async () => void (await p.kill('SIGTERM', 5000)),
      };
    },
  },
  {
    name: 'nginx-stream',
    async start(lab, dir) {
      const home = join(dir, 'nginx-stream');
      mkdirSync(home, { recursive: true });
      writeFileSync(join(home, 'nginx.conf'), nginxStreamConfig(home, `${BALANCER_IP}:80`, backends));
      const url = `http://${BALANCER_IP}/`;
      const p = await balancer(lab, ['nginx', '-p', home, '-c', join(home, 'nginx.conf')], url);
      return {
        targets: [{ name: 'nginx stream', url, pids: () => namespacePids(lab.namespace('lb')) }],
        stop: async () => void (await p.kill('SIGTERM', 5000)),
      };
    },
  },
];

interface Sample extends WrkResult {
  round: number;
  target: string;
  mode: Mode;
  balancerCpuSeconds: number;
  cpuUsPerRequest: number | null;
}

async function wrk(lab: Lab, url: string, mode: Mode, seconds: number): Promise<WrkResult> {
  const argv = ['wrk', '-t2', `-c${CONNECTIONS}`, `-d${seconds}s`, '--latency', '--timeout', '2s'];
  if (mode === 'close') argv.push('-H', 'Connection: close');
  const r = await lab.exec('client', [...argv, url], { timeoutMs: (seconds + 30) * 1000 });
  return parseWrk(r.stdout);
}

async function measure(lab: Lab, target: Target, mode: Mode, round: number): Promise<Sample> {
  await wrk(lab, target.url, mode, WARMUP_SECONDS);
  const meter = new CpuMeter(target.pids);
  const r = await wrk(lab, target.url, mode, SECONDS);
  const cpu = meter.read();
  const hasBalancer = target.pids().length > 0;
  const sample: Sample = {
    ...r,
    round,
    target: target.name,
    mode,
    balancerCpuSeconds: cpu,
    cpuUsPerRequest: hasBalancer ? (cpu / r.requests) * 1e6 : null,
  };
  console.log(
    `  round ${round} ${target.name} ${mode}: ${r.requestsPerSecond.toFixed(0)} req/s, p50 ${r.p50Ms} ms, p99 ${r.p99Ms} ms, ` +
      `errors ${r.socketErrors}, non-2xx ${r.non2xx}${hasBalancer ? `, ${sample.cpuUsPerRequest!.toFixed(1)} µs CPU/req` : ''}`,
  );
  return sample;
}

const fmt = (v: number, digits = 0) => (Number.isFinite(v) ? v.toFixed(digits) : 'n/a');

function table(samples: readonly Sample[], targets: readonly string[]): string {
  const rows: string[] = [];
  for (const mode of MODES) {
    rows.push(
      '',
      `**${mode === 'keep-alive' ? 'Keep-alive (requests/s)' : 'Connection: close (new connections/s)'}**`,
      '',
      '| contender | req/s (median) | ÷ ceiling | ÷ haproxy | p50 ms | p99 ms | balancer CPU µs/req | socket errors | rounds (req/s) |',
      '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
    );
    for (const target of targets) {
      const mine = samples.filter((s) => s.target === target && s.mode === mode);
      if (mine.length === 0) continue;
      const ratio = (peer: string) =>
        median(
          mine.map((s) => {
            const p = samples.find((x) => x.target === peer && x.mode === mode && x.round === s.round);
            return p === undefined ? Number.NaN : s.requestsPerSecond / p.requestsPerSecond;
          }),
        );
      const cpu = mine.map((s) => s.cpuUsPerRequest).filter((v): v is number => v !== null);
      rows.push(
        `| ${target} | ${fmt(median(mine.map((s) => s.requestsPerSecond)))} | ${fmt(ratio(CEILING), 2)} | ${fmt(ratio(HAPROXY), 2)} | ` +
          `${fmt(median(mine.map((s) => s.p50Ms)), 2)} | ${fmt(median(mine.map((s) => s.p99Ms)), 2)} | ` +
          `${cpu.length === 0 ? '—' : fmt(median(cpu), 1)} | ${mine.reduce((n, s) => n + s.socketErrors, 0)} | ` +
          `${mine.map((s) => fmt(s.requestsPerSecond)).join(', ')} |`,
      );
    }
  }
  return rows.join('\n');
}

const CEILING = 'ceiling (client → one nginx)';
const HAPROXY = 'haproxy mode tcp';

async function main(): Promise<number> {
  if (!canCreateNamespaces()) {
    console.error('bench l4: needs root (network namespaces)');
    return 2;
  }
  const started = performance.now();
  const loadBefore = os.loadavg();
  const unavailable = ensurePeers([PEERS.wrk, PEERS.nginx, PEERS.nginxStream, PEERS.haproxy]);
  for (const [name, why] of unavailable) console.log(`not run: ${name}: ${why}`);
  if (unavailable.has('wrk') || unavailable.has('nginx')) return 1;
  const chosen = contenders.filter(
    (c) =>
      !unavailable.has(c.name === 'nginx-stream' ? 'nginx stream' : c.name) &&
      (args.only === undefined || args.only.split(',').includes(c.name) || c.name === 'ceiling'),
  );
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-bench-l4-'));
  const { lab } = await buildLab(dir);
  const samples: Sample[] = [];
  const targets: string[] = [];
  try {
    for (let round = 1; round <= ROUNDS; round++) {
      for (const c of chosen) {
        const running = await c.start(lab, dir);
        try {
          for (const t of running.targets) {
            if (!targets.includes(t.name)) targets.push(t.name);
            for (const mode of MODES) samples.push(await measure(lab, t, mode, round));
          }
        } finally {
          await running.stop();
        }
        await sleep(500);
      }
    }
  } finally {
    await lab.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
  const versions = {
    haproxy: version(['haproxy', '-v'], /HAProxy version (\S+)/),
    nginx: version(['nginx', '-v'], /nginx\/(\S+)/),
    wrk: version(['wrk', '-v'], /wrk (\S+)/),
  };
  const when = new Date().toISOString();
  const m = machine(loadBefore);
  const markdown = [
    '# End-to-end L4 (netns): Switchyard vs haproxy vs nginx stream',
    '',
    `${when} · ${m.cpuModel} × ${m.cpuCount} · Node ${m.node} · haproxy ${versions.haproxy} · nginx ${versions.nginx} · wrk ${versions.wrk}`,
    '',
    `Command: \`pnpm bench:l4 --rounds ${ROUNDS} --seconds ${SECONDS} --connections ${CONNECTIONS}\`. ` +
      `${ROUNDS} rounds, contenders in turns; each figure is ${SECONDS} s of \`wrk -t2 -c${CONNECTIONS} --latency\` after ${WARMUP_SECONDS} s of warm-up. ` +
      'Ratios are medians of per-round ratios (each contender against the ceiling or haproxy measured in the same round).',
    table(samples, targets),
    '',
    'Topology: client, balancer host and three servers in their own network namespaces on one Linux bridge (veth), all on this 2-vCPU machine, so wrk, the balancing part and nginx share the same two cores. ' +
      'Every server runs the same nginx (1 worker, a 15-byte answer from memory). haproxy and nginx stream run on the balancer host with their default thread/worker count for 2 CPUs, round-robin to the three servers. ' +
      'Switchyard: three `switchyard run` daemons on the servers themselves (the flood cluster), heartbeat 50 ms; the active-passive VIP sends every connection to one server, the rendezvous VIP spreads them over three. ' +
      'Balancer CPU: user + system time of the balancer host processes (haproxy; nginx master and workers) or of the three daemons, from /proc/<pid>/stat, divided by requests; kernel work done in softirq context is not in it for anyone.',
    notRunNote(unavailable),
    '',
  ].join('\n');
  writeResults(
    'l4',
    {
      benchmark: 'l4',
      when,
      machine: m,
      source: source(['apps/switchyardd', 'packages', 'bench/l4', 'bench/lab']),
      versions,
      settings: { rounds: ROUNDS, seconds: SECONDS, warmupSeconds: WARMUP_SECONDS, connections: CONNECTIONS },
      notRun: Object.fromEntries(unavailable),
      samples,
    },
    markdown,
    (performance.now() - started) / 1000,
  );
  return 0;
}

function version(argv: string[], re: RegExp): string {
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8' });
  return re.exec(`${r.stdout ?? ''}${r.stderr ?? ''}`)?.[1] ?? 'unknown';
}

process.exitCode = await main();
