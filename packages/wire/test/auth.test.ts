import { createHmac } from 'node:crypto';
import { HMAC_SHA256_LENGTH, InvalidArgumentError, KeyRing, ReplayWindow } from '@switchyard/wire';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

const hex = (s: string) => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
const secret = (fill: number) => new Uint8Array(32).fill(fill);

describe('KeyRing', () => {
  it('computes HMAC-SHA256 as RFC 4231 test case 2 states', () => {
    // RFC 4231 §4.3 uses a 4-byte key ("Jefe"), shorter than we accept; test case 6's
    // 131-byte key is long enough and exercises the hash-the-key path.
    const key = new Uint8Array(131).fill(0xaa);
    const ring = new KeyRing([{ id: 1, secret: key }]);
    const data = new TextEncoder().encode('Test Using Larger Than Block-Size Key - Hash Key First');
    expect(Buffer.from(ring.sign(data)).toString('hex')).toBe(
      '60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54',
    );
  });

  it('signs with the send key and writes the tag in place', () => {
    const ring = new KeyRing([{ id: 7, secret: secret(1) }]);
    const data = hex('01020304');
    const out = new Uint8Array(40).fill(0xa5);
    const tag = ring.sign(data, undefined, out, 4);
    expect(tag.length).toBe(HMAC_SHA256_LENGTH);
    expect(out[3]).toBe(0xa5);
    expect(out[36]).toBe(0xa5);
    const expected = createHmac('sha256', secret(1)).update(data).digest();
    expect(Buffer.from(out.subarray(4, 36)).equals(expected)).toBe(true);
    expect(ring.verify(data, 7, tag)).toBe('ok');
  });

  it('refuses a bad tag, an unknown key, and a tag of the wrong length', () => {
    const ring = new KeyRing([{ id: 1, secret: secret(1) }]);
    const data = hex('cafe');
    const tag = ring.sign(data);
    const flipped = tag.slice();
    flipped[31]! ^= 1;
    expect(ring.verify(data, 1, flipped)).toBe('bad-tag');
    expect(ring.verify(data, 2, tag)).toBe('unknown-key');
    expect(ring.verify(data, 1, tag.subarray(0, 16))).toBe('bad-tag');
    expect(ring.verify(hex('cafd'), 1, tag)).toBe('bad-tag');
  });

  it('a message signed under another secret with the same key id fails', () => {
    const ours = new KeyRing([{ id: 1, secret: secret(1) }]);
    const theirs = new KeyRing([{ id: 1, secret: secret(2) }]);
    const data = hex('00');
    expect(ours.verify(data, 1, theirs.sign(data))).toBe('bad-tag');
  });

  it('rotates: both keys verify during the rotation, then the old one is gone', () => {
    const ring = new KeyRing([{ id: 1, secret: secret(1) }]);
    const old = ring.sign(hex('aa'));
    ring.add({ id: 2, secret: secret(2) });
    expect(ring.ids).toEqual([1, 2]);
    ring.use(2);
    const next = ring.sign(hex('aa'));
    expect(ring.verify(hex('aa'), 1, old)).toBe('ok');
    expect(ring.verify(hex('aa'), 2, next)).toBe('ok');
    ring.remove(1);
    expect(ring.has(1)).toBe(false);
    expect(ring.verify(hex('aa'), 1, old)).toBe('unknown-key');
  });

  it('keeps its own copy of the secret', () => {
    const s = secret(3);
    const ring = new KeyRing([{ id: 1, secret: s }]);
    const before = ring.sign(hex('01'));
    s.fill(0);
    expect(ring.verify(hex('01'), 1, before)).toBe('ok');
  });

  it.each([
    ['no keys', () => new KeyRing([])],
    ['key id 0', () => new KeyRing([{ id: 0, secret: secret(1) }])],
    ['key id above 16 bits', () => new KeyRing([{ id: 0x10000, secret: secret(1) }])],
    ['a short secret', () => new KeyRing([{ id: 1, secret: new Uint8Array(15) }])],
    [
      'a duplicate id',
      () =>
        new KeyRing([
          { id: 1, secret: secret(1) },
          { id: 1, secret: secret(2) },
        ]),
    ],
    [
      'a third key',
      () =>
        new KeyRing([
          { id: 1, secret: secret(1) },
          { id: 2, secret: secret(2) },
          { id: 3, secret: secret(3) },
        ]),
    ],
    ['a send key it does not hold', () => new KeyRing([{ id: 1, secret: secret(1) }], { sendKeyId: 2 })],
    ['removing the send key', () => new KeyRing([{ id: 1, secret: secret(1) }]).remove(1)],
    ['using an unknown key', () => new KeyRing([{ id: 1, secret: secret(1) }]).use(9)],
    ['signing with an unknown key', () => new KeyRing([{ id: 1, secret: secret(1) }]).sign(hex('00'), 9)],
    [
      'a tag that does not fit',
      () => new KeyRing([{ id: 1, secret: secret(1) }]).sign(hex('00'), 1, new Uint8Array(40), 9),
    ],
  ])('refuses %s with an InvalidArgumentError', (_name, build) => {
    expect(build).toThrow(InvalidArgumentError);
  });
});

describe('ReplayWindow', () => {
  it('accepts increasing counters and refuses a repeat', () => {
    const w = new ReplayWindow<number>({ capacity: 4 });
    expect(w.accept(1, 10n)).toBe('fresh');
    expect(w.accept(1, 11n)).toBe('fresh');
    expect(w.accept(1, 11n)).toBe('replay');
    expect(w.accept(1, 10n)).toBe('replay');
  });

  it('accepts a reordered counter inside the window once, and refuses one below it', () => {
    const w = new ReplayWindow<string>({ capacity: 4, window: 8 });
    w.accept('a', 100n);
    expect(w.check('a', 95n)).toBe('fresh');
    expect(w.accept('a', 95n)).toBe('fresh');
    expect(w.accept('a', 95n)).toBe('replay');
    expect(w.accept('a', 93n)).toBe('fresh'); // age 7: the last slot of an 8-wide window
    expect(w.accept('a', 92n)).toBe('too-old');
  });

  it('forgets bits that slide out of the window when the top jumps', () => {
    const w = new ReplayWindow<number>({ capacity: 1, window: 4 });
    w.accept(1, 1n);
    w.accept(1, 2n);
    expect(w.accept(1, 100n)).toBe('fresh');
    expect(w.check(1, 97n)).toBe('fresh');
    expect(w.check(1, 96n)).toBe('too-old');
    expect(w.check(1, 100n)).toBe('replay');
  });

  it('check does not record', () => {
    const w = new ReplayWindow<number>({ capacity: 1 });
    expect(w.check(1, 5n)).toBe('fresh');
    expect(w.check(1, 5n)).toBe('fresh');
    expect(w.size).toBe(0);
  });

  it('keeps senders apart', () => {
    const w = new ReplayWindow<number>({ capacity: 4 });
    w.accept(1, 5n);
    expect(w.accept(2, 5n)).toBe('fresh');
    expect(w.accept(2, 5n)).toBe('replay');
  });

  it('evicts the least recently accepted sender at capacity and counts it', () => {
    const w = new ReplayWindow<number>({ capacity: 2 });
    w.accept(1, 1n);
    w.accept(2, 1n);
    w.accept(1, 2n); // 1 is now the most recent
    w.accept(3, 1n); // evicts 2
    expect(w.size).toBe(2);
    expect(w.evicted).toBe(1);
    expect(w.check(1, 2n)).toBe('replay');
    expect(w.check(2, 1n)).toBe('fresh');
    w.forget(1);
    expect(w.check(1, 2n)).toBe('fresh');
  });

  it.each([
    ['capacity 0', () => new ReplayWindow({ capacity: 0 })],
    ['window 0', () => new ReplayWindow({ capacity: 1, window: 0 })],
    ['a huge window', () => new ReplayWindow({ capacity: 1, window: 1 << 20 })],
    ['a negative counter', () => new ReplayWindow<number>({ capacity: 1 }).accept(1, -1n)],
    ['a counter above 64 bits', () => new ReplayWindow<number>({ capacity: 1 }).check(1, 1n << 64n)],
  ])('refuses %s with an InvalidArgumentError', (_name, build) => {
    expect(build).toThrow(InvalidArgumentError);
  });

  it('agrees with a set-based reference on random counter streams', () => {
    fc.assert(
      fc.property(fc.array(fc.bigInt({ min: 0n, max: 200n }), { maxLength: 200 }), (stream) => {
        const windowSize = 16n;
        const w = new ReplayWindow<number>({ capacity: 1, window: Number(windowSize) });
        const seen = new Set<bigint>();
        let top = -1n;
        for (const counter of stream) {
          const expected =
            top < 0n || counter > top
              ? 'fresh'
              : top - counter >= windowSize
                ? 'too-old'
                : seen.has(counter)
                  ? 'replay'
                  : 'fresh';
          expect(w.accept(1, counter)).toBe(expected);
          if (expected === 'fresh') {
            seen.add(counter);
            if (counter > top) top = counter;
          }
        }
      }),
    );
  });
});
