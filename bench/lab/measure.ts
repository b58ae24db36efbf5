/**
 * What the netns benchmarks read off the system: wrk's report, and the CPU time processes
 * spent (user + system, from /proc/<pid>/stat), to price each request in CPU.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

export interface WrkResult {
  requests: number;
  seconds: number;
  requestsPerSecond: number;
  /** Latency percentiles from `--latency`, ms. */
  p50Ms: number;
  p99Ms: number;
  /** connect + read + write + timeout socket errors. */
  socketErrors: number;
  non2xx: number;
}

const UNIT_MS: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000 };

function duration(text: string): number {
  const m = /^([\d.]+)(us|ms|s|m)$/.exec(text);
  if (m === null) throw new Error(`wrk: unreadable duration '${text}'`);
  return Number(m[1]) * UNIT_MS[m[2]!]!;
}

/** Parses wrk's text report (run with `--latency`). */
export function parseWrk(output: string): WrkResult {
  const grab = (re: RegExp, what: string): RegExpExecArray => {
    const m = re.exec(output);
    if (m === null) throw new Error(`wrk: no ${what} in its report:\n${output}`);
    return m;
  };
  const total = grab(/(\d+) requests in ([\d.]+\w+),/, 'request count');
  const errors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(output);
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(output);
  const requests = Number(total[1]);
  const seconds = duration(total[2]!) / 1000;
  return {
    requests,
    seconds,
    requestsPerSecond: Number(grab(/Requests\/sec:\s+([\d.]+)/, 'Requests/sec')[1]),
    p50Ms: duration(grab(/^\s+50%\s+(\S+)/m, 'p50')[1]!),
    p99Ms: duration(grab(/^\s+99%\s+(\S+)/m, 'p99')[1]!),
    socketErrors: errors === null ? 0 : errors.slice(1).reduce((s, v) => s + Number(v), 0),
    non2xx: non2xx === null ? 0 : Number(non2xx[1]),
  };
}

const TICKS_PER_SECOND = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

/** CPU seconds (user + system, all threads) that `pid` has used; 0 once it is gone. */
export function cpuSeconds(pid: number): number {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return 0;
  }
  // Fields after the command name (which may hold spaces) start at field 3.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
}

/** The PIDs of every process inside a named network namespace. */
export function namespacePids(namespace: string): number[] {
  const out = execFileSync('ip', ['netns', 'pids', namespace], { encoding: 'utf8' });
  return out
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map(Number);
}

/** Sums the CPU of a set of processes between two instants (processes may come and go). */
export class CpuMeter {
  private readonly start = new Map<number, number>();

  constructor(private readonly pids: () => readonly number[]) {
    for (const pid of pids()) this.start.set(pid, cpuSeconds(pid));
  }

  /** CPU seconds used since construction by the processes alive now. */
  read(): number {
    let sum = 0;
    for (const pid of this.pids()) sum += cpuSeconds(pid) - (this.start.get(pid) ?? 0);
    return sum;
  }
}

export const median = (values: readonly number[]): number => {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length === 0 ? Number.NaN : s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
