/**
 * The `Link` compliance suite, framework-agnostic: a list of named async cases that throw
 * on failure. netsim's links and `@switchyard/link`'s AF_PACKET/TAP links run the same
 * cases. Adapt it to a test runner in three lines:
 *
 * @example
 * ```ts
 * import { linkComplianceCases } from '@switchyard/netsim/compliance';
 * describe('my link', () => {
 *   for (const c of linkComplianceCases) it(c.name, () => c.run(harness));
 * });
 * ```
 *
 * @packageDocumentation
 */
import { ETHERNET_HEADER_LENGTH, EtherType, ethernet, MacAddress } from '@switchyard/wire';
import type { Link } from './link.js';

/** Two links wired to each other (back to back, or through a switch that floods). */
export interface LinkPair {
  a: Link;
  b: Link;
  /**
   * Resolves once every frame sent so far has been delivered (or lost for good). A
   * simulator runs its clock; a real link waits, e.g. until the receive counters stop
   * moving or a deadline passes.
   */
  settle(): Promise<void>;
  /** Releases the pair (closes the links, deletes interfaces). Called after every case. */
  dispose?(): Promise<void> | void;
}

/** Creates a fresh, lossless, order-preserving pair for each case. */
export interface LinkHarness {
  createPair(): Promise<LinkPair> | LinkPair;
}

export interface ComplianceCase {
  readonly name: string;
  run(harness: LinkHarness): Promise<void>;
}

/** Thrown by a failing case. */
export class ComplianceError extends Error {
  override readonly name = 'ComplianceError';
}

function assert(condition: boolean, message: string): asserts condition {
  if (!condition) throw new ComplianceError(message);
}

function equalBytes(x: Uint8Array, y: Uint8Array): boolean {
  if (x.length !== y.length) return false;
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

/** A frame from `src` to `dst` whose payload is `length` bytes tagged with `tag`. */
export function testFrame(src: MacAddress, dst: MacAddress, tag: number, length = 46): Uint8Array {
  const payload = new Uint8Array(length);
  for (let i = 0; i < length; i++) payload[i] = (tag * 31 + i * 7) & 0xff;
  if (length >= 4) new DataView(payload.buffer).setUint32(0, tag >>> 0);
  return ethernet.encode({
    destination: dst,
    source: src,
    tags: [],
    etherType: EtherType.LocalExperimental2,
    payload,
  });
}

/** Collects copies of what a link receives (frames are only valid during the handler). */
function collect(link: Link): Uint8Array[] {
  const got: Uint8Array[] = [];
  link.onReceive((f) => {
    got.push(f.slice());
  });
  return got;
}

async function withPair(harness: LinkHarness, body: (p: LinkPair) => Promise<void>): Promise<void> {
  const pair = await harness.createPair();
  try {
    await body(pair);
  } finally {
    await pair.dispose?.();
  }
}

function snapshot(link: Link) {
  return { ...link.counters };
}

const cases: ComplianceCase[] = [
  {
    name: 'has a unicast MAC per end and an MTU of at least 68',
    run: (h) =>
      withPair(h, async ({ a, b }) => {
        for (const l of [a, b]) {
          assert(MacAddress.isValid(l.mac), 'mac is not a 48-bit number');
          assert(!MacAddress.isMulticast(l.mac), 'mac is a group address');
          assert(Number.isInteger(l.mtu) && l.mtu >= 68, `mtu ${l.mtu} below 68 (RFC 791)`);
          assert(!l.closed, 'a new link is closed');
        }
        assert(a.mac !== b.mac, 'both ends have the same MAC');
      }),
  },
  {
    name: 'delivers a frame byte-identical and counts it on both ends',
    run: (h) =>
      withPair(h, async ({ a, b, settle }) => {
        const got = collect(b);
        const ca = snapshot(a);
        const cb = snapshot(b);
        const frame = testFrame(a.mac, b.mac, 1, 100);
        assert(a.send(frame) !== false, 'send refused a valid frame');
        await settle();
        assert(got.length === 1, `expected 1 frame, got ${got.length}`);
        assert(equalBytes(got[0]!, frame), 'received bytes differ from sent bytes');
        assert(a.counters.txFrames - ca.txFrames === 1, 'txFrames did not count the frame');
        assert(a.counters.txBytes - ca.txBytes === frame.length, 'txBytes is not the frame length');
        assert(b.counters.rxFrames - cb.rxFrames === 1, 'rxFrames did not count the frame');
        assert(b.counters.rxBytes - cb.rxBytes === frame.length, 'rxBytes is not the frame length');
      }),
  },
  {
    name: 'works in both directions',
    run: (h) =>
      withPair(h, async ({ a, b, settle }) => {
        const atA = collect(a);
        const atB = collect(b);
        a.send(testFrame(a.mac, b.mac, 10));
        b.send(testFrame(b.mac, a.mac, 20));
        await settle();
        assert(atB.length === 1 && atA.length === 1, `got ${atA.length} at a and ${atB.length} at b`);
        assert(new DataView(atB[0]!.buffer).getUint32(14) === 10, 'b got the wrong frame');
        assert(new DataView(atA[0]!.buffer).getUint32(14) === 20, 'a got the wrong frame');
      }),
  },
  {
    name: 'keeps the order of a burst of 200 frames',
    run: (h) =>
      withPair(h, async ({ a, b, settle }) => {
        const got = collect(b);
        for (let i = 0; i < 200; i++)
          assert(a.send(testFrame(a.mac, b.mac, i, 46 + (i % 50))) !== false, `send ${i} refused`);
        await settle();
        assert(got.length === 200, `expected 200 frames, got ${got.length}`);
        got.forEach((f, i) => {
          assert(new DataView(f.buffer, f.byteOffset).getUint32(14) === i, `frame ${i} out of order`);
        });
      }),
  },
  {
    name: 'lets the sender reuse its buffer as soon as send returns',
    run: (h) =>
      withPair(h, async ({ a, b, settle }) => {
        const got = collect(b);
        const frame = testFrame(a.mac, b.mac, 7);
        const original = frame.slice();
        a.send(frame);
        frame.fill(0xa5);
        await settle();
        assert(
          got.length === 1 && equalBytes(got[0]!, original),
          'the link kept a reference to the caller buffer',
        );
      }),
  },
  {
    name: 'delivers any destination: broadcast, multicast and another station',
    run: (h) =>
      withPair(h, async ({ a, b, settle }) => {
        const got = collect(b);
        const dsts = [
          MacAddress.BROADCAST,
          MacAddress.parse('01:00:5e:00:00:01'),
          MacAddress.parse('02:5a:00:00:00:99'),
        ];
        dsts.forEach((d, i) => {
          a.send(testFrame(a.mac, d, i));
        });
        await settle();
        assert(got.length === dsts.length, `expected ${dsts.length} frames, got ${got.length}`);
      }),
  },
  {
    name: 'accepts a frame whose payload is exactly the MTU',
    run: (h) =>
      withPair(h, async ({ a, b, settle }) => {
        const got = collect(b);
        const frame = testFrame(a.mac, b.mac, 3, a.mtu);
        assert(a.send(frame) !== false, 'refused an MTU-sized frame');
        await settle();
        assert(
          got.length === 1 && got[0]!.length === a.mtu + ETHERNET_HEADER_LENGTH,
          'MTU-sized frame not delivered',
        );
      }),
  },
  {
    name: 'refuses a frame over the MTU and a runt, counting txDrops',
    run: (h) =>
      withPair(h, async ({ a, b, settle }) => {
        const got = collect(b);
        const before = snapshot(a);
        assert(a.send(testFrame(a.mac, b.mac, 4, a.mtu + 1)) === false, 'accepted a frame over the MTU');
        assert(a.send(new Uint8Array(ETHERNET_HEADER_LENGTH - 1)) === false, 'accepted a runt');
        await settle();
        assert(got.length === 0, 'a refused frame was delivered');
        assert(a.counters.txDrops - before.txDrops === 2, 'txDrops did not count both refusals');
        assert(a.counters.txFrames === before.txFrames, 'txFrames counted a refused frame');
      }),
  },
  {
    name: 'replaces the handler, and counts rxDrops with none',
    run: (h) =>
      withPair(h, async ({ a, b, settle }) => {
        let first = 0;
        let second = 0;
        b.onReceive(() => {
          first++;
        });
        b.onReceive(() => {
          second++;
        });
        a.send(testFrame(a.mac, b.mac, 1));
        await settle();
        assert(first === 0 && second === 1, 'the replaced handler still received');
        b.onReceive(undefined);
        const before = snapshot(b);
        a.send(testFrame(a.mac, b.mac, 2));
        await settle();
        assert(second === 1, 'a detached handler received');
        assert(b.counters.rxDrops - before.rxDrops === 1, 'rxDrops did not count the unhandled frame');
      }),
  },
  {
    name: 'after close: send refuses, nothing is received, close is idempotent',
    run: (h) =>
      withPair(h, async ({ a, b, settle }) => {
        const got = collect(b);
        b.close();
        b.close();
        assert(b.closed, 'closed is false after close');
        a.send(testFrame(a.mac, b.mac, 1));
        await settle();
        assert(got.length === 0, 'a closed link received');
        const before = snapshot(b);
        assert(b.send(testFrame(b.mac, a.mac, 2)) === false, 'a closed link accepted a frame');
        assert(b.counters.txDrops - before.txDrops === 1, 'txDrops did not count the refusal');
      }),
  },
];

/** Every compliance case, in a stable order. */
export const linkComplianceCases: readonly ComplianceCase[] = cases;

/** Outcome of one case from `runLinkCompliance`. */
export interface ComplianceResult {
  name: string;
  passed: boolean;
  error?: unknown;
}

/** Runs every case in order (outside a test runner); never throws. */
export async function runLinkCompliance(harness: LinkHarness): Promise<ComplianceResult[]> {
  const out: ComplianceResult[] = [];
  for (const c of linkComplianceCases) {
    try {
      await c.run(harness);
      out.push({ name: c.name, passed: true });
    } catch (error) {
      out.push({ name: c.name, passed: false, error });
    }
  }
  return out;
}
