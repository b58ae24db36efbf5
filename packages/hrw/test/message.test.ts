import { createHmac } from 'node:crypto';
import {
  InvalidArgumentError,
  KeyRing,
  MalformedError,
  TruncatedError,
  UnsupportedError,
  WireError,
} from '@switchyard/wire';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DIRECTORY_ENTRY_LENGTH,
  DIRECTORY_HEADER_LENGTH,
  DIRECTORY_MAX_ENTRIES,
  type DirectoryEntry,
  DirectoryOp,
  directoryMessage,
} from '../src/index.js';
import { entries, flow } from './arbitraries.js';

const secret = new Uint8Array(32).fill(7);
const ring = new KeyRing([{ id: 1, secret }]);
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

const upsert: DirectoryEntry = {
  op: DirectoryOp.UPSERT,
  flow: flow(0),
  version: 0x0102030405060708n,
  writer: 9,
  primary: 0x11,
  backup: 0x22,
  server: 0x33,
};
const del: DirectoryEntry = {
  op: DirectoryOp.DELETE,
  flow: flow(1),
  version: 5n,
  writer: 9,
  primary: 0,
  backup: undefined,
  server: 0,
};
const base = { clusterId: 0xc1, senderId: 9, counter: 0x1_0000_0002n, epoch: 3, entries: [upsert, del] };

describe('directory message vector (worked by hand)', () => {
  const bytes = directoryMessage.encode(base, ring);

  it('lays out header, entries and tag as documented', () => {
    expect(bytes.length).toBe(28 + 2 * 64 + 32);
    expect(hex(bytes.subarray(0, 28))).toBe(
      // ver type keyId  cluster   sender    counter           epoch     count rsvd
      '01' + '01' + '0001' + '000000c1' + '00000009' + '0000000100000002' + '00000003' + '0002' + '0000',
    );
    expect(hex(bytes.subarray(28, 28 + 14))).toBe(
      // op flags writer    version
      '01' + '01' + '00000009' + '0102030405060708',
    );
    expect(hex(bytes.subarray(42, 80))).toBe(hex(flow(0)));
    expect(hex(bytes.subarray(80, 92))).toBe('00000011' + '00000022' + '00000033');
    expect(hex(bytes.subarray(92, 92 + 14))).toBe('02' + '00' + '00000009' + '0000000000000005');
    expect(hex(bytes.subarray(144, 156))).toBe('0'.repeat(24));
  });

  it('ends with HMAC-SHA256 over everything before it (checked with node:crypto directly)', () => {
    const tag = createHmac('sha256', secret).update(bytes.subarray(0, 156)).digest();
    expect(hex(bytes.subarray(156))).toBe(tag.toString('hex'));
    expect(directoryMessage.verify(bytes, ring)).toBe('ok');
  });

  it('decodes back to what was encoded', () => {
    const { value, tag, bytesRead } = directoryMessage.decode(bytes);
    expect(value).toEqual({ ...base, keyId: 1 });
    expect(tag.length).toBe(32);
    expect(bytesRead).toBe(bytes.length);
  });
});

describe('directory message codec', () => {
  it('decode(encode(m)) is m for random messages; the tag verifies', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 0xffff_ffff }),
        fc.integer({ min: 0, max: 0xffff_ffff }),
        fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
        fc.integer({ min: 0, max: 0xffff_ffff }),
        fc.array(entries, { maxLength: 8 }),
        (clusterId, senderId, counter, epoch, list) => {
          const m = { clusterId, senderId, counter, epoch, entries: list };
          const bytes = directoryMessage.encode(m, ring);
          expect(bytes.length).toBe(directoryMessage.encodingLength(list.length));
          expect(directoryMessage.decode(bytes).value).toEqual({ ...m, keyId: 1 });
          expect(directoryMessage.verify(bytes, ring)).toBe('ok');
        },
      ),
    );
  });

  it('random bytes decode or throw a WireError; verify never passes without the key', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        try {
          directoryMessage.decode(bytes);
          expect(directoryMessage.verify(bytes, ring)).not.toBe('ok');
        } catch (e) {
          expect(e).toBeInstanceOf(WireError);
        }
      }),
    );
    // Valid frames with a random body: still a WireError or a decode.
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 64, maxLength: 64 }), (entry) => {
        const bytes = directoryMessage.encode({ ...base, entries: [upsert] }, ring);
        bytes.set(entry, DIRECTORY_HEADER_LENGTH);
        try {
          directoryMessage.decode(bytes);
        } catch (e) {
          expect(e).toBeInstanceOf(WireError);
        }
      }),
    );
  });

  it('signs with a chosen key id of the ring', () => {
    const two = new KeyRing([
      { id: 1, secret },
      { id: 2, secret: new Uint8Array(16).fill(1) },
    ]);
    const bytes = directoryMessage.encode({ ...base, keyId: 2 }, two);
    expect(directoryMessage.decode(bytes).value.keyId).toBe(2);
    expect(directoryMessage.verify(bytes, two)).toBe('ok');
    expect(directoryMessage.verify(bytes, ring)).toBe('unknown-key');
  });
});

describe('directory message malformations (one test per rule)', () => {
  const good = () => directoryMessage.encode(base, ring);
  const poke =
    (...writes: Array<[number, number]>) =>
    (b: Uint8Array): Uint8Array => {
      for (const [at, value] of writes) b[at] = value;
      return b;
    };
  const entry0 = DIRECTORY_HEADER_LENGTH;
  const entry1 = DIRECTORY_HEADER_LENGTH + DIRECTORY_ENTRY_LENGTH;

  const cases: Array<[string, (b: Uint8Array) => Uint8Array, new (...a: never[]) => WireError, RegExp]> = [
    ['rejects a message shorter than header and tag', (b) => b.subarray(0, 59), TruncatedError, /60 bytes/],
    [
      'rejects a message shorter than its entry count says',
      (b) => b.subarray(0, b.length - 1),
      TruncatedError,
      /needs 188 bytes/,
    ],
    ['rejects trailing bytes', (b) => Uint8Array.from([...b, 0]), MalformedError, /count/],
    ['rejects another version', poke([0, 2]), UnsupportedError, /version 2/],
    ['rejects another message type', poke([1, 9]), UnsupportedError, /type 9/],
    ['rejects key id 0', poke([2, 0], [3, 0]), MalformedError, /keyId/],
    ['rejects non-zero reserved header bytes', poke([27, 1]), MalformedError, /reserved/],
    ['rejects an entry count above the limit', poke([24, 0xff]), MalformedError, /at most 1000/],
    ['rejects an unknown op', poke([entry0, 3]), MalformedError, /op/],
    ['rejects reserved entry flags', poke([entry0 + 1, 3]), MalformedError, /flags/],
    ['rejects a malformed flow key', poke([entry0 + 14, 5]), MalformedError, /flow/],
    ['rejects a delete with a primary', poke([entry1 + 55, 1]), MalformedError, /delete/],
    ['rejects a delete with flags', poke([entry1 + 1, 1]), MalformedError, /delete/],
    ['rejects a backup without its flag', poke([entry0 + 1, 0]), MalformedError, /flag/],
    [
      'rejects a backup equal to the primary',
      poke([entry0 + 59, 0x11]),
      MalformedError,
      /equals the primary/,
    ],
  ];

  it.each(cases)('%s', (_name, mutate, type, message) => {
    const bytes = mutate(good());
    expect(() => directoryMessage.decode(bytes)).toThrow(type);
    expect(() => directoryMessage.decode(bytes)).toThrow(message);
  });

  it('verify refuses malformed frames the same way', () => {
    expect(() => directoryMessage.verify(new Uint8Array(10), ring)).toThrow(TruncatedError);
    expect(() => directoryMessage.decode('x' as unknown as Uint8Array)).toThrow(InvalidArgumentError);
  });

  it('verify reports a flipped bit as bad-tag', () => {
    const bytes = good();
    bytes[50]! ^= 1;
    expect(directoryMessage.verify(bytes, ring)).toBe('bad-tag');
  });
});

describe('encode refuses what it cannot send', () => {
  const bad: Array<[string, Parameters<typeof directoryMessage.encode>[0]]> = [
    ['cluster id', { ...base, clusterId: -1 }],
    ['sender id', { ...base, senderId: 2 ** 32 }],
    ['counter', { ...base, counter: 1n << 64n }],
    ['epoch', { ...base, epoch: 1.5 }],
    ['key id 0', { ...base, keyId: 0 }],
    ['a key id not in the ring', { ...base, keyId: 3 }],
    ['too many entries', { ...base, entries: new Array(DIRECTORY_MAX_ENTRIES + 1).fill(upsert) }],
    ['an unknown op', { ...base, entries: [{ ...upsert, op: 3 as DirectoryOp }] }],
    ['a short flow', { ...base, entries: [{ ...upsert, flow: new Uint8Array(37) }] }],
    [
      'a non-canonical flow',
      { ...base, entries: [{ ...upsert, flow: Uint8Array.from({ length: 38 }, () => 9) }] },
    ],
    ['a negative version', { ...base, entries: [{ ...upsert, version: -1n }] }],
    ['a bad writer', { ...base, entries: [{ ...upsert, writer: -1 }] }],
    ['a bad backup', { ...base, entries: [{ ...upsert, backup: 2 ** 32 }] }],
    ['a backup equal to the primary', { ...base, entries: [{ ...upsert, backup: upsert.primary }] }],
    ['a delete with a server', { ...base, entries: [{ ...del, server: 1 }] }],
  ];
  it.each(bad)('%s', (_name, m) => {
    expect(() => directoryMessage.encode(m, ring)).toThrow(InvalidArgumentError);
  });
});
