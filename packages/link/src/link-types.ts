/**
 * The `Link` interface of `@switchyard/netsim` (src/link.ts), restated structurally so this
 * package depends only on `@switchyard/wire` at runtime and in its types. A type test
 * (test/types.test.ts) checks both links are assignable to netsim's `Link`.
 */
import type { MacAddress } from '@switchyard/wire';

/** Counters every link keeps. Monotonic; never reset. */
export interface LinkCounters {
  rxFrames: number;
  rxBytes: number;
  txFrames: number;
  txBytes: number;
  rxDrops: number;
  txDrops: number;
}

/** Called once per received frame; the frame is valid only during the call. */
export type FrameHandler = (frame: Uint8Array) => void;

/** One Ethernet port (see `@switchyard/netsim`'s `Link` for the full contract). */
export interface Link {
  readonly mac: MacAddress;
  readonly mtu: number;
  readonly counters: Readonly<LinkCounters>;
  readonly closed: boolean;
  send(frame: Uint8Array): boolean;
  onReceive(handler: FrameHandler | undefined): void;
  close(): void;
}
