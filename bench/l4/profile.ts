/**
 * The Switchyard data path under load, profiled (issue: "profile the data path and make it
 * faster where the profile says so"):
 *
 *   pnpm bench:l4-profile [--seconds S] [--mode keep-alive|close] [--vip ap|rv]
 *
 * Builds the #3 topology, starts the three daemons with `--cpu-prof`, drives wrk at the VIP,
 * stops the daemons gracefully (which writes the profiles), and prints each daemon's CPU and
 * the functions with the most self time. Writes results/l4-profile.md.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { resultsDir } from '../common/results.js';
import { CpuMeter, parseWrk } from '../lab/measure.js';
import { ensurePeers, PEERS } from '../lab/peers.js';
import { buildLab, SwitchyardCluster, VIP_AP, VIP_RV } from '../lab/topology.js';

const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: '10' },
    mode: { type: 'string', default: 'keep-alive' },
    vip: { type: 'string', default: 'ap' },
    connections: { type: 'string', default: '64' },
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

ensurePeers([PEERS.wrk, PEERS.nginx]);
const dir = mkdtempSync(join(tmpdir(), 'switchyard-profile-'));
const profDir = join(dir, 'profiles');
const { lab } = await buildLab(dir);
const lines: string[] = ['# Switchyard data path profile (netns, wrk)', ''];
try {
  const cluster = await SwitchyardCluster.start(lab, dir, {
    heartbeatMs: 50,
    vips: [
      { address: VIP_AP, policy: 'active-passive' },
      { address: VIP_RV, policy: 'rendezvous' },
    ],
    nodeArgs: ['--cpu-prof', '--cpu-prof-interval=100', `--cpu-prof-dir=${profDir}`],
  });
  const url = `http://${args.vip === 'rv' ? VIP_RV : VIP_AP}/`;
  const meter = new CpuMeter(() => cluster.pids());
  const wrkArgs = ['wrk', '-t2', `-c${args.connections}`, `-d${args.seconds}s`, '--latency'];
  if (args.mode === 'close') wrkArgs.push('-H', 'Connection: close');
  const r = parseWrk((await lab.exec('client', [...wrkArgs, url], { timeoutMs: 120_000 })).stdout);
  const cpu = meter.read();
  lines.push(
    `${new Date().toISOString()} · wrk ${args.mode} at ${url} for ${args.seconds} s: ${r.requestsPerSecond.toFixed(0)} req/s, ` +
      `daemons' CPU ${cpu.toFixed(2)} s (${((cpu / r.requests) * 1e6).toFixed(1)} µs per request)`,
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
} finally {
  await lab.destroy();
  rmSync(dir, { recursive: true, force: true });
}
const md = lines.join('\n');
writeFileSync(join(resultsDir, `l4-profile-${args.mode}.md`), md);
console.log(md);
