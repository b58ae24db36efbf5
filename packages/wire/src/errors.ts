/**
 * Typed errors. Every malformed input ends in a `WireError` subclass with a stable
 * `name` and `code`; nothing else escapes a decoder (no `RangeError`/`TypeError`).
 */

/** Status codes used by the non-throwing hot path (`decodeFrame`, `View.check`). */
export const Status = {
  OK: 0,
  TRUNCATED: 1,
  MALFORMED: 2,
  UNSUPPORTED: 3,
  CHECKSUM: 4,
} as const;
export type Status = (typeof Status)[keyof typeof Status];

/** Stable error codes, one per subclass. */
export const WireErrorCode = {
  TRUNCATED: 'ERR_WIRE_TRUNCATED',
  MALFORMED: 'ERR_WIRE_MALFORMED',
  CHECKSUM: 'ERR_WIRE_CHECKSUM',
  UNSUPPORTED: 'ERR_WIRE_UNSUPPORTED',
  INVALID_ARGUMENT: 'ERR_WIRE_INVALID_ARGUMENT',
} as const;
export type WireErrorCode = (typeof WireErrorCode)[keyof typeof WireErrorCode];

/** Base class of every error this package throws. */
export class WireError extends Error {
  override readonly name: string = 'WireError';
  readonly code: WireErrorCode;
  /** Protocol layer that failed, e.g. `ipv4`. */
  readonly layer: string;

  constructor(code: WireErrorCode, layer: string, message: string) {
    super(`${layer}: ${message}`);
    this.code = code;
    this.layer = layer;
  }
}

/** The input ended before the structure did. `needed` says how many bytes it takes. */
export class TruncatedError extends WireError {
  override readonly name = 'TruncatedError';
  readonly needed: number;
  readonly available: number;

  constructor(layer: string, what: string, needed: number, available: number) {
    super(WireErrorCode.TRUNCATED, layer, `${what}: needs ${needed} bytes, ${available} available`);
    this.needed = needed;
    this.available = available;
  }
}

/** The bytes are all there but a field holds a value the protocol forbids. */
export class MalformedError extends WireError {
  override readonly name = 'MalformedError';
  readonly field: string;

  constructor(layer: string, field: string, detail: string) {
    super(WireErrorCode.MALFORMED, layer, `${field}: ${detail}`);
    this.field = field;
  }
}

/** A checksum does not verify. */
export class ChecksumError extends WireError {
  override readonly name = 'ChecksumError';

  constructor(layer: string, detail = 'checksum does not verify') {
    super(WireErrorCode.CHECKSUM, layer, detail);
  }
}

/** Well-formed, but a feature this package does not implement (e.g. IPv6 jumbograms). */
export class UnsupportedError extends WireError {
  override readonly name = 'UnsupportedError';

  constructor(layer: string, detail: string) {
    super(WireErrorCode.UNSUPPORTED, layer, detail);
  }
}

/** A caller passed a value that cannot be encoded (e.g. a port of 70000). */
export class InvalidArgumentError extends WireError {
  override readonly name = 'InvalidArgumentError';
  readonly field: string;

  constructor(layer: string, field: string, detail: string) {
    super(WireErrorCode.INVALID_ARGUMENT, layer, `${field}: ${detail}`);
    this.field = field;
  }
}

/** True when `[offset, offset + length)` is a whole-number range inside `bytes`. */
export function inRange(bytes: Uint8Array, offset: number, length: number): boolean {
  return offset >= 0 && length >= 0 && offset + length <= bytes.length && Number.isInteger(offset + length);
}

/** The error for a range `inRange` refused. */
export function rangeError(
  layer: string,
  bytes: Uint8Array,
  offset: number,
  length: number,
): InvalidArgumentError {
  return new InvalidArgumentError(
    layer,
    'range',
    `[${offset}, ${offset}+${length}) is outside a ${bytes.length}-byte array`,
  );
}

/** Range check for encoders: integers in [0, max]. */
export function assertUint(layer: string, field: string, value: number, max: number): void {
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new InvalidArgumentError(layer, field, `expected an integer in [0, ${max}], got ${String(value)}`);
  }
}
