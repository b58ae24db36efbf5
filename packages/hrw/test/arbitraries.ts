import fc from 'fast-check';
import { type DirectoryEntry, DirectoryOp, type FlowKey, flowKey } from '../src/index.js';

export const flowKeys: fc.Arbitrary<FlowKey> = fc.oneof(
  fc.record({
    family: fc.constant(4 as const),
    protocol: fc.integer({ min: 0, max: 255 }),
    source: fc.integer({ min: 0, max: 0xffff_ffff }),
    destination: fc.integer({ min: 0, max: 0xffff_ffff }),
    sourcePort: fc.integer({ min: 0, max: 0xffff }),
    destinationPort: fc.integer({ min: 0, max: 0xffff }),
  }),
  fc.record({
    family: fc.constant(6 as const),
    protocol: fc.integer({ min: 0, max: 255 }),
    source: fc.bigInt({ min: 0n, max: (1n << 128n) - 1n }),
    destination: fc.bigInt({ min: 0n, max: (1n << 128n) - 1n }),
    sourcePort: fc.integer({ min: 0, max: 0xffff }),
    destinationPort: fc.integer({ min: 0, max: 0xffff }),
  }),
);

/** An IPv4 TCP flow from client port `n`: small pools of flows make merges collide. */
export function flow(n: number): Uint8Array {
  return flowKey.encode({
    family: 4,
    protocol: 6,
    source: 0x0a4d0001,
    destination: 0x0a4d0032,
    sourcePort: 40000 + n,
    destinationPort: 80,
  });
}

/** Entries over any flow key, any field values. */
export const entries: fc.Arbitrary<DirectoryEntry> = fc.oneof(
  fc
    .record({
      op: fc.constant(DirectoryOp.UPSERT),
      flow: flowKeys.map((k) => flowKey.encode(k)),
      version: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
      writer: fc.integer({ min: 0, max: 0xffff_ffff }),
      primary: fc.integer({ min: 0, max: 0xffff_ffff }),
      backup: fc.option(fc.integer({ min: 0, max: 0xffff_ffff }), { nil: undefined }),
      server: fc.integer({ min: 0, max: 0xffff_ffff }),
    })
    .filter((e) => e.backup !== e.primary),
  fc.record({
    op: fc.constant(DirectoryOp.DELETE),
    flow: flowKeys.map((k) => flowKey.encode(k)),
    version: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
    writer: fc.integer({ min: 0, max: 0xffff_ffff }),
    primary: fc.constant(0),
    backup: fc.constant(undefined),
    server: fc.constant(0),
  }),
);

/** Entries over 6 flows, few versions, 3 writers and few routes: lots of collisions. */
export const collidingEntries: fc.Arbitrary<DirectoryEntry> = fc
  .record({
    del: fc.boolean(),
    n: fc.integer({ min: 0, max: 5 }),
    version: fc.bigInt({ min: 1n, max: 4n }),
    writer: fc.integer({ min: 1, max: 3 }),
    primary: fc.integer({ min: 1, max: 3 }),
    server: fc.integer({ min: 1, max: 2 }),
  })
  .map(({ del, n, version, writer, primary, server }) =>
    del
      ? { op: DirectoryOp.DELETE, flow: flow(n), version, writer, primary: 0, backup: undefined, server: 0 }
      : {
          op: DirectoryOp.UPSERT,
          flow: flow(n),
          version,
          writer,
          primary,
          backup: primary === 3 ? undefined : 3,
          server,
        },
  );
