/**
 * The peers users would pick instead of Switchyard, from Debian packages (BENCHMARKS.md:
 * installed by the benchmark's setup, never by hand), and the configurations they run with in
 * the lab. Each configuration is what a careful operator would write for the job: nothing
 * tuned for the benchmark beyond logging off and limits raised.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** A peer: the binary (or file) that proves it is installed, and the package that brings it. */
export interface Peer {
  readonly name: string;
  readonly path: string;
  readonly package: string;
}

export const PEERS = {
  wrk: { name: 'wrk', path: '/usr/bin/wrk', package: 'wrk' },
  nginx: { name: 'nginx', path: '/usr/sbin/nginx', package: 'nginx' },
  nginxStream: {
    name: 'nginx stream',
    path: '/usr/lib/nginx/modules/ngx_stream_module.so',
    package: 'libnginx-mod-stream',
  },
  haproxy: { name: 'haproxy', path: '/usr/sbin/haproxy', package: 'haproxy' },
  keepalived: { name: 'keepalived', path: '/usr/sbin/keepalived', package: 'keepalived' },
} as const satisfies Record<string, Peer>;

/**
 * Installs the missing peers with apt-get (root only); returns, per peer still missing, why.
 * A peer that cannot be installed is reported, and the benchmark runs without it.
 */
export function ensurePeers(peers: readonly Peer[]): Map<string, string> {
  const missing = peers.filter((p) => !existsSync(p.path));
  if (missing.length > 0) {
    const packages = [...new Set(missing.map((p) => p.package))];
    console.log(`installing ${packages.join(' ')} (apt-get)`);
    try {
      const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
      execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
      execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...packages], {
        stdio: 'inherit',
        env,
      });
    } catch (error) {
      console.log(`apt-get failed: ${(error as Error).message}`);
    }
  }
  const unavailable = new Map<string, string>();
  for (const p of peers)
    if (!existsSync(p.path)) unavailable.set(p.name, `${p.path} missing after apt-get install ${p.package}`);
  return unavailable;
}

/**
 * The main context every nginx here shares: in the foreground, its files in `dir`, 9,000
 * connections per worker (this machine's hard limit on open files is 20,000).
 */
function nginxMain(dir: string, workers: string): string {
  return `worker_processes ${workers};
daemon off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 9000; }`;
}

/** The sentence a result ends with when peers could not run. */
export function notRunNote(unavailable: ReadonlyMap<string, string>): string {
  return unavailable.size === 0
    ? ''
    : `\nNot run: ${[...unavailable].map(([n, why]) => `${n} (${why})`).join('; ')}.`;
}

/**
 * nginx as the HTTP backend every contender reaches: `/` answers a few bytes from memory;
 * `/big` sends `big` (a file) at 256 KiB/s, a long transfer for the failover benchmark.
 */
export function nginxBackendConfig(dir: string, name: string, big: string): string {
  return `
user root;
${nginxMain(dir, '1')}
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  keepalive_requests 1000000;
  keepalive_timeout 120s;
  server {
    listen 80 reuseport backlog=4096;
    location / { add_header x-served-by ${name}; return 200 "hello from ${name}\\n"; }
    location = /big { add_header x-served-by ${name}; limit_rate 256k; default_type application/octet-stream; alias ${big}; }
  }
}
`;
}

/** nginx `stream` proxying TCP round-robin to the backends. */
export function nginxStreamConfig(dir: string, listen: string, backends: readonly string[]): string {
  return `
load_module ${PEERS.nginxStream.path};
worker_rlimit_nofile 19000;
${nginxMain(dir, 'auto')}
stream {
  upstream backends {
${backends.map((b) => `    server ${b};`).join('\n')}
  }
  server {
    listen ${listen} reuseport backlog=4096;
    proxy_pass backends;
    proxy_connect_timeout 5s;
  }
}
`;
}

/** haproxy `mode tcp`, round-robin to the backends. */
export function haproxyConfig(listen: string, backends: readonly string[]): string {
  return `
global
  maxconn 9000
  log stdout format raw local0 err

defaults
  mode tcp
  timeout connect 5s
  timeout client 60s
  timeout server 60s

frontend l4
  bind ${listen}
  default_backend backends

backend backends
  balance roundrobin
${backends.map((b, i) => `  server s${i + 1} ${b}`).join('\n')}
`;
}

/** keepalived VRRPv3 holding `vip` on `iface`, at `advertMs` (centisecond granularity). */
export function keepalivedConfig(options: {
  readonly dir: string;
  readonly iface: string;
  readonly vip: string;
  readonly priority: number;
  readonly advertMs: number;
  readonly routerId: number;
}): string {
  const { dir, iface, vip, priority, advertMs, routerId } = options;
  return `
global_defs {
  router_id sy${routerId}
  vrrp_version 3
  script_user root
  enable_script_security
  vrrp_garp_master_delay 0
  vrrp_garp_master_repeat 1
  pid_file ${dir}/keepalived.pid
  vrrp_pid_file ${dir}/vrrp.pid
}
vrrp_instance vip {
  state BACKUP
  interface ${iface}
  virtual_router_id ${routerId}
  priority ${priority}
  advert_int ${(advertMs / 1000).toFixed(2)}
  virtual_ipaddress { ${vip} }
}
`;
}

/** Whether `binary` runs at all (a package may install but fail on this kernel). */
export function runs(binary: string, args: readonly string[]): boolean {
  try {
    execFileSync(binary, args, { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
