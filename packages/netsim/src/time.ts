/**
 * Virtual time. Time is an integer count of nanoseconds since the start of the simulation,
 * held in a plain number (exact up to 2^53 ns, about 104 days). Nothing here reads a real clock.
 */
import { InvalidArgumentError } from '@switchyard/wire';

/** Converts to the simulator's nanosecond unit. */
export const Duration = {
  ns: (n: number): number => Math.round(n),
  us: (n: number): number => Math.round(n * 1e3),
  ms: (n: number): number => Math.round(n * 1e6),
  s: (n: number): number => Math.round(n * 1e9),
} as const;

/** A scheduled callback; `cancel` is idempotent. */
export interface Timer {
  /** When it fires, in virtual nanoseconds. */
  readonly at: number;
  /** False once fired or cancelled. */
  readonly active: boolean;
  cancel(): void;
}

class Event implements Timer {
  active = true;
  constructor(
    readonly at: number,
    readonly seq: number,
    readonly fn: () => void,
  ) {}
  cancel(): void {
    this.active = false;
  }
}

/** Earlier time first; at equal times, earlier scheduling first (FIFO), so runs are deterministic. */
function before(a: Event, b: Event): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}

/**
 * A discrete-event scheduler over virtual time: a binary min-heap of callbacks ordered by
 * (time, insertion order). Running it moves `now` from event to event; no real time passes.
 */
export class Scheduler {
  #now = 0;
  #seq = 0;
  readonly #heap: Event[] = [];
  /** Events run so far. */
  executed = 0;

  /** Current virtual time in nanoseconds. */
  get now(): number {
    return this.#now;
  }

  /** Events waiting (including cancelled ones not yet popped). */
  get pending(): number {
    return this.#heap.length;
  }

  /** Runs `fn` at virtual time `time` (not before `now`). */
  at(time: number, fn: () => void): Timer {
    if (!Number.isFinite(time) || time < this.#now) {
      throw new InvalidArgumentError('netsim', 'time', `cannot schedule at ${time}, now is ${this.#now}`);
    }
    const ev = new Event(time, this.#seq++, fn);
    this.#push(ev);
    return ev;
  }

  /** Runs `fn` after `delay` nanoseconds (0 = later in the current instant, after what is already queued). */
  after(delay: number, fn: () => void): Timer {
    return this.at(this.#now + Math.max(0, delay), fn);
  }

  /** Time of the next live event, or undefined when idle. */
  nextEventTime(): number | undefined {
    this.#dropCancelled();
    return this.#heap[0]?.at;
  }

  /** Runs the next live event; false when there is none. */
  step(): boolean {
    this.#dropCancelled();
    const ev = this.#pop();
    if (ev === undefined) return false;
    this.#now = ev.at;
    ev.active = false;
    this.executed++;
    ev.fn();
    return true;
  }

  /** Runs every event due at or before `time`, then sets `now` to `time`. Returns events run. */
  runUntil(time: number): number {
    if (time < this.#now) throw new InvalidArgumentError('netsim', 'time', `${time} is in the past`);
    let n = 0;
    for (;;) {
      const next = this.nextEventTime();
      if (next === undefined || next > time) break;
      this.step();
      n++;
    }
    this.#now = time;
    return n;
  }

  /** Runs for `duration` nanoseconds of virtual time. */
  runFor(duration: number): number {
    return this.runUntil(this.#now + duration);
  }

  /**
   * Runs until no event is left. Throws after `maxEvents` events, which catches a periodic
   * timer that would otherwise run forever.
   */
  runUntilIdle(maxEvents = 50_000_000): number {
    let n = 0;
    while (this.step()) {
      if (++n >= maxEvents)
        throw new InvalidArgumentError('netsim', 'maxEvents', `still busy after ${n} events`);
    }
    return n;
  }

  #dropCancelled(): void {
    while (this.#heap.length > 0 && !this.#heap[0]!.active) this.#pop();
  }

  #push(ev: Event): void {
    const h = this.#heap;
    let i = h.length;
    h.push(ev);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = h[parent]!;
      if (!before(ev, p)) break;
      h[i] = p;
      i = parent;
    }
    h[i] = ev;
  }

  #pop(): Event | undefined {
    const h = this.#heap;
    const top = h[0];
    const last = h.pop();
    if (top === undefined || last === undefined || h.length === 0) return top;
    const n = h.length;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      let c = l;
      if (r < n && before(h[r]!, h[l]!)) c = r;
      if (!before(h[c]!, last)) break;
      h[i] = h[c]!;
      i = c;
    }
    h[i] = last;
    return top;
  }
}
