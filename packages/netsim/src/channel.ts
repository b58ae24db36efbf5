/**
 * One direction of a cable, with impairments modelled after Linux netem: propagation
 * delay, uniform jitter, loss, duplication, reordering, a bandwidth limit with a bounded
 * transmit queue, and a cut (partition) that can heal.
 */
import { InvalidArgumentError } from '@switchyard/wire';
import type { Random } from './random.js';
import type { Scheduler } from './time.js';

/** Impairments of one direction. Every field defaults to "perfect" (0 / unlimited). */
export interface LinkConditions {
  /** Propagation delay in nanoseconds. */
  delayNs?: number;
  /** Extra delay drawn uniformly in [0, jitterNs]. Jitter alone never reorders (FIFO is kept). */
  jitterNs?: number;
  /** Probability that a frame is lost, in [0, 1]. */
  loss?: number;
  /** Probability that a frame is delivered twice, in [0, 1]. */
  duplicate?: number;
  /** Probability that a frame is held back by `reorderDelayNs` and overtaken by later frames. */
  reorder?: number;
  /** Hold-back of a reordered frame (default 1 ms). */
  reorderDelayNs?: number;
  /** Line rate in bits per second; 0 or absent means infinite (no serialization delay). */
  bandwidthBps?: number;
  /** With a bandwidth: bytes the transmitter holds (in service plus waiting) before tail drop (default 256 KiB). */
  queueLimitBytes?: number;
}

/** What happened to the frames offered to one direction. */
export interface ChannelStats {
  /** Frames offered. */
  offered: number;
  delivered: number;
  lost: number;
  duplicated: number;
  reordered: number;
  /** Tail drops at the bandwidth queue. */
  queueDrops: number;
  /** Frames sent while cut, or in flight when a cut began. */
  partitionDrops: number;
}

interface Normalized {
  delayNs: number;
  jitterNs: number;
  loss: number;
  duplicate: number;
  reorder: number;
  reorderDelayNs: number;
  bandwidthBps: number;
  queueLimitBytes: number;
}

function probability(name: string, p: number | undefined): number {
  const v = p ?? 0;
  if (!(v >= 0 && v <= 1)) throw new InvalidArgumentError('netsim', name, `must be in [0, 1], got ${v}`);
  return v;
}

function nonNegative(name: string, v: number | undefined, fallback: number): number {
  const x = v ?? fallback;
  if (!(Number.isFinite(x) && x >= 0))
    throw new InvalidArgumentError('netsim', name, `must be >= 0, got ${x}`);
  return x;
}

export function normalizeConditions(c: LinkConditions): Normalized {
  return {
    delayNs: Math.round(nonNegative('delayNs', c.delayNs, 0)),
    jitterNs: Math.round(nonNegative('jitterNs', c.jitterNs, 0)),
    loss: probability('loss', c.loss),
    duplicate: probability('duplicate', c.duplicate),
    reorder: probability('reorder', c.reorder),
    reorderDelayNs: Math.round(nonNegative('reorderDelayNs', c.reorderDelayNs, 1_000_000)),
    bandwidthBps: nonNegative('bandwidthBps', c.bandwidthBps, 0),
    queueLimitBytes: nonNegative('queueLimitBytes', c.queueLimitBytes, 256 * 1024),
  };
}

/** Receives frames at the far end of a channel. The frame belongs to the receiver. */
export type FrameSink = (frame: Uint8Array) => void;

/** One direction of a cable. Frames given to `transmit` must be owned (not reused by the caller). */
export class Channel {
  readonly stats: ChannelStats = {
    offered: 0,
    delivered: 0,
    lost: 0,
    duplicated: 0,
    reordered: 0,
    queueDrops: 0,
    partitionDrops: 0,
  };
  #c: Normalized;
  #busyUntil = 0;
  #lastArrival = 0;
  #cut = false;
  /** Bumped by every cut: a frame whose epoch changed in flight crossed a partition. */
  #epoch = 0;

  constructor(
    private readonly scheduler: Scheduler,
    private readonly random: Random,
    private readonly sink: FrameSink,
    conditions: LinkConditions = {},
  ) {
    this.#c = normalizeConditions(conditions);
  }

  get conditions(): Readonly<LinkConditions> {
    return { ...this.#c };
  }

  set conditions(c: LinkConditions) {
    this.#c = normalizeConditions(c);
  }

  get isCut(): boolean {
    return this.#cut;
  }

  cut(): void {
    if (this.#cut) return;
    this.#cut = true;
    this.#epoch++;
  }

  heal(): void {
    this.#cut = false;
  }

  transmit(frame: Uint8Array): void {
    const st = this.stats;
    st.offered++;
    if (this.#cut) {
      st.partitionDrops++;
      return;
    }
    const c = this.#c;
    const rnd = this.random;
    if (c.loss > 0 && rnd.chance(c.loss)) {
      st.lost++;
      return;
    }
    const now = this.scheduler.now;
    let departure = now;
    if (c.bandwidthBps > 0) {
      const start = Math.max(this.#busyUntil, now);
      const backlogBytes = ((start - now) * c.bandwidthBps) / 8e9;
      if (backlogBytes + frame.length > c.queueLimitBytes) {
        st.queueDrops++;
        return;
      }
      departure = start + Math.ceil((frame.length * 8e9) / c.bandwidthBps);
      this.#busyUntil = departure;
    }
    let arrival = departure + c.delayNs;
    if (c.jitterNs > 0) arrival += rnd.below(c.jitterNs + 1);
    if (c.reorder > 0 && rnd.chance(c.reorder)) {
      st.reordered++;
      arrival += c.reorderDelayNs;
    } else {
      if (arrival < this.#lastArrival) arrival = this.#lastArrival;
      this.#lastArrival = arrival;
    }
    const epoch = this.#epoch;
    this.scheduler.at(arrival, () => this.#arrive(frame, epoch));
    if (c.duplicate > 0 && rnd.chance(c.duplicate)) {
      st.duplicated++;
      const copy = frame.slice();
      this.scheduler.at(arrival, () => this.#arrive(copy, epoch));
    }
  }

  #arrive(frame: Uint8Array, epoch: number): void {
    if (this.#cut || epoch !== this.#epoch) {
      this.stats.partitionDrops++;
      return;
    }
    this.stats.delivered++;
    this.sink(frame);
  }
}
