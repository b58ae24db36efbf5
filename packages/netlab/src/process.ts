/**
 * A long-running process inside a lab namespace: tracked by PID, its output split into lines
 * kept in a bounded log (oldest dropped and counted), killed with SIGTERM then SIGKILL.
 */
import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Writable } from 'node:stream';
import { NetlabError, NetlabErrorCode } from './errors.js';

/** How a process ended. */
export interface ProcessExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** Which output a line came from. */
export type OutputStream = 'stdout' | 'stderr';

/** Default number of lines kept per stream. */
export const DEFAULT_MAX_LINES = 1000;
/** Default time between SIGTERM and SIGKILL. */
export const DEFAULT_KILL_GRACE_MS = 2000;

/** A bounded log of lines with readers that follow it. */
class LineLog {
  readonly lines: string[] = [];
  /** Absolute index of `lines[0]`. */
  first = 0;
  dropped = 0;
  ended = false;
  private readonly listeners = new Set<() => void>();

  constructor(private readonly max: number) {}

  get end(): number {
    return this.first + this.lines.length;
  }

  push(line: string): void {
    this.lines.push(line);
    if (this.lines.length > this.max) {
      this.lines.shift();
      this.first++;
      this.dropped++;
    }
    this.notify();
  }

  close(): void {
    this.ended = true;
    this.notify();
  }

  at(index: number): string | undefined {
    return this.lines[index - this.first];
  }

  listen(f: () => void): () => void {
    this.listeners.add(f);
    return () => this.listeners.delete(f);
  }

  private notify(): void {
    for (const f of [...this.listeners]) f();
  }
}

function matches(line: string, pattern: RegExp | string): boolean {
  return typeof pattern === 'string' ? line.includes(pattern) : pattern.test(line);
}

/** A process `lab.spawn` started. */
export class LabProcess {
  /** PID of the process itself (`ip netns exec` and `setpriv` exec into it, keeping the PID). */
  readonly pid: number;
  /** The lab host (or bridge) whose namespace it runs in. */
  readonly host: string;
  /** The argv that was asked for, without the `ip netns exec` wrapper. */
  readonly argv: readonly string[];
  /** Its stdin, for processes that read input. */
  readonly stdin: Writable | null;
  private exitValue: ProcessExit | null = null;
  private readonly exitPromise: Promise<ProcessExit>;
  private readonly logs: Record<OutputStream, LineLog>;

  /** @internal Use `lab.spawn`. */
  constructor(child: ChildProcess, host: string, argv: readonly string[], maxLines: number) {
    if (child.pid === undefined)
      throw new NetlabError(NetlabErrorCode.COMMAND_FAILED, 'process did not start');
    this.pid = child.pid;
    this.host = host;
    this.argv = argv;
    this.stdin = child.stdin;
    this.stdin?.on('error', () => {});
    this.logs = { stdout: new LineLog(maxLines), stderr: new LineLog(maxLines) };
    for (const stream of ['stdout', 'stderr'] as const) {
      const input = child[stream];
      const log = this.logs[stream];
      if (input === null) {
        log.close();
        continue;
      }
      const rl = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
      rl.on('line', (line) => log.push(line));
      rl.on('close', () => log.close());
    }
    this.exitPromise = new Promise((resolve) => {
      child.on('exit', (code, signal) => {
        this.exitValue = { code, signal };
        resolve(this.exitValue);
      });
    });
  }

  /** The exit status once the process ended, else `null`. */
  get exit(): ProcessExit | null {
    return this.exitValue;
  }

  /** Lines dropped from the bounded logs so far (both streams). */
  get droppedLines(): number {
    return this.logs.stdout.dropped + this.logs.stderr.dropped;
  }

  /** The lines still kept of one stream. */
  output(stream: OutputStream = 'stdout'): readonly string[] {
    return [...this.logs[stream].lines];
  }

  /** Waits for the process to end. With `timeoutMs`, rejects with TIMEOUT when it runs longer. */
  wait(timeoutMs?: number): Promise<ProcessExit> {
    if (timeoutMs === undefined) return this.exitPromise;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            new NetlabError(NetlabErrorCode.TIMEOUT, `pid ${this.pid} still runs after ${timeoutMs} ms`),
          ),
        timeoutMs,
      );
      void this.exitPromise.then((e) => {
        clearTimeout(timer);
        resolve(e);
      });
    });
  }

  /** Sends a signal to the PID if it still runs; returns whether it was sent. */
  signal(signal: NodeJS.Signals): boolean {
    if (this.exitValue !== null) return false;
    try {
      process.kill(this.pid, signal);
      return true;
    } catch {
      return false;
    }
  }

  /** Sends `signal` (SIGTERM), then SIGKILL if the process still runs after `graceMs`. */
  async kill(
    signal: NodeJS.Signals = 'SIGTERM',
    graceMs: number = DEFAULT_KILL_GRACE_MS,
  ): Promise<ProcessExit> {
    if (this.exitValue !== null) return this.exitValue;
    this.signal(signal);
    let timer: NodeJS.Timeout | undefined;
    const graceOver = new Promise<null>((resolve) => {
      timer = setTimeout(() => resolve(null), graceMs);
    });
    const first = await Promise.race([this.exitPromise, graceOver]);
    clearTimeout(timer);
    if (first !== null) return first;
    this.signal('SIGKILL');
    return this.exitPromise;
  }

  /**
   * The lines of one stream, from the oldest still kept, following new ones until the
   * stream closes. Lines dropped from the bounded log before they were read are skipped.
   */
  async *lines(stream: OutputStream = 'stdout'): AsyncGenerator<string, void, undefined> {
    const log = this.logs[stream];
    let cursor = log.first;
    for (;;) {
      if (cursor < log.first) cursor = log.first;
      if (cursor < log.end) {
        yield log.at(cursor++)!;
        continue;
      }
      if (log.ended) return;
      await new Promise<void>((resolve) => {
        const stop = log.listen(() => {
          stop();
          resolve();
        });
      });
    }
  }

  /**
   * Resolves with the first line (kept or future) that contains `pattern` (a string) or
   * matches it (a RegExp). Rejects with TIMEOUT, or COMMAND_FAILED if the stream ends first.
   */
  waitForLine(
    pattern: RegExp | string,
    options: { readonly stream?: OutputStream; readonly timeoutMs?: number } = {},
  ): Promise<string> {
    const log = this.logs[options.stream ?? 'stdout'];
    const timeoutMs = options.timeoutMs ?? 10_000;
    return new Promise((resolve, reject) => {
      let cursor = log.first;
      let stop = () => {};
      const timer = setTimeout(() => {
        stop();
        reject(
          new NetlabError(
            NetlabErrorCode.TIMEOUT,
            `pid ${this.pid}: no line matching ${pattern} in ${timeoutMs} ms`,
          ),
        );
      }, timeoutMs);
      const scan = (): void => {
        for (cursor = Math.max(cursor, log.first); cursor < log.end; cursor++) {
          const line = log.at(cursor)!;
          if (matches(line, pattern)) {
            stop();
            clearTimeout(timer);
            resolve(line);
            return;
          }
        }
        if (log.ended) {
          stop();
          clearTimeout(timer);
          const tail = this.logs.stderr.lines.slice(-5).join('\n');
          reject(
            new NetlabError(
              NetlabErrorCode.COMMAND_FAILED,
              `pid ${this.pid} (${this.argv.join(' ')}): output ended before a line matching ${pattern}${tail === '' ? '' : `\n${tail}`}`,
            ),
          );
        }
      };
      stop = log.listen(scan);
      scan();
    });
  }
}
