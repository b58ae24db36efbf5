/**
 * The main-thread waiter. Every link opened with the `reactor` driver registers its fd here;
 * one `poll()` over all of them runs on koffi's async pool (one pool thread, however many
 * links), so the event loop never blocks. An eventfd in the set wakes the poll when a link
 * joins or leaves; a leaving link's fd is closed only after the poll that watched it has
 * returned, so no poll ever waits on a closed (or reused) fd number.
 *
 * Measured alternative (see README): a timer that checks the ring every millisecond costs
 * CPU while idle and adds up to 1 ms of latency; one async poll per link would pin one of
 * libuv's 4 pool threads per link.
 */
import { Pollfd } from './layout.js';
import { C, fail, libc } from './sys.js';

/** A readable source: `ready()` drains it without blocking. */
export interface ReactorSource {
  readonly fd: number;
  ready(): void;
  /**
   * poll() reported POLLERR: read (and so clear) the pending socket error. Without it a
   * socket whose interface went down (ENETDOWN) stays readable-with-error and the waiter spins.
   */
  pollError?(): void;
}

/** A pollfd array watching each fd for POLLIN (revents are the kernel's to write): its bytes for poll(), a view to read. */
export function pollSet(fds: readonly number[]): {
  readonly bytes: Uint8Array<ArrayBuffer>;
  readonly view: DataView;
} {
  const bytes = new Uint8Array(fds.length * Pollfd.SIZE);
  const view = new DataView(bytes.buffer);
  fds.forEach((fd, i) => {
    view.setInt32(i * Pollfd.SIZE + Pollfd.fd, fd, true);
    view.setInt16(i * Pollfd.SIZE + Pollfd.events, C.POLLIN, true);
  });
  return { bytes, view };
}

/**
 * After a poll on `set`: for each of `sources` (entry `first + i`) whose revents are set and
 * that `live` still accepts, clears a pending socket error (POLLERR) and drains it, each call
 * made through `run` (so a caller can catch per call).
 */
export function dispatchReady(
  set: DataView,
  first: number,
  sources: readonly ReactorSource[],
  live: (source: ReactorSource) => boolean,
  run: (fn: () => void) => void,
): void {
  for (let i = 0; i < sources.length; i++) {
    const revents = set.getInt16((first + i) * Pollfd.SIZE + Pollfd.revents, true);
    if (revents === 0) continue;
    const s = sources[i]!;
    if (!live(s)) continue; // removed by an earlier source's handler
    if ((revents & C.POLLERR) !== 0 && s.pollError !== undefined) run(() => s.pollError!());
    run(() => s.ready());
  }
}

const direct = (fn: () => void): void => fn();

class Reactor {
  private readonly sources = new Set<ReactorSource>();
  private readonly released: Array<() => void> = [];
  private wakeFd = -1;
  private polling = false;
  private readonly wakeBuf = new BigUint64Array([1n]);
  private readonly drainBuf = new Uint8Array(8);
  private dirty = true;
  private list: ReactorSource[] = [];
  private set = pollSet([]);

  add(source: ReactorSource): void {
    this.sources.add(source);
    this.dirty = true;
    this.kick();
  }

  /** Stops watching `source`; `release` runs once no poll can still be looking at its fd. */
  remove(source: ReactorSource, release: () => void): void {
    this.sources.delete(source);
    this.dirty = true;
    if (!this.polling) {
      release();
      return;
    }
    this.released.push(release);
    this.wake();
  }

  get size(): number {
    return this.sources.size;
  }

  private wake(): void {
    if (this.wakeFd >= 0) libc().write(this.wakeFd, new Uint8Array(this.wakeBuf.buffer), 8);
  }

  private kick(): void {
    if (this.polling) {
      this.wake(); // the running poll restarts with the new set
      return;
    }
    if (this.sources.size === 0) return;
    const sys = libc();
    if (this.wakeFd < 0) {
      this.wakeFd = sys.eventfd(0, C.EFD_NONBLOCK | C.EFD_CLOEXEC);
      if (this.wakeFd < 0) fail('eventfd', sys.errno());
    }
    // Rebuild the pollfd array only when the set changed: a busy link re-arms per ring block.
    if (this.dirty) this.rebuild();
    this.polling = true;
    sys.pollAsync(this.set.bytes, this.list.length + 1, -1, this.done);
  }

  private rebuild(): void {
    this.dirty = false;
    this.list = [...this.sources];
    this.set = pollSet([this.wakeFd, ...this.list.map((s) => s.fd)]);
  }

  private readonly done = (_err: unknown, n: number): void => {
    this.polling = false;
    for (const release of this.released.splice(0)) release();
    const dv = this.set.view;
    if (dv.getInt16(Pollfd.revents, true) !== 0) libc().read(this.wakeFd, this.drainBuf, 8);
    try {
      // n < 0 is EINTR (fds stay valid until the poll returns): poll again.
      if (n > 0) dispatchReady(dv, 1, this.list, (s) => this.sources.has(s), direct);
    } finally {
      this.kick();
    }
  };
}

let reactor: Reactor | undefined;

/** This thread's reactor. */
export function mainReactor(): Reactor {
  reactor ??= new Reactor();
  return reactor;
}
