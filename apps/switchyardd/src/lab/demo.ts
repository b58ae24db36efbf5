/**
 * `switchyard lab demo`: the flood cluster end to end in network namespaces. A client, a
 * Linux bridge and three nodes, each running the daemon and a real HTTP server bound to
 * the VIPs; traffic, then the active node killed (daemon -9, link down) while transfers on
 * the other nodes continue; then a graceful stop and teardown. Every claim it prints is
 * checked: the exit code is 0 only if the cluster behaved as the design says.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { canCreateNamespaces, createLab, type Lab, type LabProcess } from '@switchyard/netlab';
import { adminGet, type Status } from '../admin.js';
import { Checks, type DemoIo, tally } from './report.js';
import { runSimDemo } from './sim-demo.js';

export type { DemoIo } from './report.js';

export interface DemoOptions {
  /** The command that starts the daemon (default: this process's node and script). */
  readonly daemon?: readonly string[];
}

const VIP_AP = '10.77.0.50';
const VIP_RV = '10.77.0.60';
const VMAC = '02:53:59:00:00:07';
const NODES = [1, 2, 3] as const;
const PRIORITY: Record<number, number> = { 1: 200, 2: 150, 3: 100 };

/** An HTTP server on both VIPs: `/` answers the node's name, `/stream` sends 40 kB over 4 s. */
export const SERVER = `
const http = require('node:http');
const name = process.argv[1];
const handler = (req, res) => {
  res.setHeader('x-served-by', name);
  if (req.url !== '/stream') return res.end(name + '\\n');
  let n = 0;
  const t = setInterval(() => { res.write('x'.repeat(1000)); if (++n === 40) { clearInterval(t); res.end(); } }, 100);
  req.on('close', () => clearInterval(t));
};
let listening = 0;
for (const host of process.argv.slice(2))
  http.createServer(handler).listen(80, host, () => { if (++listening === process.argv.length - 2) console.log('listening'); });
`;

/**
 * Client: one JSON line per request; `/stream` requests report the bytes they got, and
 * `load` prints "streams open" once every stream has its response headers. A poll's `at`
 * is when it started. `load`'s optional last argument is the streams' idle timeout in ms
 * (default 3000): a restarting daemon may hold their ACKs back for seconds.
 */
export const CLIENT = `
const http = require('node:http');
let open = 0;
const get = (host, path, streams = 0, timeout = 3000) => new Promise((resolve) => {
  const started = Date.now();
  let port = 0;
  let node;
  const req = http.get({ host, port: 80, path, agent: false, timeout }, (res) => {
    node = res.headers['x-served-by'];
    if (streams > 0 && ++open === streams) console.log('streams open');
    let bytes = 0;
    res.on('data', (d) => { bytes += d.length; });
    res.on('end', () => resolve({ host, path, ok: res.complete, port, node: res.headers['x-served-by'], bytes, ms: Date.now() - started }));
    res.on('error', (e) => resolve({ host, path, ok: false, port, node: res.headers['x-served-by'], bytes, error: e.code ?? e.message }));
  });
  req.on('socket', (s) => s.on('connect', () => { port = s.localPort; }));
  req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })));
  req.on('error', (e) => resolve({ host, path, ok: false, port, node, error: e.code ?? e.message }));
});
const [mode, ...args] = process.argv.slice(1);
const print = (r) => console.log(JSON.stringify(r));
(async () => {
  if (mode === 'count') {
    const [host, n] = args;
    for (let i = 0; i < Number(n); i++) print(await get(host, '/'));
  } else {
    const [streamHost, streams, pollHost, seconds, streamTimeout = '3000'] = args;
    const all = [];
    for (let i = 0; i < Number(streams); i++) all.push(get(streamHost, '/stream', Number(streams), Number(streamTimeout)).then(print));
    const end = Date.now() + Number(seconds) * 1000;
    while (Date.now() < end) { const at = Date.now(); print({ ...(await get(pollHost, '/')), at }); await new Promise((r) => setTimeout(r, 100)); }
    await Promise.all(all);
  }
})();
`;

export interface Reply {
  host: string;
  path: string;
  ok: boolean;
  port: number;
  node?: string;
  bytes?: number;
  error?: string;
  /** When a poll started (ms since the epoch). */
  at?: number;
  ms?: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function parseReplies(lines: readonly string[]): Reply[] {
  return lines.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Reply);
}

/** Who served each reply, or why it failed. */
const servedBy = (replies: readonly Reply[]) => tally(replies.map((r) => r.node ?? `failed (${r.error})`));

/** Runs the demo; returns the exit code (0: every check held). */
export async function labDemo(io: DemoIo, options: DemoOptions = {}): Promise<number> {
  if (!canCreateNamespaces()) {
    io.out(
      'switchyard lab demo: network namespaces need root; running the same scenario on netsim instead.\n',
    );
    return runSimDemo(io);
  }
  const daemon = options.daemon ?? [process.execPath, process.argv[1]!];
  const checks = new Checks(io);
  const check = checks.check.bind(checks);
  const failures = checks.failures;
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-demo-'));
  const secret = randomBytes(32).toString('hex');
  let lab: Lab | undefined;
  const daemons = new Map<number, LabProcess>();
  try {
    lab = await createLab({
      bridges: [{ name: 'seg' }],
      hosts: [
        {
          name: 'client',
          links: [{ bridge: 'seg', address: '10.77.0.1/24', mac: '02:77:00:00:00:01' }],
          ipv6: false,
        },
        ...NODES.map((n) => ({
          name: `n${n}`,
          links: [{ bridge: 'seg', address: `10.77.0.1${n}/24`, mac: `02:77:00:00:00:1${n}` }],
          ipv6: false,
        })),
      ],
    });
    io.out(
      'switchyard lab demo: a client, a Linux bridge and three nodes, each in its own network namespace',
    );
    io.out(
      `  client 10.77.0.1; nodes n1..n3 10.77.0.11..13; VIP ${VIP_AP} active-passive, VIP ${VIP_RV} rendezvous; vMAC ${VMAC}`,
    );
    for (const n of NODES) {
      const config = join(dir, `n${n}.json`);
      writeFileSync(
        config,
        JSON.stringify({
          interface: 'eth0',
          node: { id: n },
          cluster: { id: 7, keys: [{ id: 1, secret }] },
          vips: [
            { address: VIP_AP, policy: 'active-passive', ports: [80], priority: PRIORITY[n] },
            { address: VIP_RV, policy: 'rendezvous', ports: [80] },
          ],
          heartbeat: { intervalMs: 50, deadAfter: 4, holdMs: 500 },
          shutdown: { drainTimeoutS: 5 },
          admin: { socket: join(dir, `n${n}`, 'admin.sock') },
        }),
        { mode: 0o600 },
      );
      const p = await lab.spawn(`n${n}`, [...daemon, 'run', '-c', config]);
      daemons.set(n, p);
      try {
        await p.waitForLine('"event":"ready"', { timeoutMs: 20_000 });
      } catch (error) {
        throw new Error(
          `n${n}'s daemon did not start: ${[...p.output('stderr'), ...p.output('stdout')].slice(-5).join('\n')}`,
          {
            cause: error,
          },
        );
      }
    }
    io.out('  daemons running (switchyard run -c nN.json); HTTP servers bound to both VIPs on every node\n');
    for (const n of NODES) {
      const server = await lab.spawn(`n${n}`, [process.execPath, '-e', SERVER, `n${n}`, VIP_AP, VIP_RV]);
      await server.waitForLine('listening', { timeoutMs: 10_000 });
    }
    const status = async (n: number) =>
      JSON.parse(await adminGet(join(dir, `n${n}`, 'admin.sock'), '/status')) as Status;
    const activeOf = async (vip: string, among: readonly number[] = NODES) => {
      const seen = new Set<number>();
      for (const n of among)
        for (const v of (await status(n)).vips) if (v.address === vip && v.role === 'active') seen.add(n);
      return [...seen];
    };
    for (
      let i = 0;
      i < 100 && ((await activeOf(VIP_AP)).length !== 1 || (await activeOf(VIP_RV)).length !== 1);
      i++
    )
      await sleep(50);
    const apActive = await activeOf(VIP_AP);
    io.out('1. election');
    check(
      apActive.length === 1 && apActive[0] === 1,
      `one active node for ${VIP_AP}: n${apActive.join(', n')} (priority 200 beats 150 and 100)`,
    );
    check(
      (await activeOf(VIP_RV)).length === 1,
      `one active node answers ARP for ${VIP_RV}: n${(await activeOf(VIP_RV)).join(', n')}`,
    );

    io.out('\n2. traffic');
    const count = async (vip: string, n: number) =>
      parseReplies(
        (await lab!.exec('client', [process.execPath, '-e', CLIENT, 'count', vip, String(n)])).stdout.split(
          '\n',
        ),
      );
    const ap = await count(VIP_AP, 6);
    check(
      ap.every((r) => r.ok && r.node === 'n1'),
      `6 connections to ${VIP_AP}: ${servedBy(ap)} (all on the active node)`,
    );
    const rv = await count(VIP_RV, 12);
    const rvNodes = new Set(rv.map((r) => r.node));
    check(
      rv.every((r) => r.ok) && rvNodes.size >= 2,
      `12 connections to ${VIP_RV}: ${servedBy(rv)} (spread by rendezvous)`,
    );
    const neighbors = await lab.neighbors('client');
    const vipEntry = neighbors.find((e) => e.address === VIP_AP);
    check(
      vipEntry?.mac === VMAC,
      `the client's neighbor table: ${VIP_AP} at ${vipEntry?.mac ?? 'nothing'} (the vMAC)`,
    );
    const n2 = neighbors.find((e) => e.address === '10.77.0.12');
    check(
      n2 === undefined || n2.mac === '02:77:00:00:00:12',
      `a node's real IP stays at its real MAC (${n2?.mac ?? 'not asked'})`,
    );
    const fdb = await lab.fdb('seg');
    check(
      !fdb.some((e) => e.mac === VMAC),
      `the bridge's FDB never learned the vMAC (${fdb.filter((e) => e.learned).length} MACs learned)`,
    );

    io.out('\n3. failover: n1 dies (daemon killed with -9, link down) during traffic');
    const load = await lab.spawn('client', [
      process.execPath,
      '-e',
      CLIENT,
      'load',
      VIP_RV,
      '9',
      VIP_AP,
      '5',
    ]);
    await load.waitForLine('streams open', { timeoutMs: 10_000 });
    await sleep(1000);
    const killedAt = Date.now();
    await daemons.get(1)!.kill('SIGKILL');
    await lab.linkDown('n1', 'eth0');
    await load.wait(30_000);
    const replies = parseReplies(load.output('stdout'));
    const streams = replies.filter((r) => r.path === '/stream');
    const survivors = streams.filter((r) => r.node !== 'n1');
    check(
      survivors.length > 0 && survivors.every((r) => r.ok && r.bytes === 40_000),
      `${survivors.length} of ${streams.length} transfers on ${VIP_RV} were on n2/n3: all completed, 40000 bytes each`,
    );
    for (const r of survivors.filter((x) => !(x.ok && x.bytes === 40_000)))
      io.out(`       incomplete: ${JSON.stringify(r)}`);
    const onN1 = streams.filter((r) => r.node === 'n1');
    io.out(
      `       (${onN1.length} were on n1, which is gone: ${onN1.map((r) => (r.ok ? 'ok' : r.error)).join(', ') || 'none'})`,
    );
    const polls = replies.filter((r) => r.path === '/' && r.at !== undefined);
    const after = polls.filter((r) => r.at! > killedAt + 2000);
    check(
      after.length > 0 && after.every((r) => r.ok && r.node === 'n2'),
      `new connections to ${VIP_AP} after the failure: ${servedBy(after)}`,
    );
    const firstN2 = polls.find((r) => r.at! > killedAt && r.ok && r.node === 'n2');
    io.out(
      `       (the first request n2 answered: ${firstN2 === undefined ? '-' : `sent ${firstN2.at! - killedAt} ms after the kill, answered at ${firstN2.at! + (firstN2.ms ?? 0) - killedAt} ms`}; requests before it: ${servedBy(polls.filter((r) => r.at! < (firstN2?.at ?? 0)))})`,
    );
    const takeover = daemons
      .get(2)!
      .output('stdout')
      .find((l) => l.includes('"event":"failover"') && l.includes(VIP_AP));
    check(
      takeover !== undefined,
      `n2 logged the takeover: ${takeover === undefined ? '-' : JSON.parse(takeover).reason}`,
    );

    io.out('\n4. status of n2 (switchyard status)');
    const s2 = await status(2);
    for (const v of s2.vips)
      io.out(`       ${v.address} ${v.policy} role ${v.role}, active node ${v.active ?? '-'}`);
    io.out(`       members ${s2.members.map((m) => m.id).join(', ')}; ${s2.flows.size} flows held`);
    check(s2.members.map((m) => m.id).join() === '2,3', 'members are n2 and n3');

    io.out('\n5. graceful stop of n2 and n3 (SIGTERM: hand over, drain, restore the host)');
    for (const n of [2, 3]) daemons.get(n)!.signal('SIGTERM');
    for (const n of [2, 3]) {
      const exit = await daemons.get(n)!.wait(20_000);
      check(exit.code === 0, `n${n}'s daemon exited with ${exit.code ?? exit.signal}`);
    }
    if (failures.length > 0) {
      io.out('\nrole changes and membership events, as the daemons logged them:');
      for (const [n, p] of daemons)
        for (const line of p.output('stdout'))
          if (/"event":"(role|failover|join|leave)"/.test(line)) io.out(`  n${n} ${line}`);
    }
  } catch (error) {
    failures.push((error as Error).message);
    io.err(`switchyard lab demo: ${(error as Error).message}`);
  } finally {
    await lab?.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
  io.out(
    failures.length === 0
      ? '\nall checks passed; lab removed'
      : `\n${failures.length} check(s) failed; lab removed`,
  );
  return checks.exitCode;
}
