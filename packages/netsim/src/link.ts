/**
 * The `Link` interface: one Ethernet port as a host sees it. netsim's simulated links and
 * `@switchyard/link`'s AF_PACKET/TAP links both implement it and pass the same compliance
 * suite (`@switchyard/netsim/compliance`).
 */
import type { MacAddress } from '@switchyard/wire';

/** Counters every link keeps. Monotonic; never reset. */
export interface LinkCounters {
  /** Frames handed to the receive handler. */
  rxFrames: number;
  rxBytes: number;
  /** Frames accepted by `send`. */
  txFrames: number;
  txBytes: number;
  /** Frames that arrived while no handler was set or after `close`. */
  rxDrops: number;
  /** Frames `send` refused (closed, not connected, runt, larger than the MTU allows). */
  txDrops: number;
}

/** Called once per received frame. */
export type FrameHandler = (frame: Uint8Array) => void;

export interface Link {
  /** The port's own MAC address. */
  readonly mac: MacAddress;
  /** Largest payload after the Ethernet header (L3 MTU), e.g. 1500. */
  readonly mtu: number;
  readonly counters: Readonly<LinkCounters>;
  /** True after `close`. */
  readonly closed: boolean;

  /**
   * Transmits one Ethernet frame (destination MAC first, no FCS). The link copies or
   * transmits the bytes before it returns, so the caller may reuse its buffer at once.
   * Returns false, and counts a `txDrops`, when the frame is refused: the link is closed or
   * not connected, the frame is shorter than an Ethernet header, or its payload after the
   * header (and any 802.1Q tags) exceeds `mtu`. Acceptance is not delivery: the wire may
   * still lose the frame.
   */
  send(frame: Uint8Array): boolean;

  /**
   * Sets the receive handler (replacing the previous one; `undefined` detaches it). A link
   * delivers every frame that reaches the port, whatever its destination (promiscuous): a
   * Switchyard node must see frames flooded to the shared virtual MAC.
   *
   * The frame is only valid during the handler call: the link may reuse the bytes (a
   * receive-ring slot) once the handler returns. Copy it (`frame.slice()`) to keep it.
   * The handler must not throw.
   */
  onReceive(handler: FrameHandler | undefined): void;

  /** Stops sending and receiving; idempotent. */
  close(): void;
}

/** Fresh zeroed counters. */
export function newLinkCounters(): LinkCounters {
  return { rxFrames: 0, rxBytes: 0, txFrames: 0, txBytes: 0, rxDrops: 0, txDrops: 0 };
}
