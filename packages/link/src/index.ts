/**
 * Raw Ethernet I/O on Linux from Node, at kernel speed: `AfPacketLink` (AF_PACKET with a
 * TPACKET_V3 receive ring walked through one reused DataView, sendmmsg batches,
 * PACKET_FANOUT, unicast membership, classic BPF filters, PACKET_STATISTICS), `TapLink`
 * (TAP devices), and a worker-thread harness that runs a data plane next to the ring.
 * Both links implement `@switchyard/netsim`'s `Link` interface and pass its compliance suite.
 *
 * @example
 * ```ts
 * import { AfPacketLink, buildFilter } from '@switchyard/link';
 * import { EtherType } from '@switchyard/wire';
 *
 * const link = new AfPacketLink({ interface: 'eth0', filter: buildFilter({ etherTypes: [EtherType.ARP] }) });
 * link.onReceive((frame, info) => {
 *   if (info.checksumNotReady) return; // a local sender's frame: fix its checksum before forwarding
 *   console.log(frame.length, link.counters.rxFrames);
 * });
 * setTimeout(() => link.close(), 1000);
 * ```
 *
 * @packageDocumentation
 */
export type {
  AfPacketCounters,
  AfPacketLinkOptions,
  FanoutOptions,
  FrameInfo,
  RawFrameHandler,
  RingFrameHandler,
  RingOptions,
} from './af-packet.js';
export { AfPacketLink, ethernetPayloadLength, setupRing } from './af-packet.js';
export type { BpfInstruction, FrameFilterSpec } from './bpf.js';
export { BPF_ACCEPT, BPF_MAXINSNS, BpfOp, buildFilter, encodeProgram, validateProgram } from './bpf.js';
export { LinkError, LinkErrorCode, LinkPermissionError, NoSuchInterfaceError } from './errors.js';
export {
  BlockDesc,
  FanoutFlag,
  FanoutMode,
  Ifreq,
  Iovec,
  Mmsghdr,
  Msghdr,
  PacketMreq,
  PacketType,
  Pollfd,
  SockaddrLl,
  SockFilter,
  SockFprog,
  Tpacket3Hdr,
  TpacketReq3,
  TpacketStatsV3,
  TpStatus,
} from './layout.js';
export type { FrameHandler, Link, LinkCounters } from './link-types.js';
export type { InterfaceInfo, InterfaceSettings } from './netdev.js';
export { configureInterface, interfaceInfo } from './netdev.js';
export { netnsPath, withNetns } from './netns.js';
export type { PollLoopOptions } from './poll-loop.js';
export { PollLoop } from './poll-loop.js';
export type { ReactorSource } from './reactor.js';
export type { TapCounters, TapLinkOptions } from './tap.js';
export { TapLink } from './tap.js';
export type { DataPlane, ReceiveWorkerContext, ReceiveWorkerOptions, WorkerLinkOptions } from './worker.js';
export { ReceiveWorker, serveReceiveWorker } from './worker.js';
