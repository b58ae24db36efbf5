/**
 * The one topology BENCHMARKS.md #3 and #4 share: a client, a balancer host (for haproxy and
 * nginx stream) and three servers on one Linux bridge, each in its own network namespace
 * created for this run. Every server runs the same nginx backend on port 80 of every address,
 * so it answers on its real address (haproxy, nginx stream, the ceiling) and on a VIP held by
 * a Switchyard TAP or by keepalived alike. And the Switchyard cluster on the servers.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createLab, type Lab, type LabProcess } from '@switchyard/netlab';
import { adminGet, type Status } from '../../apps/switchyardd/src/admin.js';
import { repoRoot } from '../common/results.js';
import { sleep } from './measure.js';
import { nginxBackendConfig } from './peers.js';

export const NET = '10.88.0';
export const CLIENT_IP = `${NET}.1`;
export const BALANCER_IP = `${NET}.2`;
export const SERVERS = [1, 2, 3] as const;
export const serverName = (n: number) => `s${n}`;
export const serverIp = (n: number) => `${NET}.1${n}`;
export const VIP_AP = `${NET}.50`;
export const VIP_RV = `${NET}.60`;
export const VMAC = '02:53:59:00:00:08';
/** Size of `/big` on the servers: 8 s at nginx's 256 KiB/s. */
export const BIG_BYTES = 2 * 1024 * 1024;

/** Builds the lab (client, lb, s1..s3 on bridge `seg`) and starts nginx on the servers. */
export async function buildLab(dir: string): Promise<{ lab: Lab; backends: LabProcess[] }> {
  const lab = await createLab({
    bridges: [{ name: 'seg' }],
    hosts: [
      { name: 'client', links: [{ bridge: 'seg', address: `${CLIENT_IP}/24` }], ipv6: false },
      { name: 'lb', links: [{ bridge: 'seg', address: `${BALANCER_IP}/24` }], ipv6: false },
      ...SERVERS.map((n) => ({
        name: serverName(n),
        links: [{ bridge: 'seg', address: `${serverIp(n)}/24`, mac: `02:88:00:00:00:1${n}` }],
        ipv6: false,
      })),
    ],
  });
  try {
    // Many short connections: the client reuses TIME_WAIT ports, and nobody runs out of them.
    for (const host of ['client', 'lb']) await lab.sysctl(host, 'net.ipv4.ip_local_port_range', '1024 65000');
    for (const host of ['client', 'lb']) await lab.sysctl(host, 'net.ipv4.tcp_tw_reuse', 1);
    const big = join(dir, 'big.bin');
    writeFileSync(big, randomBytes(BIG_BYTES));
    const backends: LabProcess[] = [];
    for (const n of SERVERS) {
      const home = join(dir, `nginx-${serverName(n)}`);
      mkdirSync(home, { recursive: true });
      writeFileSync(join(home, 'nginx.conf'), nginxBackendConfig(home, serverName(n), big));
      await lab.sysctl(serverName(n), 'net.core.somaxconn', 4096);
      const p = await lab.spawn(serverName(n), ['nginx', '-p', home, '-c', join(home, 'nginx.conf')]);
      backends.push(p);
    }
    await waitFor(
      async () => {
        for (const n of SERVERS) {
          if (!(await httpGet(lab, 'client', `http://${serverIp(n)}/`)).includes(serverName(n))) return false;
        }
        return true;
      },
      10_000,
      'nginx backends answering',
    );
    return { lab, backends };
  } catch (error) {
    await lab.destroy();
    throw error;
  }
}

/** One GET from inside `host` (Node's fetch; no curl needed): the body, or '' on failure. */
export async function httpGet(lab: Lab, host: string, url: string): Promise<string> {
  const script = `fetch(${JSON.stringify(url)}, { signal: AbortSignal.timeout(1000) }).then((r) => r.text()).then((t) => process.stdout.write(t), () => {})`;
  try {
    return (await lab.exec(host, [process.execPath, '-e', script], { check: false, timeoutMs: 5000 })).stdout;
  } catch {
    return ''; // timed out (a loaded machine): the caller polls again
  }
}

export async function waitFor(test: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await test())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

export interface ClusterVip {
  readonly address: string;
  readonly policy: 'active-passive' | 'rendezvous' | 'modulo';
}

export interface ClusterOptions {
  readonly heartbeatMs: number;
  /** Missed heartbeats before a peer is dead (the daemon's `heartbeat.deadAfter`). Default 3. */
  readonly deadAfter?: number;
  readonly vips: readonly ClusterVip[];
  readonly drainTimeoutS?: number;
  /** Extra Node options for the daemons (`--cpu-prof`, ...). */
  readonly nodeArgs?: readonly string[];
  /** A command the daemons run under (`['nice', '-n', '-10']`, `['chrt', '-r', '10']`). */
  readonly launcher?: readonly string[];
}

const PRIORITY: Record<number, number> = { 1: 200, 2: 150, 3: 100 };
const DAEMON = join(repoRoot, 'apps', 'switchyardd', 'dist', 'bin.js');

/** The Switchyard flood cluster: one `switchyard run` per server. */
export class SwitchyardCluster {
  private readonly daemons = new Map<number, LabProcess>();

  private constructor(
    private readonly lab: Lab,
    private readonly dir: string,
    private readonly argv: readonly string[],
  ) {}

  static async start(lab: Lab, dir: string, options: ClusterOptions): Promise<SwitchyardCluster> {
    const secret = randomBytes(32).toString('hex');
    const argv = [
      ...(options.launcher ?? []),
      process.execPath,
      ...(options.nodeArgs ?? []),
      DAEMON,
      'run',
      '-c',
    ];
    const cluster = new SwitchyardCluster(lab, dir, argv);
    try {
      for (const n of SERVERS) {
        const home = join(dir, `switchyard-${serverName(n)}`);
        mkdirSync(home, { recursive: true });
        writeFileSync(
          join(home, 'config.json'),
          JSON.stringify({
            interface: 'eth0',
            node: { id: n },
            cluster: { id: 8, keys: [{ id: 1, secret }] },
            vips: options.vips.map((v) => ({
              address: v.address,
              policy: v.policy,
              ports: [80],
              mac: VMAC,
              ...(v.policy === 'active-passive' ? { priority: PRIORITY[n] } : {}),
            })),
            heartbeat: { intervalMs: options.heartbeatMs, deadAfter: options.deadAfter ?? 3, holdMs: 0 },
            shutdown: { drainTimeoutS: options.drainTimeoutS ?? 10 },
            log: { level: 'info' },
            admin: { socket: join(home, 'admin.sock') },
          }),
          { mode: 0o600 },
        );
        await cluster.spawn(n);
      }
      await waitFor(
        async () => {
          for (const v of options.vips) if ((await cluster.activeOf(v.address)).length !== 1) return false;
          return true;
        },
        10_000,
        'one active node per VIP',
      );
      return cluster;
    } catch (error) {
      await cluster.stop();
      throw error;
    }
  }

  /**
   * Starts server n's daemon with its configuration (again, after a kill: it takes over the
   * persistent TAP and rebuilds its flows from the kernel); resolves once it is ready.
   */
  async spawn(n: number): Promise<LabProcess> {
    const config = join(this.dir, `switchyard-${serverName(n)}`, 'config.json');
    const p = await this.lab.spawn(serverName(n), [...this.argv, config]);
    this.daemons.set(n, p);
    await p.waitForLine('"event":"ready"', { timeoutMs: 20_000 }).catch((error: unknown) => {
      throw new Error(`${serverName(n)}'s daemon did not start: ${p.output('stderr').slice(-5).join('\n')}`, {
        cause: error,
      });
    });
    return p;
  }

  daemon(n: number): LabProcess {
    const p = this.daemons.get(n);
    if (p === undefined) throw new Error(`no daemon on ${serverName(n)}`);
    return p;
  }

  /** The latest daemon started on each server. */
  all(): ReadonlyMap<number, LabProcess> {
    return this.daemons;
  }

  async status(n: number): Promise<Status> {
    return JSON.parse(await adminGet(join(this.dir, `switchyard-${serverName(n)}`, 'admin.sock'), '/status'));
  }

  /** The servers that say they are active for `vip` (of those still running). */
  async activeOf(vip: string): Promise<number[]> {
    const active: number[] = [];
    for (const [n, p] of this.daemons) {
      if (p.exit !== null) continue;
      const s = await this.status(n).catch(() => undefined);
      if (s?.vips.some((v) => v.address === vip && v.role === 'active')) active.push(n);
    }
    return active;
  }

  /** PIDs of the running daemons (of server n only, when given). */
  pids(n?: number): number[] {
    return [...this.daemons]
      .filter(([server, p]) => (n === undefined || server === n) && p.exit === null)
      .map(([, p]) => p.pid);
  }

  /** SIGTERM to every daemon still running; waits for them (graceful: hand over, drain, restore). */
  async stop(): Promise<void> {
    const running = [...this.daemons.values()].filter((p) => p.exit === null);
    for (const p of running) p.signal('SIGTERM');
    await Promise.all(running.map((p) => p.wait(30_000).catch(() => p.kill('SIGKILL'))));
  }
}
