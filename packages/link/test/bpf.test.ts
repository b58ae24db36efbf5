/**
 * The BPF builder against a tiny independent interpreter of the opcodes it emits (in the
 * spirit of glb-director's reference implementation), over random frames and sets; the
 * kernel runs the same programs in layout.netns.test.ts.
 */
import { MacAddress } from '@switchyard/wire';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  BPF_ACCEPT,
  type BpfInstruction,
  BpfOp,
  buildFilter,
  encodeProgram,
  validateProgram,
} from '../src/index.js';

/** The ancillary load of the packet type (SKF_AD_OFF + SKF_AD_PKTTYPE). */
const AD_PKTTYPE = 0xfffff004;

/**
 * Classic BPF semantics for LD_{W,H,B}_ABS, JEQ_K, JA and RET_K; out-of-bounds loads reject.
 * A word load at SKF_AD_OFF + SKF_AD_PKTTYPE reads `pktType`, as the kernel's does.
 */
function run(program: readonly BpfInstruction[], pkt: Uint8Array, pktType = 0): number {
  let a = 0;
  let pc = 0;
  for (let steps = 0; steps < 10_000; steps++) {
    const i = program[pc]!;
    const load = (n: number) => {
      if (i.k + n > pkt.length) return undefined;
      let v = 0;
      for (let j = 0; j < n; j++) v = v * 256 + pkt[i.k + j]!;
      return v;
    };
    switch (i.code) {
      case BpfOp.LD_W_ABS:
      case BpfOp.LD_H_ABS:
      case BpfOp.LD_B_ABS: {
        if (i.code === BpfOp.LD_W_ABS && i.k === AD_PKTTYPE) {
          a = pktType;
          pc++;
          break;
        }
        const v = load(i.code === BpfOp.LD_W_ABS ? 4 : i.code === BpfOp.LD_H_ABS ? 2 : 1);
        if (v === undefined) return 0;
        a = v;
        pc++;
        break;
      }
      case BpfOp.JEQ_K:
        pc += 1 + (a === i.k ? i.jt : i.jf);
        break;
      case BpfOp.JA:
        pc += 1 + i.k;
        break;
      case BpfOp.RET_K:
        return i.k;
      default:
        throw new Error(`opcode ${i.code}`);
    }
  }
  throw new Error('no return');
}

const mac = fc.integer({ min: 0, max: 2 ** 48 - 1 }) as fc.Arbitrary<MacAddress>;

function frame(dst: number, etherType: number, extra: number): Uint8Array {
  const f = new Uint8Array(14 + extra);
  MacAddress.write(dst as MacAddress, f, 0);
  f[12] = etherType >> 8;
  f[13] = etherType & 0xff;
  return f;
}

describe('buildFilter', () => {
  it('accepts exactly the frames whose destination and EtherType are in the sets', () => {
    fc.assert(
      fc.property(
        fc.option(fc.uniqueArray(mac, { minLength: 1, maxLength: 60 }), { nil: undefined }),
        fc.option(fc.uniqueArray(fc.integer({ min: 0, max: 0xffff }), { minLength: 1, maxLength: 60 }), {
          nil: undefined,
        }),
        fc.array(fc.tuple(mac, fc.integer({ min: 0, max: 0xffff }), fc.boolean(), fc.nat(3)), {
          maxLength: 20,
        }),
        (destinations, etherTypes, probes) => {
          const spec: Parameters<typeof buildFilter>[0] = {};
          if (destinations !== undefined) spec.destinations = destinations;
          if (etherTypes !== undefined) spec.etherTypes = etherTypes;
          const program = buildFilter(spec);
          validateProgram(program);
          for (const [d0, t0, pickListed, extra] of probes) {
            const d = pickListed && destinations ? destinations[d0 % destinations.length]! : d0;
            const t = pickListed && etherTypes ? etherTypes[t0 % etherTypes.length]! : t0;
            const want = (destinations?.includes(d) ?? true) && (etherTypes?.includes(t) ?? true);
            expect(run(program, frame(d, t, extra))).toBe(want ? BPF_ACCEPT : 0);
          }
        },
      ),
    );
  });

  it('drops frames the host sent (PACKET_OUTGOING) with excludeOutgoing, and only those', () => {
    fc.assert(
      fc.property(
        fc.option(fc.uniqueArray(mac, { minLength: 1, maxLength: 8 }), { nil: undefined }),
        fc.array(fc.tuple(mac, fc.integer({ min: 0, max: 7 }), fc.boolean()), { maxLength: 20 }),
        (destinations, probes) => {
          const program = buildFilter({
            excludeOutgoing: true,
            ...(destinations === undefined ? {} : { destinations }),
          });
          validateProgram(program);
          for (const [d0, pktType, pickListed] of probes) {
            const d = pickListed && destinations ? destinations[d0 % destinations.length]! : d0;
            const want = pktType !== 4 && (destinations?.includes(d) ?? true);
            expect(run(program, frame(d, 0x0800, 0), pktType)).toBe(want ? BPF_ACCEPT : 0);
          }
        },
      ),
    );
  });

  it('rejects a runt the loads cannot reach (the kernel drops on out-of-bounds loads)', () => {
    expect(run(buildFilter({ etherTypes: [0x0800] }), new Uint8Array(12))).toBe(0);
  });

  it('refuses empty or oversized sets and out-of-range values', () => {
    expect(() => buildFilter({ etherTypes: [] })).toThrow(/etherTypes/);
    expect(() =>
      buildFilter({ destinations: Array.from({ length: 61 }, (_, i) => i as MacAddress) }),
    ).toThrow(/destinations/);
    expect(() => buildFilter({ etherTypes: [0x10000] })).toThrow(/EtherType/);
    expect(() => buildFilter({ destinations: [(2 ** 48) as MacAddress] })).toThrow(/MAC/);
    expect(buildFilter({})).toEqual([{ code: BpfOp.RET_K, jt: 0, jf: 0, k: BPF_ACCEPT }]);
  });

  it('validates hand-written programs like the kernel', () => {
    const ret = { code: BpfOp.RET_K, jt: 0, jf: 0, k: 0 };
    expect(() => validateProgram([])).toThrow(/1 to 4096/);
    expect(() => validateProgram([{ code: BpfOp.JEQ_K, jt: 1, jf: 0, k: 0 }, ret])).toThrow(
      /jumps past the end/,
    );
    expect(() => validateProgram([{ code: BpfOp.JA, jt: 0, jf: 0, k: 5 }, ret])).toThrow(
      /jumps past the end/,
    );
    expect(() => validateProgram([{ code: BpfOp.LD_H_ABS, jt: 0, jf: 0, k: 12 }])).toThrow(/must return/);
    expect(() => validateProgram([{ ...ret, jt: 256 }])).toThrow(/out of range/);
    expect(() => validateProgram([{ ...ret, k: -1 }])).toThrow(/u32/);
  });

  it('encodes struct sock_filter: u16 code, u8 jt, u8 jf, u32 k, little-endian', () => {
    const ret = { code: 6, jt: 0, jf: 0, k: 0x40000 };
    const b = encodeProgram([{ code: 0x15, jt: 1, jf: 2, k: 0x0806 }, ret, ret, ret]);
    expect([...b.subarray(0, 16)]).toEqual([0x15, 0, 1, 2, 0x06, 0x08, 0, 0, 6, 0, 0, 0, 0, 0, 4, 0]);
  });
});
