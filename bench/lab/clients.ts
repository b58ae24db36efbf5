/**
 * Client-side programs the failover benchmark runs inside the client namespace (`node -e`),
 * so nothing beyond Node is needed there.
 */

/** One probe: a new TCP connection and an HTTP/1.0 GET, started every `intervalMs`. */
export interface ProbeRecord {
  /** Start, ms since the epoch (performance.timeOrigin + now: comparable across processes). */
  at: number;
  ok: boolean;
  /** Who answered (x-served-by), or why it failed. */
  by: string;
  ms: number;
}

/**
 * argv: host intervalMs timeoutMs durationMs. Prints one JSON array of [at, ok, by, ms] rows at
 * the end. A probe fails if no full answer came within timeoutMs (no SYN retransmit can rescue
 * it: the first retransmit is 1 s away), so a failed probe marks a moment the VIP did not serve.
 */
export const PROBE = `
const net = require('node:net');
const [host, intervalMs, timeoutMs, durationMs] = process.argv.slice(1).map((v, i) => (i === 0 ? v : Number(v)));
const now = () => performance.timeOrigin + performance.now();
const rows = [];
let pending = 0;
const end = now() + durationMs;
const one = () => {
  const at = now();
  pending++;
  let data = '';
  let done = false;
  const s = net.connect({ host, port: 80 });
  const finish = (ok, by) => {
    if (done) return;
    done = true;
    clearTimeout(t);
    s.destroy();
    rows.push([Math.round(at * 1000) / 1000, ok ? 1 : 0, by, Math.round((now() - at) * 1000) / 1000]);
    if (--pending === 0 && now() >= end) print();
  };
  const t = setTimeout(() => finish(false, 'timeout'), timeoutMs);
  s.on('connect', () => s.write('GET / HTTP/1.0\\r\\nHost: vip\\r\\n\\r\\n'));
  s.on('data', (d) => { data += d; });
  s.on('end', () => {
    const m = /x-served-by: (\\S+)/i.exec(data);
    finish(data.startsWith('HTTP/1.1 200') && m !== null, m ? m[1] : 'bad answer');
  });
  s.on('error', (e) => finish(false, e.code || e.message));
};
let printed = false;
const print = () => { if (printed) return; printed = true; process.stdout.write(JSON.stringify(rows) + '\\n'); };
const timer = setInterval(() => { if (now() >= end) { clearInterval(timer); if (pending === 0) print(); return; } one(); }, intervalMs);
`;

export type ProbeRow = [at: number, ok: 0 | 1, by: string, ms: number];

export function parseProbe(stdout: readonly string[]): ProbeRecord[] {
  const line = stdout.find((l) => l.startsWith('['));
  if (line === undefined) throw new Error('the probe printed no result');
  return (JSON.parse(line) as ProbeRow[]).map(([at, ok, by, ms]) => ({ at, ok: ok === 1, by, ms }));
}

/** A long download: argv host path. Prints {ok, bytes, error} when it ends. */
export const TRANSFER = `
const http = require('node:http');
const [host, path] = process.argv.slice(1);
let bytes = 0;
const req = http.get({ host, port: 80, path, agent: false }, (res) => {
  res.on('data', (d) => { bytes += d.length; });
  res.on('end', () => console.log(JSON.stringify({ ok: res.complete, bytes, length: Number(res.headers['content-length']) })));
  res.on('error', (e) => console.log(JSON.stringify({ ok: false, bytes, error: e.code || e.message })));
});
req.setTimeout(4000, () => req.destroy(Object.assign(new Error('stalled 4 s'), { code: 'ESTALLED' })));
req.on('error', (e) => console.log(JSON.stringify({ ok: false, bytes, error: e.code || e.message })));
`;

export interface TransferResult {
  ok: boolean;
  bytes: number;
  length?: number;
  error?: string;
}

export function parseTransfer(stdout: readonly string[]): TransferResult {
  const line = stdout.find((l) => l.startsWith('{'));
  return line === undefined
    ? { ok: false, bytes: 0, error: 'no result' }
    : (JSON.parse(line) as TransferResult);
}
