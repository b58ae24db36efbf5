/**
 * A tiny classic-BPF builder for the socket filters the data plane needs, so only the
 * frames it wants cross into user space (SO_ATTACH_FILTER; Documentation/networking/filter.rst).
 *
 * On a packet socket the filter sees the frame from its Ethernet header, after the kernel has
 * moved an offloaded 802.1Q tag into metadata: offset 12 then holds the inner EtherType.
 */
import { InvalidArgumentError, MacAddress } from '@switchyard/wire';

/** One classic BPF instruction (struct sock_filter). */
export interface BpfInstruction {
  readonly code: number;
  readonly jt: number;
  readonly jf: number;
  readonly k: number;
}

/** The opcodes this builder emits (linux/filter.h). */
export const BpfOp = {
  /** A = u32 at packet[k] */
  LD_W_ABS: 0x20,
  /** A = u16 at packet[k] */
  LD_H_ABS: 0x28,
  /** A = u8 at packet[k] */
  LD_B_ABS: 0x30,
  /** if A == k goto jt else goto jf */
  JEQ_K: 0x15,
  /** unconditional jump by k */
  JA: 0x05,
  /** return k (bytes to keep; 0 drops) */
  RET_K: 0x06,
} as const;

/** Largest program the kernel accepts (BPF_MAXINSNS). */
export const BPF_MAXINSNS = 4096;
/** What an accepting filter keeps: the whole frame, 64 KiB GSO frames included. */
export const BPF_ACCEPT = 0x40000;

/** Ancillary load of the frame's packet type (SKF_AD_OFF + SKF_AD_PKTTYPE, linux/filter.h). */
const SKF_AD_PKTTYPE = 0xfffff000 + 4;
/** sll_pkttype of a frame this host sent (linux/if_packet.h). */
const PACKET_OUTGOING = 4;

/** What a filter lets through; every present set must match (AND), a set matches if any entry does (OR). */
export interface FrameFilterSpec {
  /**
   * Drop the frames this host sends (PACKET_OUTGOING) in the kernel, before they are copied
   * into the ring. An ETH_P_ALL socket otherwise sees every frame the host sends: on a
   * server that is one ring copy per reply, for frames the reader only skips.
   */
  excludeOutgoing?: boolean;
  /** EtherTypes to accept (the inner one for offloaded VLAN tags), e.g. [EtherType.ARP, EtherType.IPv4]. */
  etherTypes?: readonly number[];
  /** Destination MACs to accept, e.g. [vMAC, realMac, MacAddress.BROADCAST]. */
  destinations?: readonly MacAddress[];
}

/** Jump offsets are 8-bit: sets larger than this would not reach the accept/reject ends. */
const MAX_SET = 60;

const ins = (code: number, jt: number, jf: number, k: number): BpfInstruction => ({ code, jt, jf, k });

/**
 * Builds a filter program from a spec. With an empty spec it accepts everything.
 *
 * @example
 * ```ts
 * const program = buildFilter({ etherTypes: [0x0806, 0x0800], destinations: [vmac, MacAddress.BROADCAST] });
 * ```
 */
export function buildFilter(spec: FrameFilterSpec): BpfInstruction[] {
  const { etherTypes, destinations } = spec;
  for (const [field, set] of [
    ['etherTypes', etherTypes],
    ['destinations', destinations],
  ] as const) {
    if (set !== undefined && (set.length === 0 || set.length > MAX_SET))
      throw new InvalidArgumentError('link', field, `needs 1 to ${MAX_SET} entries, got ${set.length}`);
  }
  for (const t of etherTypes ?? [])
    if (!Number.isInteger(t) || t < 0 || t > 0xffff)
      throw new InvalidArgumentError('link', 'etherTypes', `not a 16-bit EtherType: ${String(t)}`);
  for (const m of destinations ?? [])
    if (!MacAddress.isValid(m))
      throw new InvalidArgumentError('link', 'destinations', `not a MAC: ${String(m)}`);

  const out: BpfInstruction[] = [];
  if (spec.excludeOutgoing === true) {
    out.push(ins(BpfOp.LD_W_ABS, 0, 0, SKF_AD_PKTTYPE));
    out.push(ins(BpfOp.JEQ_K, 0, 1, PACKET_OUTGOING));
    out.push(ins(BpfOp.RET_K, 0, 0, 0));
  }
  if (destinations !== undefined) {
    // Per MAC: 4 instructions; a match jumps over the rest of the list and the reject.
    destinations.forEach((mac, i) => {
      const remaining = (destinations.length - 1 - i) * 4; // instructions after this entry's 4
      out.push(ins(BpfOp.LD_W_ABS, 0, 0, 0));
      out.push(ins(BpfOp.JEQ_K, 0, 2, Math.floor(mac / 0x10000) >>> 0));
      out.push(ins(BpfOp.LD_H_ABS, 0, 0, 4));
      out.push(ins(BpfOp.JEQ_K, remaining + 1, 0, mac & 0xffff));
    });
    out.push(ins(BpfOp.RET_K, 0, 0, 0));
  }
  if (etherTypes !== undefined) {
    out.push(ins(BpfOp.LD_H_ABS, 0, 0, 12));
    etherTypes.forEach((t, i) => {
      out.push(ins(BpfOp.JEQ_K, etherTypes.length - i, 0, t));
    });
    out.push(ins(BpfOp.RET_K, 0, 0, 0));
  }
  out.push(ins(BpfOp.RET_K, 0, 0, BPF_ACCEPT));
  return out;
}

/** Checks a hand-written program the way the kernel will (size, jump targets, ends in RET). */
export function validateProgram(program: readonly BpfInstruction[]): void {
  if (program.length === 0 || program.length > BPF_MAXINSNS)
    throw new InvalidArgumentError(
      'link',
      'filter',
      `needs 1 to ${BPF_MAXINSNS} instructions, got ${program.length}`,
    );
  program.forEach((p, i) => {
    if (
      ![p.code, p.jt, p.jf].every((v) => Number.isInteger(v) && v >= 0) ||
      p.code > 0xffff ||
      p.jt > 255 ||
      p.jf > 255
    )
      throw new InvalidArgumentError('link', 'filter', `instruction ${i} has a field out of range`);
    if (!Number.isInteger(p.k) || p.k < 0 || p.k > 0xffff_ffff)
      throw new InvalidArgumentError('link', 'filter', `instruction ${i}: k is not a u32`);
    const isJump = (p.code & 0x07) === 0x05;
    const reach = i + 1 + (p.code === BpfOp.JA ? p.k : Math.max(p.jt, p.jf));
    if (isJump && reach >= program.length)
      throw new InvalidArgumentError('link', 'filter', `instruction ${i} jumps past the end`);
  });
  if ((program[program.length - 1]!.code & 0x07) !== 0x06)
    throw new InvalidArgumentError('link', 'filter', 'the last instruction must return');
}

/** The struct sock_filter array for SO_ATTACH_FILTER. */
export function encodeProgram(program: readonly BpfInstruction[]): Uint8Array {
  validateProgram(program);
  const b = new Uint8Array(program.length * 8);
  const dv = new DataView(b.buffer);
  program.forEach((p, i) => {
    dv.setUint16(i * 8, p.code, true);
    dv.setUint8(i * 8 + 2, p.jt);
    dv.setUint8(i * 8 + 3, p.jf);
    dv.setUint32(i * 8 + 4, p.k, true);
  });
  return b;
}
