/**
 * A deterministic Ethernet segment in one process: a virtual clock and event scheduler, a
 * seeded random source (xoshiro128**), a learning/flooding L2 switch, cables with delay,
 * jitter, loss, duplication, reordering, bandwidth and partitions, hosts that drive sans-I/O
 * endpoints (with a small TCP), a pcap tracer, and the `Link` interface that netsim links
 * and real Linux links share (compliance suite: `@switchyard/netsim/compliance`).
 *
 * @example
 * ```ts
 * import { Duration, Simulator } from '@switchyard/netsim';
 * import { EtherType, ethernet, MacAddress } from '@switchyard/wire';
 *
 * const sim = new Simulator({ seed: 1 });
 * const sw = sim.createSwitch({ ports: 4 });
 * const a = sim.attach(sw.port(0), { mac: MacAddress.parse('02:00:00:00:00:01') });
 * const b = sim.attach(sw.port(1), { mac: MacAddress.parse('02:00:00:00:00:02'), conditions: { delayNs: Duration.ms(1) } });
 * b.onReceive((frame) => console.log('b got', frame.length, 'bytes at', sim.now, 'ns'));
 * a.send(ethernet.encode({ destination: b.mac, source: a.mac, tags: [], etherType: EtherType.LocalExperimental1, payload: new Uint8Array(46) }));
 * sim.runUntilIdle(); // b got 60 bytes at 1000000 ns
 * ```
 *
 * @packageDocumentation
 */
export type { Attachable, DirectedConditions, Tap } from './cable.js';
export { Cable, TapDirection } from './cable.js';
export type { ChannelStats, FrameSink, LinkConditions } from './channel.js';
export { Channel } from './channel.js';
export type { SansIoEndpoint } from './host.js';
export { Host } from './host.js';
export type { FrameHandler, Link, LinkCounters } from './link.js';
export { newLinkCounters } from './link.js';
export { Random } from './random.js';
export type { SimLinkOptions } from './sim-link.js';
export { SimLink } from './sim-link.js';
export type { PartitionOptions, SimulatorOptions } from './simulator.js';
export { Simulator } from './simulator.js';
export type { MacEntry, PortCounters, SwitchCounters, SwitchOptions } from './switch.js';
export { Switch, SwitchPort, TableFullPolicy } from './switch.js';
export type { TcpHandlers, TcpStackCounters, TcpStackOptions } from './tcp.js';
export { TcpCloseReason, TcpConnection, TcpStack, TcpState } from './tcp.js';
export type { Timer } from './time.js';
export { Duration, Scheduler } from './time.js';
export type { PcapTracerOptions } from './tracer.js';
export { PcapTracer } from './tracer.js';
