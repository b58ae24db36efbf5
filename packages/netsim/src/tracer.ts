/** Records every frame crossing chosen attachment points into a pcap file (open it in Wireshark). */
import { LinkType, PcapWriter } from '@switchyard/wire';
import type { Attachable, TapDirection } from './cable.js';

export interface PcapTracerOptions {
  /** Added to virtual time for pcap timestamps, in ns since the Unix epoch (default 0: 1970-01-01). */
  epochNs?: bigint;
  /** Which directions to record at each point (default both). */
  directions?: readonly TapDirection[];
  /** Bytes kept per frame (default 262144). */
  snapLength?: number;
}

/**
 * A pcap tracer. Timestamps are virtual time, so the same seed gives a byte-identical file.
 * A frame that crosses two traced points (a host's link and its switch port) is recorded
 * at each, as a capture on two interfaces would.
 */
export class PcapTracer {
  readonly #writer: PcapWriter;
  readonly #epoch: bigint;
  readonly #rx: boolean;
  readonly #tx: boolean;
  readonly #snap: number;
  readonly #removers: Array<() => void> = [];
  /** Frames recorded. */
  frames = 0;

  constructor(options: PcapTracerOptions = {}) {
    this.#snap = options.snapLength ?? 262_144;
    this.#writer = new PcapWriter({ linkType: LinkType.ETHERNET, snapLength: this.#snap, nanosecond: true });
    this.#epoch = options.epochNs ?? 0n;
    const dirs = options.directions ?? ['rx', 'tx'];
    this.#rx = dirs.includes('rx');
    this.#tx = dirs.includes('tx');
  }

  /** Starts recording at `points`; returns this. */
  capture(...points: Attachable[]): this {
    for (const point of points) {
      this.#removers.push(
        point.addTap((frame, direction, now) => {
          if (direction === 'rx' ? !this.#rx : !this.#tx) return;
          const data = frame.length > this.#snap ? frame.subarray(0, this.#snap) : frame;
          this.#writer.write(data, this.#epoch + BigInt(now), frame.length);
          this.frames++;
        }),
      );
    }
    return this;
  }

  /** Stops recording everywhere. */
  stop(): void {
    for (const remove of this.#removers.splice(0)) remove();
  }

  /** The pcap file so far. */
  toBytes(): Uint8Array {
    return this.#writer.toBytes();
  }
}
