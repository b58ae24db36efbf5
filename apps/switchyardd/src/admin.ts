/**
 * The admin API: HTTP over a Unix socket (mode 0600, so only the daemon's user reaches it),
 * with `GET /status` (JSON) and `GET /metrics` (Prometheus), optionally also on a TCP
 * address for a Prometheus scraper. `switchyard status` is its client.
 */

import { once } from 'node:events';
import { chmodSync, existsSync, lstatSync, mkdirSync, unlinkSync } from 'node:fs';
import { createServer, type IncomingMessage, request, type Server, type ServerResponse } from 'node:http';
import { dirname } from 'node:path';
import { EXPOSITION_CONTENT_TYPE, type MetricsRegistry } from './metrics.js';

/** What `GET /status` returns. */
export interface Status {
  readonly node: { readonly id: number; readonly address: string; readonly mac: string };
  readonly cluster: number;
  readonly uptimeS: number;
  readonly members: readonly { readonly id: number; readonly address: string; readonly self: boolean }[];
  readonly vips: readonly {
    readonly address: string;
    readonly policy: string;
    readonly role: string;
    readonly active: number | null;
  }[];
  readonly flows: { readonly size: number; readonly capacity: number };
  readonly counters: Readonly<Record<string, number>>;
}

export interface AdminOptions {
  readonly socket: string;
  /** `host:port` to also serve `/metrics` and `/status` on. */
  readonly http?: string;
  readonly status: () => Status;
  readonly metrics: MetricsRegistry;
}

export interface AdminServer {
  readonly servers: readonly Server[];
  close(): Promise<void>;
}

/** Starts the admin API; a stale socket file left by a crashed daemon is replaced. */
export async function startAdmin(options: AdminOptions): Promise<AdminServer> {
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET') {
      res.writeHead(405, { allow: 'GET' }).end();
    } else if (path === '/status') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(`${JSON.stringify(options.status())}\n`);
    } else if (path === '/metrics') {
      res.writeHead(200, { 'content-type': EXPOSITION_CONTENT_TYPE }).end(options.metrics.expose());
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try /status or /metrics\n');
    }
  };
  mkdirSync(dirname(options.socket), { recursive: true, mode: 0o755 });
  if (existsSync(options.socket) && lstatSync(options.socket).isSocket()) unlinkSync(options.socket);
  const unix = createServer(handler);
  unix.listen(options.socket);
  await once(unix, 'listening');
  chmodSync(options.socket, 0o600);
  const servers = [unix];
  if (options.http !== undefined) {
    const at = options.http.lastIndexOf(':');
    const tcp = createServer(handler);
    tcp.listen(Number(options.http.slice(at + 1)), options.http.slice(0, at).replace(/^\[|\]$/g, ''));
    await once(tcp, 'listening');
    servers.push(tcp);
  }
  return {
    servers,
    async close() {
      await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
      try {
        unlinkSync(options.socket);
      } catch {
        // already gone
      }
    },
  };
}

/** `GET path` on the admin socket; resolves to the body, rejects with a readable error. */
export function adminGet(socket: string, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: socket, path, method: 'GET' }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        if (res.statusCode === 200) resolve(body);
        else reject(new Error(`${path}: HTTP ${res.statusCode}: ${body.trim()}`));
      });
    });
    req.on('error', (error: NodeJS.ErrnoException) =>
      reject(
        new Error(
          error.code === 'ENOENT' || error.code === 'ECONNREFUSED'
            ? `no daemon listening on ${socket} (is switchyardd running?)`
            : `${socket}: ${error.message}`,
        ),
      ),
    );
    req.end();
  });
}

/** The status as a readable table (what `switchyard status` prints). */
export function formatStatus(s: Status): string {
  const table = (header: string[], rows: string[][]) => {
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
    return [header, ...rows]
      .map((r) =>
        r
          .map((c, i) => c.padEnd(widths[i]!))
          .join('  ')
          .trimEnd(),
      )
      .join('\n');
  };
  const lines = [
    `node ${s.node.id} (${s.node.address}, ${s.node.mac}), cluster ${s.cluster}, up ${s.uptimeS} s`,
    '',
    table(
      ['VIP', 'POLICY', 'ROLE', 'ACTIVE'],
      s.vips.map((v) => [v.address, v.policy, v.role, v.active === null ? '-' : String(v.active)]),
    ),
    '',
    table(
      ['MEMBER', 'ADDRESS', ''],
      s.members.map((m) => [String(m.id), m.address, m.self ? '(this node)' : '']),
    ),
    '',
    `flows ${s.flows.size} / ${s.flows.capacity}`,
  ];
  const counters = Object.entries(s.counters).filter(([, v]) => v !== 0);
  if (counters.length > 0) lines.push(...counters.map(([k, v]) => `  ${k} ${v}`));
  return lines.join('\n');
}
