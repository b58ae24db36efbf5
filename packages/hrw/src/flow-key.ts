/**
 * The flow identity the directory stores: a fixed 38-byte canonical encoding of the 5-tuple,
 * the same for IPv4 and IPv6, so that a flow has exactly one byte string and every balancer
 * keys its directory by the same bytes.
 *
 *   offset size field
 *        0    1 family: 4 or 6
 *        1    1 protocol (IANA protocol number: 6 TCP, 17 UDP, ...)
 *        2   16 source address (IPv4: 4 bytes, then 12 zero bytes)
 *       18   16 destination address (same)
 *       34    2 source port (big endian; 0 for protocols without ports)
 *       36    2 destination port
 */
import {
  InvalidArgumentError,
  type Ipv4Address,
  Ipv6Address,
  MalformedError,
  TruncatedError,
} from '@switchyard/wire';

const LAYER = 'flow-key';

export const FLOW_KEY_LENGTH = 38;

/** A flow's 5-tuple; addresses as in `@switchyard/wire` (u32 numbers, 128-bit bigints). */
export type FlowKey =
  | {
      readonly family: 4;
      readonly protocol: number;
      readonly source: Ipv4Address;
      readonly destination: Ipv4Address;
      readonly sourcePort: number;
      readonly destinationPort: number;
    }
  | {
      readonly family: 6;
      readonly protocol: number;
      readonly source: Ipv6Address;
      readonly destination: Ipv6Address;
      readonly sourcePort: number;
      readonly destinationPort: number;
    };

function assertRange(bytes: Uint8Array, offset: number, length: number): void {
  if (!Number.isInteger(offset) || offset < 0 || offset + length > bytes.length) {
    throw new InvalidArgumentError(LAYER, 'offset', `no room for ${length} bytes at ${String(offset)}`);
  }
}

function assertUint(field: string, value: unknown, max: number): void {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > max) {
    throw new InvalidArgumentError(LAYER, field, `expected an integer in [0, ${max}], got ${String(value)}`);
  }
}

function assertV6(field: string, value: unknown): void {
  if (typeof value !== 'bigint' || value < 0n || value >= 1n << 128n) {
    throw new InvalidArgumentError(LAYER, field, `expected a 128-bit unsigned bigint, got ${String(value)}`);
  }
}

function writeV4(addr: number, out: Uint8Array, at: number): void {
  out[at] = addr >>> 24;
  out[at + 1] = addr >>> 16;
  out[at + 2] = addr >>> 8;
  out[at + 3] = addr;
  out.fill(0, at + 4, at + 16);
}

export const flowKey = {
  encodingLength(): number {
    return FLOW_KEY_LENGTH;
  },

  /** Writes the canonical bytes of `key` into `out` at `offset` (a new array when absent). */
  encode(key: FlowKey, out: Uint8Array = new Uint8Array(FLOW_KEY_LENGTH), offset = 0): Uint8Array {
    assertRange(out, offset, FLOW_KEY_LENGTH);
    assertUint('protocol', key.protocol, 0xff);
    assertUint('sourcePort', key.sourcePort, 0xffff);
    assertUint('destinationPort', key.destinationPort, 0xffff);
    if (key.family === 4) {
      assertUint('source', key.source, 0xffff_ffff);
      assertUint('destination', key.destination, 0xffff_ffff);
      writeV4(key.source, out, offset + 2);
      writeV4(key.destination, out, offset + 18);
    } else if (key.family === 6) {
      assertV6('source', key.source);
      assertV6('destination', key.destination);
      Ipv6Address.write(key.source, out, offset + 2);
      Ipv6Address.write(key.destination, out, offset + 18);
    } else {
      throw new InvalidArgumentError(
        LAYER,
        'family',
        `expected 4 or 6, got ${String((key as { family: unknown }).family)}`,
      );
    }
    out[offset] = key.family;
    out[offset + 1] = key.protocol;
    out[offset + 34] = key.sourcePort >>> 8;
    out[offset + 35] = key.sourcePort;
    out[offset + 36] = key.destinationPort >>> 8;
    out[offset + 37] = key.destinationPort;
    return out.subarray(offset, offset + FLOW_KEY_LENGTH);
  },

  /** Reads a key, refusing any byte string that is not the canonical form of one. */
  decode(bytes: Uint8Array, offset = 0): { value: FlowKey; bytesRead: number } {
    flowKey.check(bytes, offset);
    const family = bytes[offset]!;
    const protocol = bytes[offset + 1]!;
    const sourcePort = (bytes[offset + 34]! << 8) | bytes[offset + 35]!;
    const destinationPort = (bytes[offset + 36]! << 8) | bytes[offset + 37]!;
    const v4 = (at: number) =>
      ((bytes[at]! << 24) | (bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!) >>> 0;
    const value: FlowKey =
      family === 4
        ? {
            family,
            protocol,
            source: v4(offset + 2),
            destination: v4(offset + 18),
            sourcePort,
            destinationPort,
          }
        : {
            family: 6,
            protocol,
            source: Ipv6Address.read(bytes, offset + 2),
            destination: Ipv6Address.read(bytes, offset + 18),
            sourcePort,
            destinationPort,
          };
    return { value, bytesRead: FLOW_KEY_LENGTH };
  },

  /** Validates the canonical form without building a repr; throws a `WireError`. */
  check(bytes: Uint8Array, offset = 0): void {
    if (!Number.isInteger(offset) || offset < 0) {
      throw new InvalidArgumentError(
        LAYER,
        'offset',
        `expected a non-negative integer, got ${String(offset)}`,
      );
    }
    if (bytes.length - offset < FLOW_KEY_LENGTH) {
      throw new TruncatedError(LAYER, 'flow key', FLOW_KEY_LENGTH, Math.max(0, bytes.length - offset));
    }
    const family = bytes[offset]!;
    if (family !== 4 && family !== 6)
      throw new MalformedError(LAYER, 'family', `expected 4 or 6, got ${family}`);
    if (family === 4) {
      // One flow, one byte string: the 12 bytes after an IPv4 address must be zero.
      for (let i = 6; i < 18; i++) {
        if (bytes[offset + i] !== 0) throw new MalformedError(LAYER, 'source', 'IPv4 padding is not zero');
      }
      for (let i = 22; i < 34; i++) {
        if (bytes[offset + i] !== 0)
          throw new MalformedError(LAYER, 'destination', 'IPv4 padding is not zero');
      }
    }
  },
} as const;
