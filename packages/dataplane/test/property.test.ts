import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  buildSnapshot,
  Dataplane,
  OUTCOME_COUNT,
  type OwnershipPolicy,
  VerdictCode,
  type VipConfig,
} from '../src/index.js';
import {
  arpRequest,
  echo4,
  echo6,
  firstFragment4,
  fragment4,
  gre4,
  HASH_KEY,
  heartbeatFrame,
  icmp4Error,
  icmp6Error,
  NODE_MAC,
  neighborSolicitation,
  TcpFlag,
  tcp4,
  tcp6,
  udp4,
  VIP,
  VIP6,
  VMAC,
} from './helpers.js';

const corpus: Uint8Array[] = [
  tcp4({ flags: TcpFlag.SYN }),
  tcp4({ flags: TcpFlag.ACK, payload: new Uint8Array(100) }),
  tcp4({ flags: TcpFlag.FIN | TcpFlag.ACK }),
  tcp4({ flags: TcpFlag.RST }),
  tcp6({ flags: TcpFlag.SYN }),
  tcp6({ flags: TcpFlag.ACK }),
  udp4(),
  icmp4Error(),
  icmp6Error(),
  echo4(),
  echo6(),
  fragment4(),
  firstFragment4(),
  gre4(),
  arpRequest(),
  neighborSolicitation(),
  heartbeatFrame(),
];

const policies: OwnershipPolicy[] = ['active-passive', 'additive3', 'additive5', 'rendezvous'];

function makeNode(policy: OwnershipPolicy, nonSyn: 'sticky' | 'stateless', self: number) {
  const vips: VipConfig[] = [
    { address: VIP, policy, nonSyn, ports: [80, 53], vmac: VMAC },
    { address: VIP6, policy, nonSyn },
  ];
  const dp = new Dataplane({
    mac: NODE_MAC,
    vips,
    flows: { capacity: 8, idleTimeoutMs: 50, closingTimeoutMs: 10 },
    hashKey: HASH_KEY,
  });
  dp.publish(
    buildSnapshot({
      vips,
      selfId: self,
      members: [1, 2, 3],
      activeByVip: new Map<number | bigint, number>([
        [VIP, self],
        [VIP6, self],
      ]),
      rendezvous: { rows: 256 },
    }),
  );
  return dp;
}

const nodeArb = fc.record({
  policy: fc.constantFrom(...policies),
  nonSyn: fc.constantFrom('sticky' as const, 'stateless' as const),
  self: fc.integer({ min: 1, max: 3 }),
});

/** Handles every frame, checking that each moves exactly one counter by one. */
function feed(dp: Dataplane, frames: readonly Uint8Array[]): void {
  let now = 0;
  for (const f of frames) {
    const before = dp.frames;
    now += 3;
    const v = dp.handleFrame(f, now);
    expect(dp.frames).toBe(before + 1);
    expect(dp.counts[v.outcome]).toBeGreaterThan(0);
    expect([
      VerdictCode.DELIVER,
      VerdictCode.CONTROL_ARP,
      VerdictCode.CONTROL_HEARTBEAT,
      VerdictCode.DROP,
    ]).toContain(v.code);
    if (now % 30 === 0) dp.expire(now, 4);
  }
  let sum = 0;
  for (let i = 0; i < OUTCOME_COUNT; i++) sum += dp.counts[i]!;
  expect(sum).toBe(frames.length);
  expect(dp.flows.size).toBeLessThanOrEqual(8);
}

describe('hostile input', () => {
  it('random bytes never throw, and every frame lands in exactly one counter', () => {
    fc.assert(
      fc.property(
        nodeArb,
        fc.array(fc.uint8Array({ minLength: 0, maxLength: 200 }), { maxLength: 40 }),
        (n, frames) => {
          feed(makeNode(n.policy, n.nonSyn, n.self), frames);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('mutated and truncated valid frames never throw, and the counters sum to the frames seen', () => {
    const mutated = fc
      .record({
        base: fc.constantFrom(...corpus),
        edits: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }),
        cut: fc.option(fc.nat(), { nil: undefined }),
      })
      .map(({ base, edits, cut }) => {
        const f = base.slice();
        for (const [i, value] of edits) f[i % f.length] = value;
        return cut === undefined ? f : f.subarray(0, cut % (f.length + 1));
      });
    fc.assert(
      fc.property(nodeArb, fc.array(mutated, { maxLength: 60 }), (n, frames) => {
        feed(makeNode(n.policy, n.nonSyn, n.self), frames);
      }),
      { numRuns: 400 },
    );
  });

  it('random frames placed in a receive ring at random offsets never throw', () => {
    const ring = new Uint8Array(2048);
    fc.assert(
      fc.property(
        nodeArb,
        fc.array(fc.tuple(fc.constantFrom(...corpus), fc.nat(1024), fc.nat(64)), { maxLength: 30 }),
        (n, items) => {
          const dp = makeNode(n.policy, n.nonSyn, n.self);
          for (const [f, at, cut] of items) {
            ring.set(f, at);
            dp.handleFrame(ring, at, at, Math.max(0, f.length - cut));
          }
          expect(dp.frames).toBe(items.length);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('each valid frame of the corpus gets the same verdict on every run (no hidden state besides flows)', () => {
    for (const policy of policies) {
      const a = makeNode(policy, 'stateless', 1);
      const b = makeNode(policy, 'stateless', 1);
      for (const f of corpus) expect(a.handleFrame(f, 0).outcome).toBe(b.handleFrame(f, 99).outcome);
    }
  });
});
