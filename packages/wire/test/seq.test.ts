import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { seqAdd, seqDiff, seqGe, seqGt, seqInWindow, seqLe, seqLt } from '../src/index.js';
import { u32 } from './arbitraries.js';

describe('sequence arithmetic modulo 2^32 (RFC 9293 §3.4)', () => {
  it('wraps', () => {
    expect(seqAdd(0xffff_ffff, 1)).toBe(0);
    expect(seqAdd(0xffff_fff0, 0x20)).toBe(0x10);
    expect(seqDiff(0x10, 0xffff_fff0)).toBe(0x20);
    expect(seqLt(0xffff_fff0, 0x10)).toBe(true);
    expect(seqGt(0x10, 0xffff_fff0)).toBe(true);
    expect(seqLe(5, 5) && seqGe(5, 5)).toBe(true);
    expect(seqInWindow(0x5, 0xffff_fff0, 0x10)).toBe(true);
    expect(seqInWindow(0x10, 0xffff_fff0, 0x10)).toBe(false);
  });
  it('orders any two numbers less than 2^31 apart', () => {
    fc.assert(
      fc.property(u32, fc.integer({ min: 1, max: 2 ** 31 - 1 }), (a, n) => {
        const b = seqAdd(a, n);
        expect(seqLt(a, b)).toBe(true);
        expect(seqGt(b, a)).toBe(true);
        expect(seqDiff(b, a)).toBe(n);
        expect(seqInWindow(a, a, b)).toBe(true);
        expect(seqInWindow(b, a, b)).toBe(false);
      }),
    );
  });
});
