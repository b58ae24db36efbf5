/**
 * Properties: no input makes the responder throw; everything it sends leaves from the real MAC,
 * never the vMAC, and only ever speaks for addresses it owns; the neighbor table agrees with a
 * naive reference implementation.
 */
import {
  ArpOperation,
  ArpPacket,
  EthernetFrame,
  EtherType,
  Icmpv6Message,
  Icmpv6Type,
  IpProtocol,
  Ipv4Address,
  Ipv6Address,
  Ipv6Packet,
  MacAddress,
  Status,
} from '@switchyard/wire';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type ArpResponder, type IpAddress, NeighborTable, Verdict } from '../src/index.js';
import {
  arpFrame,
  CLIENT_IP,
  CLIENT_IP6,
  CLIENT_MAC,
  ndpFrame,
  REAL_IP,
  REAL_IP6,
  REAL_MAC,
  ROGUE_MAC,
  responder,
  VIP,
  VIP6,
  VMAC,
} from './helpers.js';

const VERDICTS = new Set<string>(Object.values(Verdict));

const macs = fc.constantFrom(
  CLIENT_MAC,
  ROGUE_MAC,
  VMAC,
  REAL_MAC,
  MacAddress.BROADCAST,
  MacAddress.parse('01:00:5e:00:00:01'),
  MacAddress.parse('33:33:ff:00:00:50'),
  0,
);
const ipv4s = fc.constantFrom(
  VIP,
  REAL_IP,
  CLIENT_IP,
  0,
  Ipv4Address.BROADCAST,
  Ipv4Address.parse('224.0.0.1'),
);
const ipv6s = fc.constantFrom(
  VIP6,
  REAL_IP6,
  CLIENT_IP6,
  0n,
  Ipv6Address.parse('ff02::1'),
  Ipv6Address.solicitedNode(VIP6),
  Ipv6Address.parse('fe80::1'),
);

const arpFrames = fc
  .record({
    operation: fc.constantFrom(ArpOperation.REQUEST, ArpOperation.REPLY, 3, 0),
    ethSource: macs,
    ethDestination: macs,
    sha: macs,
    spa: ipv4s,
    tha: macs,
    tpa: ipv4s,
  })
  .map((input) => arpFrame(input));

const ndpFrames = fc
  .record({
    ethSource: macs,
    ethDestination: macs,
    source: ipv6s,
    destination: ipv6s,
    hopLimit: fc.constantFrom(255, 255, 254),
    code: fc.constantFrom(0, 0, 1),
    target: ipv6s,
    options: fc.array(
      fc.oneof(
        macs.map((address) => ({ kind: 'source-link-layer-address' as const, address })),
        macs.map((address) => ({ kind: 'target-link-layer-address' as const, address })),
      ),
      { maxLength: 2 },
    ),
    na: fc.option(fc.record({ router: fc.boolean(), solicited: fc.boolean(), override: fc.boolean() }), {
      nil: undefined,
    }),
    corruptChecksum: fc.boolean(),
  })
  .map((input) => {
    const { na, ...rest } = input;
    return ndpFrame(na === undefined ? rest : { ...rest, na });
  });

/** A well-formed frame with a few bytes overwritten. */
const mutated = fc
  .tuple(
    fc.oneof(arpFrames, ndpFrames),
    fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }),
    fc.option(fc.nat(), { nil: undefined }),
  )
  .map(([frame, edits, cut]) => {
    const f = frame.slice(0, cut === undefined ? frame.length : cut % (frame.length + 1));
    for (const [at, value] of edits) if (f.length > 0) f[at % f.length] = value;
    return f;
  });

/** The answers a resolution waits for: the client's ARP reply and neighbor advertisement. */
const clientAnswers = fc.constantFrom(
  arpFrame({ operation: ArpOperation.REPLY, tpa: REAL_IP, tha: REAL_MAC, ethDestination: REAL_MAC }),
  ndpFrame({
    target: CLIENT_IP6,
    destination: REAL_IP6,
    na: { solicited: true },
    options: [{ kind: 'target-link-layer-address', address: CLIENT_MAC }],
  }),
);

const anyFrame = fc.oneof(fc.uint8Array({ maxLength: 120 }), arpFrames, ndpFrames, mutated, clientAnswers);

const eth = new EthernetFrame();
const arpView = new ArpPacket();
const ip6 = new Ipv6Packet();
const icmp = new Icmpv6Message();

/** Checks one emitted frame: real MAC as source, and it speaks only for what `r` owns. */
function checkEmitted(r: ArpResponder, frame: Uint8Array, answerRealIp: boolean): void {
  expect(eth.check(frame)).toBe(Status.OK);
  expect(eth.source).toBe(REAL_MAC);
  expect(r.guard.isVmac(eth.source)).toBe(false);
  if (eth.etherType === EtherType.ARP) {
    expect(arpView.check(frame, eth.payloadOffset, eth.payloadLength)).toBe(Status.OK);
    const spa = arpView.senderProtocolAddress;
    const sha = arpView.senderHardwareAddress;
    // Replies and announcements speak for a VIP with the vMAC, or for the real IP with the real MAC.
    const legit =
      (spa === VIP && sha === VMAC) ||
      (spa === REAL_IP && sha === REAL_MAC && (answerRealIp || arpView.operation === ArpOperation.REQUEST));
    expect(legit).toBe(true);
    return;
  }
  expect(eth.etherType).toBe(EtherType.IPv6);
  expect(ip6.check(frame, eth.payloadOffset, eth.payloadLength)).toBe(Status.OK);
  expect(ip6.hopLimit).toBe(255);
  expect(ip6.upperLayerProtocol).toBe(IpProtocol.ICMPV6);
  expect(icmp.check(frame, ip6.upperLayerOffset, ip6.upperLayerLength)).toBe(Status.OK);
  expect(icmp.verifyChecksum(ip6.pseudoHeaderSum())).toBe(true);
  if (icmp.type === Icmpv6Type.NEIGHBOR_ADVERTISEMENT) {
    const target = icmp.targetAddress;
    expect(icmp.router).toBe(false);
    const tlla = MacAddress.read(frame, icmp.ndpOptionsOffset + 2);
    const legit =
      (target === VIP6 && tlla === VMAC) || (answerRealIp && target === REAL_IP6 && tlla === REAL_MAC);
    expect(legit).toBe(true);
  } else {
    expect(icmp.type).toBe(Icmpv6Type.NEIGHBOR_SOLICITATION);
    expect(ip6.source).toBe(REAL_IP6);
  }
}

const actions = fc.array(
  fc.oneof(
    { weight: 8, arbitrary: anyFrame.map((frame) => ({ kind: 'frame' as const, frame })) },
    {
      weight: 1,
      arbitrary: fc
        .tuple(fc.constantFrom<IpAddress>(VIP, VIP6), fc.boolean())
        .map(([address, active]) => ({ kind: 'role' as const, address, active })),
    },
    {
      weight: 1,
      arbitrary: fc
        .constantFrom<IpAddress>(CLIENT_IP, CLIENT_IP6, Ipv4Address.parse('10.77.0.99'))
        .map((address) => ({ kind: 'resolve' as const, address })),
    },
    { weight: 2, arbitrary: fc.integer({ min: 0, max: 3e9 }).map((dt) => ({ kind: 'time' as const, dt })) },
  ),
  { maxLength: 60 },
);

describe('properties', () => {
  it('random bytes never make the responder throw, and get a verdict', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        const r = responder({ answer: 'always', answerRealIp: true });
        const v = r.handleFrame(bytes, 0);
        expect(VERDICTS.has(v)).toBe(true);
        for (let f = r.pollTransmit(); f !== undefined; f = r.pollTransmit()) checkEmitted(r, f, true);
      }),
      { numRuns: 2000 },
    );
  });

  it('under any sequence of frames, role changes, resolutions and time, every frame sent is from the real MAC and speaks only for owned addresses', () => {
    const seen = { answered: 0, announcements: 0, conflicts: 0, resolved: 0, invalid: 0, malformed: 0 };
    fc.assert(
      fc.property(actions, fc.boolean(), fc.boolean(), (steps, answerRealIp, always) => {
        const r = responder({
          answerRealIp,
          answer: always ? 'always' : 'active',
          announce: { count: 3, intervalNs: 1e9 },
          neighbors: { capacity: 4, lifetimeNs: 5e9 },
          resolve: { maxPending: 2 },
        });
        let now = 0;
        for (const step of steps) {
          if (step.kind === 'frame') {
            expect(VERDICTS.has(r.handleFrame(step.frame, now))).toBe(true);
          } else if (step.kind === 'role') {
            r.setActive(step.address, step.active, now);
          } else if (step.kind === 'resolve') {
            expect(['resolved', 'pending', 'refused']).toContain(r.resolve(step.address, now).status);
          } else {
            now += step.dt;
            for (let at = r.pollTimeout(); at !== undefined && at <= now; at = r.pollTimeout())
              r.handleTimeout(at);
          }
          for (let f = r.pollTransmit(); f !== undefined; f = r.pollTransmit())
            checkEmitted(r, f, answerRealIp);
          for (let e = r.pollEvent(); e !== undefined; e = r.pollEvent())
            expect(e.at).toBeLessThanOrEqual(now);
          expect(r.neighbors.size).toBeLessThanOrEqual(4);
          expect(r.pendingResolutions).toBeLessThanOrEqual(2);
        }
        const c = r.counters;
        expect(c.other + c.malformed + c.invalid + c.answered + c.ignored).toBe(c.rxFrames);
        for (const k of Object.keys(seen) as Array<keyof typeof seen>) seen[k] += c[k];
      }),
      { numRuns: 400 },
    );
    // The generators reach every path the invariants are about.
    for (const [k, n] of Object.entries(seen)) expect(n, k).toBeGreaterThan(0);
  });

  it('the neighbor table answers every lookup like a naive reference table', () => {
    const ops = fc.array(
      fc.record({
        set: fc.boolean(),
        address: fc.integer({ min: 1, max: 8 }),
        mac: fc.integer({ min: 1, max: 3 }),
        dt: fc.integer({ min: 0, max: 40 }),
      }),
      { maxLength: 100 },
    );
    fc.assert(
      fc.property(
        ops,
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 1, max: 100 }),
        (list, capacity, lifetime) => {
          const table = new NeighborTable({ capacity, lifetimeNs: lifetime });
          // Reference: live entries, least recently confirmed first.
          let ref: Array<{ address: number; mac: number; at: number }> = [];
          let now = 0;
          for (const op of list) {
            now += op.dt;
            ref = ref.filter((e) => now - e.at < lifetime);
            if (op.set) {
              const i = ref.findIndex((e) => e.address === op.address);
              if (i >= 0) ref.splice(i, 1);
              else if (ref.length >= capacity) ref.shift();
              ref.push({ address: op.address, mac: op.mac, at: now });
              table.set(op.address, op.mac, now);
            } else {
              expect(table.lookup(op.address, now)).toBe(ref.find((e) => e.address === op.address)?.mac);
            }
            expect(table.size).toBeLessThanOrEqual(capacity);
            expect(table.entries(now).map((e) => [e.address, e.mac])).toEqual(
              ref.map((e) => [e.address, e.mac]),
            );
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});
