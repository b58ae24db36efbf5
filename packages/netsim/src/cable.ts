/** Cables join two attachment points (a host's link, a switch port) with a channel each way. */
import { InvalidArgumentError } from '@switchyard/wire';
import { Channel, type ChannelStats, type LinkConditions } from './channel.js';
import type { Random } from './random.js';
import type { Scheduler } from './time.js';

/** Which side of an attachment point a frame was seen on. */
export const TapDirection = {
  /** Arriving from the cable. */
  RX: 'rx',
  /** Leaving onto the cable. */
  TX: 'tx',
} as const;
export type TapDirection = (typeof TapDirection)[keyof typeof TapDirection];

/** Observes frames at an attachment point. The frame is only valid during the call. */
export type Tap = (frame: Uint8Array, direction: TapDirection, now: number) => void;

/** Something a cable can be plugged into: a `SimLink` or a `SwitchPort`. */
export interface Attachable {
  readonly name: string;
  /** The cable plugged in, if any. */
  readonly cable: Cable | undefined;
  /** Observes every frame received from or sent onto the cable; returns a remover. */
  addTap(tap: Tap): () => void;
  /** Internal to netsim: called by `Cable` to give the outbound channel. */
  plug(cable: Cable, out: Channel): void;
  /** Internal to netsim: a frame arrives from the cable (the frame is owned by the callee). */
  arrive(frame: Uint8Array): void;
}

/** Per-direction conditions: `ab` for frames from `a` to `b`, `ba` for the reverse. */
export interface DirectedConditions {
  ab?: LinkConditions;
  ba?: LinkConditions;
}

function isDirected(c: LinkConditions | DirectedConditions): c is DirectedConditions {
  return 'ab' in c || 'ba' in c;
}

/** A full-duplex cable between two attachment points. */
export class Cable {
  /** Frames from `a` to `b`. */
  readonly ab: Channel;
  /** Frames from `b` to `a`. */
  readonly ba: Channel;

  constructor(
    scheduler: Scheduler,
    random: Random,
    readonly a: Attachable,
    readonly b: Attachable,
    conditions: LinkConditions | DirectedConditions = {},
  ) {
    if (a === b) throw new InvalidArgumentError('netsim', 'cable', 'cannot connect a port to itself');
    for (const end of [a, b]) {
      if (end.cable !== undefined)
        throw new InvalidArgumentError('netsim', 'cable', `${end.name} already has a cable`);
    }
    const [ab, ba] = isDirected(conditions)
      ? [conditions.ab ?? {}, conditions.ba ?? {}]
      : [conditions, conditions];
    this.ab = new Channel(scheduler, random.fork(), (f) => b.arrive(f), ab);
    this.ba = new Channel(scheduler, random.fork(), (f) => a.arrive(f), ba);
    a.plug(this, this.ab);
    b.plug(this, this.ba);
  }

  /** Changes the impairments (both directions, or each with `{ ab, ba }`); frames in flight keep theirs. */
  setConditions(conditions: LinkConditions | DirectedConditions): void {
    if (isDirected(conditions)) {
      if (conditions.ab !== undefined) this.ab.conditions = conditions.ab;
      if (conditions.ba !== undefined) this.ba.conditions = conditions.ba;
    } else {
      this.ab.conditions = conditions;
      this.ba.conditions = conditions;
    }
  }

  /** Cuts both directions: frames sent now, or in flight, are dropped until `heal`. */
  cut(): void {
    this.ab.cut();
    this.ba.cut();
  }

  heal(): void {
    this.ab.heal();
    this.ba.heal();
  }

  get isCut(): boolean {
    return this.ab.isCut;
  }

  /** Sum of both directions' statistics. */
  get stats(): ChannelStats {
    const out = { ...this.ab.stats };
    for (const k of Object.keys(out) as Array<keyof ChannelStats>) out[k] += this.ba.stats[k];
    return out;
  }
}
