import { InvalidArgumentError } from '@switchyard/wire';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SipHash24 } from '../src/index.js';
import { sipHashRef } from './reference.js';
import { SIPHASH24_VECTORS } from './siphash-vectors.js';

const KEY = Uint8Array.from({ length: 16 }, (_, i) => i); // 00 01 .. 0f
const hex = (low: number, high: number) => {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setUint32(0, low, true);
  new DataView(b.buffer).setUint32(4, high, true);
  return Buffer.from(b).toString('hex');
};

describe('SipHash-2-4', () => {
  it('matches all 64 reference vectors (key 00..0f, messages of length 0..63)', () => {
    const sip = new SipHash24(KEY);
    const msg = Uint8Array.from({ length: 64 }, (_, i) => i);
    expect(SIPHASH24_VECTORS).toHaveLength(64);
    SIPHASH24_VECTORS.forEach((expected, len) => {
      const low = sip.hash(msg, 0, len);
      expect(hex(low, sip.high), `length ${len}`).toBe(expected);
    });
  });

  it("matches the paper's Appendix A example: 15 bytes 00..0e give a129ca6149be45e5", () => {
    const sip = new SipHash24(KEY);
    const low = sip.hash(Uint8Array.from({ length: 15 }, (_, i) => i));
    expect(low).toBe(0x49be45e5);
    expect(sip.high).toBe(0xa129ca61);
  });

  it('the BigInt reference in the tests matches the vectors too (so it can judge random inputs)', () => {
    const msg = Uint8Array.from({ length: 64 }, (_, i) => i);
    SIPHASH24_VECTORS.forEach((expected, len) => {
      const v = sipHashRef(KEY, msg.subarray(0, len));
      expect(hex(Number(v & 0xffff_ffffn), Number(v >> 32n))).toBe(expected);
    });
  });

  it('equals the BigInt reference on random keys, messages and offsets', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 16, maxLength: 16 }),
        fc.uint8Array({ maxLength: 80 }),
        fc.nat({ max: 9 }),
        (key, msg, pad) => {
          const buf = new Uint8Array(pad + msg.length + 3).fill(0xa5);
          buf.set(msg, pad);
          const sip = new SipHash24(key);
          const low = sip.hash(buf, pad, msg.length);
          const ref = sipHashRef(key, msg);
          return BigInt(sip.high) * 2n ** 32n + BigInt(low) === ref;
        },
      ),
      { numRuns: 500 },
    );
  });

  it('long messages (hashed in 64-byte pieces) equal the BigInt reference', () => {
    const sip = new SipHash24(KEY);
    for (const len of [64, 65, 71, 72, 73, 128, 129, 200, 1500]) {
      const msg = Uint8Array.from({ length: len }, (_, i) => (i * 31 + 7) & 0xff);
      const low = sip.hash(msg);
      expect(BigInt(sip.high) * 2n ** 32n + BigInt(low), `length ${len}`).toBe(sipHashRef(KEY, msg));
    }
  });

  it('rejects a key that is not 16 bytes and ranges outside the data', () => {
    expect(() => new SipHash24(new Uint8Array(15))).toThrow(InvalidArgumentError);
    expect(() => new SipHash24(new Uint8Array(17))).toThrow(InvalidArgumentError);
    const sip = new SipHash24(KEY);
    expect(() => sip.hash(new Uint8Array(4), 2, 3)).toThrow(InvalidArgumentError);
    expect(() => sip.hash(new Uint8Array(4), -1, 2)).toThrow(InvalidArgumentError);
    expect(() => sip.hash(new Uint8Array(4), 0.5, 2)).toThrow(InvalidArgumentError);
  });
});
