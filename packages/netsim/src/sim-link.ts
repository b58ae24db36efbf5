/** A simulated host NIC: the `Link` interface over a netsim cable. */
import {
  ETHERNET_HEADER_LENGTH,
  EthernetFrame,
  InvalidArgumentError,
  MacAddress,
  Status,
} from '@switchyard/wire';
import type { Attachable, Cable, Tap } from './cable.js';
import type { Channel } from './channel.js';
import { type FrameHandler, type Link, type LinkCounters, newLinkCounters } from './link.js';
import type { Scheduler } from './time.js';

export interface SimLinkOptions {
  mac: MacAddress;
  /** L3 MTU (default 1500). */
  mtu?: number;
  /** Shown in errors and traces (default the MAC). */
  name?: string;
}

/** A host's network interface in the simulator. */
export class SimLink implements Link, Attachable {
  readonly mac: MacAddress;
  readonly mtu: number;
  readonly name: string;
  readonly counters: LinkCounters = newLinkCounters();
  #cable: Cable | undefined;
  #out: Channel | undefined;
  #handler: FrameHandler | undefined;
  #closed = false;
  #taps: Tap[] = [];
  readonly #view = new EthernetFrame();

  constructor(
    private readonly scheduler: Scheduler,
    options: SimLinkOptions,
  ) {
    if (!MacAddress.isValid(options.mac)) throw new InvalidArgumentError('netsim', 'mac', 'not a 48-bit MAC');
    const mtu = options.mtu ?? 1500;
    if (!Number.isInteger(mtu) || mtu < 68 || mtu > 65_535) {
      throw new InvalidArgumentError('netsim', 'mtu', `expected an integer in [68, 65535], got ${mtu}`);
    }
    this.mac = options.mac;
    this.mtu = mtu;
    this.name = options.name ?? MacAddress.format(options.mac);
  }

  get cable(): Cable | undefined {
    return this.#cable;
  }

  get closed(): boolean {
    return this.#closed;
  }

  send(frame: Uint8Array): boolean {
    const c = this.counters;
    const v = this.#view;
    if (
      this.#closed ||
      this.#out === undefined ||
      frame.length < ETHERNET_HEADER_LENGTH ||
      v.check(frame) !== Status.OK ||
      v.payloadLength > this.mtu
    ) {
      c.txDrops++;
      return false;
    }
    c.txFrames++;
    c.txBytes += frame.length;
    // The caller may reuse its buffer as soon as send returns: the wire gets a copy.
    const copy = frame.slice();
    for (const tap of this.#taps) tap(copy, 'tx', this.scheduler.now);
    this.#out.transmit(copy);
    return true;
  }

  onReceive(handler: FrameHandler | undefined): void {
    this.#handler = handler;
  }

  close(): void {
    this.#closed = true;
    this.#handler = undefined;
  }

  addTap(tap: Tap): () => void {
    this.#taps.push(tap);
    return () => {
      this.#taps = this.#taps.filter((t) => t !== tap);
    };
  }

  plug(cable: Cable, out: Channel): void {
    this.#cable = cable;
    this.#out = out;
  }

  arrive(frame: Uint8Array): void {
    const handler = this.#handler;
    if (this.#closed || handler === undefined) {
      this.counters.rxDrops++;
      return;
    }
    for (const tap of this.#taps) tap(frame, 'rx', this.scheduler.now);
    this.counters.rxFrames++;
    this.counters.rxBytes += frame.length;
    handler(frame);
  }
}
