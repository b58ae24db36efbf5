/**
 * The Switchyard data path under load, profiled (issue: "profile the data path and make it
 * faster where the profile says so"):
 *
 *   pnpm bench:l4-profile [--profiler perf|v8] [--seconds S] [--mode keep-alive|close] [--vip ap|rv]
 *
 * Builds the #3 topology and drives wrk at a target while profiling:
 *   - `perf` (default): system-wide `perf record` while wrk runs straight at one server (the
 *     ceiling) and then at the VIP: where the machine's CPU goes, by command and by symbol
 *     (kernel and user), so the two can be compared;
 *   - `v8`: the three daemons run with `--cpu-prof` (100 µs sampling, which itself costs CPU);
 *     each daemon's JavaScript functions by self time.
 * Writes results/l4-profile-<profiler>-<mode>.md.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Lab } from '@switchyard/netlab';
import { resultsDir } from '../common/results.js';
import { CpuMeter, parseWrk } from '../lab/measure.js';
import { ensurePeers, PEERS } from '../lab/peers.js';
import { buildLab, SwitchyardCluster, serverIp, VIP_AP, VIP_RV } from '../lab/topology.js';

const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: '10' },
    mode: { type: 'string', default: 'keep-alive' },
    vip: { type: 'string', default: 'ap' },
    connections: { type: 'string', default: '64' },
    profiler: { type: 'string', default: 'perf' },
  },
});

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** Self time per function (ms), largest first. */
function selfTimes(profile: Profile): Array<{ fn: string; ms: number; share: number }> {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const n = byId.get(id)!;
    const url = n.callFrame.url.replace(/^.*\/(packages|apps|node_modules)\//, '$1/');
    const key = `${n.callFrame.functionName || '(anonymous)'} ${url}:${n.callFrame.lineNumber + 1}`;
    const dt = (profile.timeDeltas[i] ?? 0) / 1000;
    total += dt;
    self.set(key, (self.get(key) ?? 0) + dt);
  });
  return [...self].map(([fn, ms]) => ({ fn, ms, share: ms / total })).sort((a, b) => b.ms - a.ms);
}

const PERF = '/usr/bin/perf';
if (args.profiler !== 'perf' && args.profiler !== 'v8') {
  console.error(
    'usage: pnpm bench:l4-profile [--profiler perf|v8] [--seconds S] [--mode keep-alive|close] [--vip ap|rv]',
  );
  process.exit(2);
}
ensurePeers([PEERS.wrk, PEERS.nginx]);
if (args.profiler === 'perf' && !existsSync(PERF)) {
  console.error(
    `bench l4-profile: ${PERF} is missing (Debian: apt-get install linux-perf); try --profiler v8`,
  );
  process.exit(1);
}
const dir = mkdtempSync(join(tmpdir(), 'switchyard-profile-'));
const profDir = join(dir, 'profiles');
const { lab } = await buildLab(dir);
const lines: string[] = [
  `# Switchyard data path profile (netns, wrk ${args.mode}, ${args.profiler})`,
  '',
  `${new Date().toISOString()} · command: \`pnpm bench:l4-profile --profiler ${args.profiler} --mode ${args.mode} --vip ${args.vip} --seconds ${args.seconds}\``,
  '',
  'The profiler costs CPU itself (system-wide sampling on a 2-vCPU VM), so the request rates here are lower than in bench:l4: compare the shares, not the rates.',
  '',
];
const wrkArgs = ['wrk', '-t2', `-c${args.connections}`, `-d${args.seconds}s`, '--latency'];
if (args.mode === 'close') wrkArgs.push('-H', 'Connection: close');
const vipUrl = `http://${args.vip === 'rv' ? VIP_RV : VIP_AP}/`;

/** perf report rows: [share %, key...] from `--sort` keys. */
function perfReport(file: string, sort: string, extra: string[] = []): Array<[number, string]> {
  const r = spawnSync(PERF, ['report', '-i', file, '--stdio', '--no-children', '--sort', sort, ...extra], {
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  const rows: Array<[number, string]> = [];
  for (const line of r.stdout.split('\n')) {
    const m = /^\s+([\d.]+)%\s+(.*\S)\s*$/.exec(line);
    if (m !== null) rows.push([Number(m[1]), m[2]!.replace(/\s{2,}/g, '  ')]);
  }
  return rows;
}

/** Runs wrk at `url` under system-wide perf; appends the breakdown. */
async function perfRun(lab: Lab, title: string, url: string, pids?: () => readonly number[]): Promise<void> {
  const file = join(dir, `perf-${lines.length}.data`);
  const recorder = spawn(
    PERF,
    ['record', '-a', '-F', '499', '-o', file, '--', 'sleep', String(Number(args.seconds) - 1)],
    {
      stdio: 'ignore',
    },
  );
  const meter = pids === undefined ? undefined : new CpuMeter(pids);
  const r = parseWrk((await lab.exec('client', [...wrkArgs, url], { timeoutMs: 120_000 })).stdout);
  await new Promise((resolve) => recorder.once('exit', resolve));
  const cpu = meter?.read();
  lines.push(
    `## ${title}`,
    '',
    `${r.requestsPerSecond.toFixed(0)} requests/s` +
      (cpu === undefined ? '' : `; daemons' CPU ${((cpu / r.requests) * 1e6).toFixed(1)} µs per request`),
    '',
    '| share of all samples | command |',
    '| ---: | --- |',
  );
  for (const [share, comm] of perfReport(file, 'comm').slice(0, 10))
    lines.push(`| ${share.toFixed(1)} % | ${comm} |`);
  if (pids !== undefined) {
    // The daemons' own split: the kernel (the stack work of each TAP write, ring copies),
    // Node/V8, JIT code, koffi (the FFI calls).
    lines.push('', "| share | the daemons' samples by object |", '| ---: | --- |');
    // perf's own `--sort dso` leaves the kernel out when filtering by command: sum the symbols.
    const symbols = perfReport(file, 'dso,sym', ['--comms', 'node']);
    const byObject = new Map<string, number>();
    for (const [share, sym] of symbols) {
      const object = /^(.*?)\s+\[[.k]\]/.exec(sym)?.[1] ?? sym;
      const key = object.startsWith('[JIT]') ? '[JIT] (V8 compiled code)' : object;
      byObject.set(key, (byObject.get(key) ?? 0) + share);
    }
    for (const [dso, share] of [...byObject].sort((a, b) => b[1] - a[1]).slice(0, 8))
      lines.push(`| ${share.toFixed(1)} % | ${dso} |`);
    lines.push('', "| share | the daemons' hottest symbols |", '| ---: | --- |');
    for (const [share, sym] of symbols.slice(0, 25)) lines.push(`| ${share.toFixed(2)} % | \`${sym}\` |`);
  }
  lines.push('', '| share | command, object, symbol |', '| ---: | --- |');
  for (const [share, sym] of perfReport(file, 'comm,dso,sym').slice(0, 30))
    lines.push(`| ${share.toFixed(2)} % | \`${sym}\` |`);
  lines.push('');
}

try {
  if (args.profiler === 'perf') {
    await perfRun(lab, `Ceiling: wrk straight at ${serverIp(1)}`, `http://${serverIp(1)}/`);
    const cluster = await SwitchyardCluster.start(lab, dir, {
      heartbeatMs: 50,
      vips: [
        { address: VIP_AP, policy: 'active-passive' },
        { address: VIP_RV, policy: 'rendezvous' },
      ],
    });
    await perfRun(lab, `Switchyard: wrk at ${vipUrl}`, vipUrl, () => cluster.pids());
    await cluster.stop();
  } else {
    const cluster = await SwitchyardCluster.start(lab, dir, {
      heartbeatMs: 50,
      vips: [
        { address: VIP_AP, policy: 'active-passive' },
        { address: VIP_RV, policy: 'rendezvous' },
      ],
      nodeArgs: ['--cpu-prof', '--cpu-prof-interval=100', `--cpu-prof-dir=${profDir}`],
    });
    const meter = new CpuMeter(() => cluster.pids());
    const r = parseWrk((await lab.exec('client', [...wrkArgs, vipUrl], { timeoutMs: 120_000 })).stdout);
    const cpu = meter.read();
    lines.push(
      `wrk at ${vipUrl} for ${args.seconds} s: ${r.requestsPerSecond.toFixed(0)} req/s, ` +
        `daemons' CPU ${cpu.toFixed(2)} s (${((cpu / r.requests) * 1e6).toFixed(1)} µs per request, profiler included)`,
      '',
    );
    await cluster.stop();
    for (const file of readdirSync(profDir)) {
      const profile = JSON.parse(readFileSync(join(profDir, file), 'utf8')) as Profile;
      lines.push(`## ${file}`, '', '| self ms | share | function |', '| ---: | ---: | --- |');
      for (const t of selfTimes(profile).slice(0, 25))
        lines.push(`| ${t.ms.toFixed(0)} | ${(t.share * 100).toFixed(1)} % | \`${t.fn}\` |`);
      lines.push('');
    }
  }
} finally {
  await lab.destroy();
  rmSync(dir, { recursive: true, force: true });
}
const md = lines.join('\n');
writeFileSync(join(resultsDir, `l4-profile-${args.profiler}-${args.mode}.md`), md);
console.log(md);
