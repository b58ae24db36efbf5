/**
 * Hosts drive sans-I/O endpoints: the endpoint never sees a clock or a socket, only
 * `(input, now)`; the host feeds it received frames and timeouts on virtual time and sends
 * what it polls out (the quinn/smoltcp "poll" shape).
 */
import type { Link } from './link.js';
import type { Scheduler, Timer } from './time.js';

/** A protocol state machine that a `Host` can drive. */
export interface SansIoEndpoint {
  /** A frame arrived at `now` (valid only during the call). */
  handleFrame(frame: Uint8Array, now: number): void;
  /** The next frame to send, or undefined when there is none. Called until undefined. */
  pollTransmit(now: number): Uint8Array | undefined;
  /** When the endpoint next wants `handleTimeout`, or undefined. */
  pollTimeout(): number | undefined;
  handleTimeout(now: number): void;
  /** Optional: the host passes a function the endpoint calls when it has output outside a handler. */
  setWaker?(wake: () => void): void;
}

/** Binds one endpoint to one link on the scheduler. */
export class Host {
  #timer: Timer | undefined;
  #wakeTimer: Timer | undefined;
  #detached = false;

  constructor(
    private readonly scheduler: Scheduler,
    readonly link: Link,
    readonly endpoint: SansIoEndpoint,
  ) {
    link.onReceive((frame) => {
      endpoint.handleFrame(frame, scheduler.now);
      this.#service();
    });
    endpoint.setWaker?.(() => this.wake());
  }

  /** Flushes the endpoint's output and timer later in the current instant (deduplicated). */
  wake(): void {
    if (this.#detached || this.#wakeTimer?.active === true) return;
    this.#wakeTimer = this.scheduler.after(0, () => this.#service());
  }

  /** Stops driving the endpoint (the link stays open). */
  detach(): void {
    this.#detached = true;
    this.link.onReceive(undefined);
    this.#timer?.cancel();
    this.#wakeTimer?.cancel();
  }

  #service(): void {
    if (this.#detached) return;
    const now = this.scheduler.now;
    for (let f = this.endpoint.pollTransmit(now); f !== undefined; f = this.endpoint.pollTransmit(now)) {
      this.link.send(f);
    }
    const at = this.endpoint.pollTimeout();
    const current = this.#timer;
    if (current?.active === true && current.at === at) return;
    current?.cancel();
    this.#timer = undefined;
    if (at === undefined) return;
    this.#timer = this.scheduler.at(Math.max(at, now), () => {
      this.endpoint.handleTimeout(this.scheduler.now);
      this.#service();
    });
  }
}
