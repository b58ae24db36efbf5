/**
 * The low-overhead driver for a thread that runs a data path: the thread itself blocks in
 * poll() on its links' fds, for at most `maxBlockMs` or until its next timer, then lets its
 * event loop run (one `setImmediate` turn: I/O callbacks, signals, Node timers) and polls
 * again. Frames wake the thread straight from the kernel, as in a C program.
 *
 * Measured here (2-vCPU VM, bench/l4): the reactor's async poll costs two cross-thread
 * wake-ups per ring block (the pool thread, then the event loop), ~48 µs of CPU each round
 * trip, paid ~1,000 times a second per busy link. This loop pays one kernel wake-up. The price
 * is that the event loop only runs between polls: other work on this thread (an admin
 * socket, timers) waits up to `maxBlockMs`. Links it drives are opened with `driver: 'manual'`.
 */
import { dispatchReady, pollSet, type ReactorSource } from './reactor.js';
import { Errno, fail, libc } from './sys.js';

export interface PollLoopOptions {
  /** Longest the thread stays in one poll() before its event loop runs (ms). Default 10. */
  readonly maxBlockMs?: number;
  /** Where an error thrown by a source's `ready()` or a timer goes (the loop keeps running). Default: rethrown from `run()`. */
  readonly onError?: (error: unknown) => void;
}

interface Timer {
  readonly atNs: number;
  readonly fn: () => void;
  cancelled: boolean;
}

const nowNs = (): number => Math.floor(performance.now() * 1e6);
const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export class PollLoop {
  readonly #maxBlockMs: number;
  readonly #onError: ((error: unknown) => void) | undefined;
  #sources: ReactorSource[] = [];
  #set = pollSet([]);
  /** Pending timers, soonest first. */
  #timers: Timer[] = [];
  #running = false;
  #stopped = false;
  /** poll() calls (for tests and metrics). */
  polls = 0;

  constructor(options: PollLoopOptions = {}) {
    const max = options.maxBlockMs ?? 10;
    if (!Number.isInteger(max) || max < 0 || max > 1000)
      throw new RangeError(`maxBlockMs needs an integer 0..1000, got ${max}`);
    this.#maxBlockMs = max;
    this.#onError = options.onError;
  }

  /** Monotonic nanoseconds (performance.now's clock). */
  now(): number {
    return nowNs();
  }

  /** Calls `fn` once at `atNs` (or as soon after as the loop gets to it); returns a cancel function. */
  at(atNs: number, fn: () => void): () => void {
    const timer: Timer = { atNs, fn, cancelled: false };
    const timers = this.#timers;
    let i = timers.length;
    while (i > 0 && timers[i - 1]!.atNs > atNs) i--;
    timers.splice(i, 0, timer);
    return () => {
      if (timer.cancelled) return;
      timer.cancelled = true;
      const at = this.#timers.indexOf(timer);
      if (at >= 0) this.#timers.splice(at, 1);
    };
  }

  /** Watches `source` (a `manual`-driver link, or anything with an fd and `ready()`). */
  add(source: ReactorSource): void {
    if (!this.#sources.includes(source)) this.#sources = [...this.#sources, source];
    this.#rebuild();
  }

  /** Stops watching `source`; call it before closing the source's fd. */
  remove(source: ReactorSource): void {
    this.#sources = this.#sources.filter((s) => s !== source);
    this.#rebuild();
  }

  get running(): boolean {
    return this.#running;
  }

  /** Runs until `stop()`; resolves then. */
  async run(): Promise<void> {
    if (this.#running) throw new Error('PollLoop is already running');
    this.#running = true;
    this.#stopped = false;
    try {
      while (!this.#stopped) {
        this.#runTimers();
        if (this.#stopped) break;
        const next = this.#timers[0]?.atNs ?? Number.POSITIVE_INFINITY;
        const waitMs = Math.max(0, Math.min(this.#maxBlockMs, Math.ceil((next - nowNs()) / 1e6)));
        if (this.#sources.length > 0) this.#poll(waitMs);
        else if (waitMs > 0) await new Promise((resolve) => setTimeout(resolve, waitMs));
        this.#runTimers();
        await turn();
      }
    } finally {
      this.#running = false;
    }
  }

  /** Ends `run()` after the current step; sources stay registered (remove them before closing). */
  stop(): void {
    this.#stopped = true;
  }

  #rebuild(): void {
    this.#set = pollSet(this.#sources.map((s) => s.fd));
  }

  #poll(waitMs: number): void {
    const list = this.#sources;
    const set = this.#set;
    this.polls++;
    const n = libc().poll(set.bytes, list.length, waitMs);
    if (n < 0) {
      const errno = libc().errno();
      if (errno === Errno.EINTR) return; // a signal: the event loop turn that follows handles it
      fail('poll', errno);
    }
    if (n > 0) dispatchReady(set.view, 0, list, (s) => this.#sources.includes(s), this.#run);
  }

  #runTimers(): void {
    const now = nowNs();
    const timers = this.#timers;
    while (timers.length > 0 && timers[0]!.atNs <= now) {
      const t = timers.shift()!;
      t.cancelled = true; // ran: a later cancel is a no-op
      this.#guard(t.fn);
    }
  }

  readonly #run = (fn: () => void): void => this.#guard(fn);

  #guard(fn: () => void): void {
    if (this.#onError === undefined) {
      fn();
      return;
    }
    try {
      fn();
    } catch (error) {
      this.#onError(error);
    }
  }
}
