/** The simulator: one scheduler, one seeded random source, and factories for everything on the segment. */
import { InvalidArgumentError } from '@switchyard/wire';
import { type Attachable, Cable, type DirectedConditions } from './cable.js';
import type { LinkConditions } from './channel.js';
import { Host, type SansIoEndpoint } from './host.js';
import { Random } from './random.js';
import { SimLink, type SimLinkOptions } from './sim-link.js';
import { Switch, type SwitchOptions } from './switch.js';
import { Scheduler } from './time.js';
import { PcapTracer, type PcapTracerOptions } from './tracer.js';

export interface SimulatorOptions {
  /** Seeds every random draw in the simulation (cables, endpoints that take `sim.random.fork()`). */
  seed: number;
}

/** A partition window: `cables` are cut at `fromNs` and healed at `untilNs`. */
export interface PartitionOptions {
  cables: readonly Cable[];
  fromNs: number;
  /** Omit to stay cut. */
  untilNs?: number;
}

/**
 * A deterministic Ethernet segment in one process. The same seed and the same sequence of
 * calls give the same events at the same virtual times, frame for frame.
 */
export class Simulator {
  readonly scheduler = new Scheduler();
  readonly random: Random;
  readonly seed: number;

  constructor(options: SimulatorOptions) {
    this.seed = options.seed;
    this.random = new Random(options.seed);
  }

  /** Virtual time in nanoseconds. */
  get now(): number {
    return this.scheduler.now;
  }

  createSwitch(options: SwitchOptions): Switch {
    return new Switch(this.scheduler, options);
  }

  /** A host NIC not yet connected. */
  createLink(options: SimLinkOptions): SimLink {
    return new SimLink(this.scheduler, options);
  }

  /** Joins two attachment points with a cable (each cable direction gets its own random stream). */
  connect(a: Attachable, b: Attachable, conditions: LinkConditions | DirectedConditions = {}): Cable {
    return new Cable(this.scheduler, this.random, a, b, conditions);
  }

  /** A new NIC cabled to `point` (typically a switch port); `ab` conditions apply host → point. */
  attach(
    point: Attachable,
    options: SimLinkOptions & { conditions?: LinkConditions | DirectedConditions },
  ): SimLink {
    const { conditions, ...linkOptions } = options;
    const link = this.createLink(linkOptions);
    this.connect(link, point, conditions ?? {});
    return link;
  }

  /** Two NICs cabled back to back. */
  pair(
    a: SimLinkOptions,
    b: SimLinkOptions,
    conditions: LinkConditions | DirectedConditions = {},
  ): [SimLink, SimLink] {
    const la = this.createLink(a);
    const lb = this.createLink(b);
    this.connect(la, lb, conditions);
    return [la, lb];
  }

  /** Drives a sans-I/O endpoint on `link`. */
  host(link: SimLink, endpoint: SansIoEndpoint): Host {
    return new Host(this.scheduler, link, endpoint);
  }

  /** Schedules a partition: every cable in `cables` is cut from `fromNs` until `untilNs`. */
  partition(options: PartitionOptions): void {
    const { cables, fromNs, untilNs } = options;
    if (untilNs !== undefined && untilNs < fromNs) {
      throw new InvalidArgumentError('netsim', 'untilNs', 'a partition cannot heal before it starts');
    }
    this.scheduler.at(fromNs, () => {
      for (const c of cables) c.cut();
    });
    if (untilNs !== undefined) {
      this.scheduler.at(untilNs, () => {
        for (const c of cables) c.heal();
      });
    }
  }

  /** A pcap tracer recording at `points` on virtual-time timestamps. */
  trace(points: readonly Attachable[], options: PcapTracerOptions = {}): PcapTracer {
    return new PcapTracer(options).capture(...points);
  }

  runFor(durationNs: number): number {
    return this.scheduler.runFor(durationNs);
  }

  runUntil(timeNs: number): number {
    return this.scheduler.runUntil(timeNs);
  }

  runUntilIdle(maxEvents?: number): number {
    return this.scheduler.runUntilIdle(maxEvents);
  }
}
