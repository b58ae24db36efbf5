/**
 * The heartbeat codec: the shared round-trip check, one test per malformation, and the
 * properties STYLE.md asks of every codec, plus authentication: random bytes decode or
 * throw a WireError; encode→decode is the identity; a flipped bit anywhere fails.
 */
import { HMAC_SHA256_LENGTH, KeyRing, MacAddress, Status, WireError } from '@switchyard/wire';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  HEARTBEAT_HEADER_LENGTH,
  HEARTBEAT_MAX_CLAIMS,
  HeartbeatFlag,
  HeartbeatMessage,
  type HeartbeatRepr,
  heartbeat,
  heartbeatGroupMac,
  IpAddress,
  Role,
  roleName,
} from '../src/index.js';

const RUNS = { numRuns: 1000, seed: 20261122 };
const keys = new KeyRing([
  { id: 1, secret: new Uint8Array(32).fill(1) },
  { id: 2, secret: new Uint8Array(32).fill(2) },
]);

function sample(overrides: Partial<HeartbeatRepr> = {}): HeartbeatRepr {
  return {
    flags: 0,
    keyId: 1,
    clusterId: 0xdeadbeef,
    nodeId: 42,
    mac: MacAddress.parse('02:00:00:00:00:2a'),
    ip: IpAddress.v4('10.0.0.42'),
    bootId: 0x12345678,
    counter: 0x0123_4567_89ab_cdefn,
    intervalUs: 10_000,
    solicit: 0,
    claims: [
      { vip: IpAddress.v4('192.0.2.1'), role: Role.ACTIVE, term: 3, metric: 155, tiebreak: 0 },
      { vip: IpAddress.v6('2001:db8::1'), role: Role.PASSIVE, term: 9, metric: 0xffff_ffff, tiebreak: 77 },
    ],
    loads: [12, 0xffff_ffff],
    tag: new Uint8Array(32).fill(0xcc),
    ...overrides,
  };
}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

/** abstract-encoding round trip: length, 0xa5 pre-fill, identity, re-encode, offset 10. */
function roundTrip(repr: HeartbeatRepr): Uint8Array {
  const len = heartbeat.encodingLength(repr);
  const plain = heartbeat.encode(repr);
  expect(plain.length).toBe(len);
  for (const fill of [0x00, 0xa5]) {
    const buf = new Uint8Array(len + 20).fill(fill);
    heartbeat.encode(repr, buf, 10);
    expect(hex(buf.subarray(10, 10 + len))).toBe(hex(plain));
    expect(buf.subarray(0, 10).every((b) => b === fill)).toBe(true);
    expect(buf.subarray(10 + len).every((b) => b === fill)).toBe(true);
    expect(heartbeat.decode(buf, 10, 10 + len).bytesRead).toBe(len);
  }
  const { value, bytesRead } = heartbeat.decode(plain);
  expect(bytesRead).toBe(len);
  expect(value).toEqual(repr);
  expect(hex(heartbeat.encode(value))).toBe(hex(plain));
  return plain;
}

describe('heartbeat codec', () => {
  it('round-trips IPv4 and IPv6 claims, loads and the tag', () => {
    const bytes = roundTrip(sample());
    expect(bytes.length).toBe(60 + 2 * 32 + 2 * 4 + 32);
    // Spot-check the layout the README documents.
    expect(bytes[0]).toBe(1);
    expect(hex(bytes.subarray(4, 8))).toBe('deadbeef');
    expect(hex(bytes.subarray(12, 18))).toBe('02000000002a');
    expect(hex(bytes.subarray(40, 48))).toBe('0123456789abcdef');
    expect(bytes[60]).toBe(4);
    expect(bytes[61]).toBe(Role.ACTIVE);
  });

  it('round-trips a real IPv6 address, no claims, no loads, unknown flag bits', () => {
    roundTrip(sample({ ip: IpAddress.v6('fe80::1'), claims: [], loads: [], flags: 0xfe }));
  });

  it('round-trips the largest message (40 claims, 8 loads) within a 1500-byte MTU', () => {
    const claims = Array.from({ length: HEARTBEAT_MAX_CLAIMS }, (_, i) => ({
      vip: IpAddress.v6(BigInt(i) + (1n << 127n)),
      role: Role.INIT,
      term: i,
      metric: i,
      tiebreak: i,
    }));
    const bytes = roundTrip(sample({ claims, loads: [1, 2, 3, 4, 5, 6, 7, 8] }));
    expect(bytes.length).toBeLessThanOrEqual(1500);
  });

  it('seals with the key the message names and verifies under either key of a rotation', () => {
    for (const keyId of [1, 2]) {
      const bytes = heartbeat.seal(sample({ keyId }), keys);
      const m = new HeartbeatMessage().wrap(bytes);
      expect(m.verify(keys)).toBe('ok');
      expect(m.tag()).toEqual(keys.sign(bytes.subarray(0, bytes.length - 32), keyId));
    }
    const onlyTwo = new KeyRing([{ id: 2, secret: new Uint8Array(32).fill(2) }]);
    expect(new HeartbeatMessage().wrap(heartbeat.seal(sample({ keyId: 1 }), keys)).verify(onlyTwo)).toBe(
      'unknown-key',
    );
  });

  it('the view reads every field in place and drops trailing link padding', () => {
    const repr = sample({ flags: HeartbeatFlag.STOPPING, solicit: 9 });
    const bytes = heartbeat.encode(repr);
    const padded = new Uint8Array(bytes.length + 7);
    padded.set(bytes);
    const m = new HeartbeatMessage().wrap(padded);
    expect(m.length).toBe(bytes.length);
    expect([m.version, m.isStopping, m.keyId, m.nodeId, m.bootId, m.intervalUs, m.solicit]).toEqual([
      1,
      true,
      1,
      42,
      0x12345678,
      10_000,
      9,
    ]);
    expect(m.claim(1)).toEqual(repr.claims[1]);
    expect(m.load(1)).toBe(0xffff_ffff);
    m.counter = 5n;
    m.flags = 0;
    expect(heartbeat.decode(padded).value).toMatchObject({ counter: 5n, flags: 0 });
  });

  it('group MAC: locally administered multicast, derived from the cluster id', () => {
    const mac = heartbeatGroupMac(0x0a0b0c0d);
    expect(MacAddress.format(mac)).toBe('03:79:0a:0b:0c:0d');
    expect(MacAddress.isMulticast(mac)).toBe(true);
    expect(MacAddress.isLocallyAdministered(mac)).toBe(true);
    expect(() => heartbeatGroupMac(-1)).toThrow(WireError);
  });

  it('names roles', () => {
    expect([Role.INIT, Role.PASSIVE, Role.ACTIVE].map(roleName)).toEqual(['INIT', 'PASSIVE', 'ACTIVE']);
  });
});

describe('malformations: one test each', () => {
  const good = () => heartbeat.encode(sample());
  const expectError = (bytes: Uint8Array, name: string, field: RegExp) => {
    const m = new HeartbeatMessage();
    expect(m.check(bytes)).not.toBe(Status.OK);
    expect(() => heartbeat.decode(bytes)).toThrow(WireError);
    const e = m.error();
    expect(e.name).toBe(name);
    expect(e.message).toMatch(field);
  };
  it('rejects a short header', () => expectError(good().subarray(0, 59), 'TruncatedError', /header/));
  it('rejects a message cut before its tag', () => {
    const b = good();
    expectError(b.subarray(0, b.length - 1), 'TruncatedError', /message/);
  });
  it('rejects another version as unsupported', () => {
    const b = good();
    b[0] = 2;
    expectError(b, 'UnsupportedError', /version/);
  });
  it('rejects node id 0', () => {
    const b = good();
    b.fill(0, 8, 12);
    expectError(b, 'MalformedError', /nodeId/);
  });
  it('rejects an unknown IP family', () => {
    const b = good();
    b[18] = 5;
    expectError(b, 'MalformedError', /ipFamily/);
  });
  it('rejects non-zero bytes after an IPv4 address', () => {
    const b = good();
    b[30] = 1;
    expectError(b, 'MalformedError', /ip/);
  });
  it('rejects interval 0', () => {
    const b = good();
    b.fill(0, 48, 52);
    expectError(b, 'MalformedError', /interval/);
  });
  it('rejects too many claims', () => {
    const b = good();
    b[19] = HEARTBEAT_MAX_CLAIMS + 1;
    expectError(b, 'MalformedError', /claimCount/);
  });
  it('rejects too many loads', () => {
    const b = good();
    b[56] = 9;
    expectError(b, 'MalformedError', /loadCount/);
  });
  it('rejects a claim of unknown family', () => {
    const b = good();
    b[HEARTBEAT_HEADER_LENGTH] = 0;
    expectError(b, 'MalformedError', /claim\.family/);
  });
  it('rejects non-zero bytes after a claimed IPv4 VIP', () => {
    const b = good();
    b[HEARTBEAT_HEADER_LENGTH + 31] = 1;
    expectError(b, 'MalformedError', /claim\.vip/);
  });
  it('rejects an unknown role', () => {
    const b = good();
    b[HEARTBEAT_HEADER_LENGTH + 1] = 3;
    expectError(b, 'MalformedError', /claim\.role/);
  });
});

describe('encoder refuses what it cannot encode', () => {
  const cases: Array<[string, Partial<HeartbeatRepr>]> = [
    ['flags', { flags: 256 }],
    ['keyId', { keyId: 0x10000 }],
    ['nodeId 0', { nodeId: 0 }],
    ['nodeId', { nodeId: 2 ** 32 }],
    ['mac', { mac: 2 ** 48 }],
    ['bootId', { bootId: -1 }],
    ['counter', { counter: 1n << 64n }],
    ['counter type', { counter: 1 as unknown as bigint }],
    ['interval 0', { intervalUs: 0 }],
    ['solicit', { solicit: 1.5 }],
    ['ip', { ip: { version: 5 } as unknown as IpAddress }],
    ['claims', { claims: new Array(41).fill(sample().claims[0]) }],
    ['loads', { loads: new Array(9).fill(0) }],
    ['load value', { loads: [-1] }],
    ['tag length', { tag: new Uint8Array(31) }],
    ['claim role', { claims: [{ ...sample().claims[0]!, role: 7 as Role }] }],
    ['claim term', { claims: [{ ...sample().claims[0]!, term: -1 }] }],
    [
      'claim vip',
      {
        claims: [
          { ...sample().claims[0]!, vip: IpAddress.v4(1) },
          { ...sample().claims[0]!, vip: { version: 6, address: -1n } },
        ],
      },
    ],
  ];
  for (const [name, o] of cases) {
    it(name, () => {
      expect(() => heartbeat.encode(sample(o))).toThrow(
        expect.objectContaining({ name: 'InvalidArgumentError' }),
      );
    });
  }
  it('a buffer too small, and a bad offset', () => {
    expect(() => heartbeat.encode(sample(), new Uint8Array(10))).toThrow(WireError);
    expect(() => heartbeat.encode(sample(), new Uint8Array(500), -1)).toThrow(WireError);
  });
});

// --- properties --------------------------------------------------------------------------

const u32 = fc.integer({ min: 0, max: 0xffff_ffff });
const ipArb: fc.Arbitrary<IpAddress> = fc.oneof(
  u32.map((a) => IpAddress.v4(a)),
  fc.bigInt({ min: 0n, max: (1n << 128n) - 1n }).map((a) => IpAddress.v6(a)),
);
const claimArb = fc.record({
  vip: ipArb,
  role: fc.constantFrom(Role.INIT, Role.PASSIVE, Role.ACTIVE),
  term: u32,
  metric: u32,
  tiebreak: u32,
});
const reprArb: fc.Arbitrary<HeartbeatRepr> = fc.record({
  flags: fc.integer({ min: 0, max: 255 }),
  keyId: fc.constantFrom(1, 2),
  clusterId: u32,
  nodeId: fc.integer({ min: 1, max: 0xffff_ffff }),
  mac: fc.integer({ min: 0, max: 2 ** 48 - 1 }),
  ip: ipArb,
  bootId: u32,
  counter: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
  intervalUs: fc.integer({ min: 1, max: 0xffff_ffff }),
  solicit: u32,
  claims: fc.array(claimArb, { maxLength: 6 }),
  loads: fc.array(u32, { maxLength: 8 }),
  tag: fc.uint8Array({ minLength: 32, maxLength: 32 }),
});

describe('properties', () => {
  it('random bytes decode or throw a WireError, nothing else', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), (b) => {
        try {
          heartbeat.decode(b);
        } catch (e) {
          if (!(e instanceof WireError)) throw e;
        }
      }),
      RUNS,
    );
  });

  it('random bytes behind a valid header decode or throw a WireError', () => {
    const head = heartbeat.encode(sample()).subarray(0, HEARTBEAT_HEADER_LENGTH);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), fc.nat(255), fc.nat(10), (tail, claims, loads) => {
        const b = new Uint8Array(HEARTBEAT_HEADER_LENGTH + tail.length);
        b.set(head);
        b.set(tail, HEARTBEAT_HEADER_LENGTH);
        b[19] = claims % 8;
        b[56] = loads;
        try {
          const { value } = heartbeat.decode(b);
          expect(heartbeat.encodingLength(value)).toBeLessThanOrEqual(b.length);
        } catch (e) {
          if (!(e instanceof WireError)) throw e;
        }
      }),
      RUNS,
    );
  });

  it('encode→decode is the identity, at any offset', () => {
    fc.assert(
      fc.property(reprArb, fc.nat(16), (repr, offset) => {
        const len = heartbeat.encodingLength(repr);
        const buf = new Uint8Array(offset + len).fill(0xa5);
        heartbeat.encode(repr, buf, offset);
        const { value, bytesRead } = heartbeat.decode(buf, offset);
        expect(bytesRead).toBe(len);
        expect(value).toEqual(repr);
      }),
      RUNS,
    );
  });

  it('a flipped bit anywhere in a sealed message fails authentication', () => {
    fc.assert(
      fc.property(reprArb, fc.nat(), fc.nat(7), (repr, at, bit) => {
        const bytes = heartbeat.seal(repr, keys);
        expect(new HeartbeatMessage().wrap(bytes).verify(keys)).toBe('ok');
        const i = at % bytes.length;
        bytes[i] = bytes[i]! ^ (1 << bit);
        const m = new HeartbeatMessage();
        // Either the bytes no longer parse, or the tag (or the key id it names) fails.
        if (m.check(bytes) === Status.OK) expect(m.verify(keys)).not.toBe('ok');
      }),
      RUNS,
    );
  });

  it('exhaustively: every bit of one sealed message', () => {
    const bytes = heartbeat.seal(sample(), keys);
    const m = new HeartbeatMessage();
    let failed = 0;
    for (let i = 0; i < bytes.length * 8; i++) {
      const copy = bytes.slice();
      copy[i >> 3] = copy[i >> 3]! ^ (1 << (i & 7));
      if (m.check(copy) !== Status.OK || m.verify(keys) !== 'ok') failed++;
    }
    expect(failed).toBe(bytes.length * 8);
    expect(HMAC_SHA256_LENGTH).toBe(32);
  });
});
