/**
 * The base of every zero-copy view. A view reads a protocol's fields in place through
 * one `DataView` that spans the backing `ArrayBuffer`; re-pointing the view at another
 * frame in the same buffer (a receive ring, a pooled buffer) allocates nothing.
 *
 * Construction is checked (`check` returns a status without throwing, `wrap` throws a
 * `WireError`), and every getter reads only bytes the check proved present, so no getter
 * throws afterwards.
 */
import {
  InvalidArgumentError,
  MalformedError,
  Status,
  TruncatedError,
  UnsupportedError,
  type WireError,
} from './errors.js';

const EMPTY = new Uint8Array(0);
const EMPTY_VIEW = new DataView(EMPTY.buffer);

export abstract class View {
  /** Protocol layer name used in errors, e.g. `ipv4`. */
  abstract readonly layer: string;

  /** The array this view was pointed at. */
  bytes: Uint8Array = EMPTY;
  /** Offset of this layer's first byte within `bytes`. */
  offset = 0;
  /** Bytes this layer spans after the check (header plus payload, without link padding). */
  length = 0;

  protected dv: DataView = EMPTY_VIEW;
  /** Absolute offset of the first byte within `dv`. */
  protected base = 0;

  // The last failure, kept as primitives so the non-throwing path allocates nothing.
  protected failStatus: Status = Status.OK;
  protected failField = '';
  protected failDetail = '';
  protected failNeeded = 0;

  /**
   * Points the view at `bytes[offset, offset + length)` and validates it. Returns
   * `Status.OK` or the reason it failed (see `error()`); never throws on bad data.
   */
  check(bytes: Uint8Array, offset = 0, length = bytes.length - offset): Status {
    if (
      !Number.isInteger(offset) ||
      !Number.isInteger(length) ||
      offset < 0 ||
      length < 0 ||
      offset + length > bytes.length
    ) {
      throw new InvalidArgumentError(
        this.layer,
        'range',
        `[${offset}, ${offset}+${length}) is outside a ${bytes.length}-byte array`,
      );
    }
    this.attach(bytes, offset, length);
    this.failStatus = Status.OK;
    return this.validate();
  }

  /** Like `check`, but throws the `WireError` on failure. */
  wrap(bytes: Uint8Array, offset = 0, length = bytes.length - offset): this {
    if (this.check(bytes, offset, length) !== Status.OK) throw this.error();
    return this;
  }

  /** The error for the last failed `check`. */
  error(): WireError {
    switch (this.failStatus) {
      case Status.TRUNCATED:
        return new TruncatedError(this.layer, this.failField, this.failNeeded, this.length);
      case Status.UNSUPPORTED:
        return new UnsupportedError(this.layer, `${this.failField}: ${this.failDetail}`);
      default:
        return new MalformedError(this.layer, this.failField, this.failDetail);
    }
  }

  /** The layer's bytes as a subarray (allocates a view object; not for the hot path). */
  slice(): Uint8Array {
    return this.bytes.subarray(this.offset, this.offset + this.length);
  }

  /** Validates the attached bytes and may shrink `length` to the layer's own length. */
  protected abstract validate(): Status;

  /** Points the view at the bytes without validating them. */
  protected attach(bytes: Uint8Array, offset: number, length: number): void {
    if (bytes.buffer !== this.dv.buffer) this.dv = new DataView(bytes.buffer);
    this.bytes = bytes;
    this.offset = offset;
    this.length = length;
    this.base = bytes.byteOffset + offset;
  }

  protected truncated(field: string, needed: number): Status {
    this.failStatus = Status.TRUNCATED;
    this.failField = field;
    this.failNeeded = needed;
    return Status.TRUNCATED;
  }

  protected malformed(field: string, detail: string): Status {
    this.failStatus = Status.MALFORMED;
    this.failField = field;
    this.failDetail = detail;
    return Status.MALFORMED;
  }

  protected unsupported(field: string, detail: string): Status {
    this.failStatus = Status.UNSUPPORTED;
    this.failField = field;
    this.failDetail = detail;
    return Status.UNSUPPORTED;
  }
}

/** Result of a `decode`: the value and how many bytes it took. */
export interface Decoded<T> {
  value: T;
  bytesRead: number;
}

/** Options shared by the repr encoders. */
export interface EncodeOptions {
  /** Compute checksums (default). With `false`, write the repr's `checksum` as given: emit exactly what you were told. */
  computeChecksums?: boolean;
}

/** Options shared by the repr decoders. */
export interface DecodeOptions {
  /** Verify checksums and throw `ChecksumError` on mismatch (default true). */
  verifyChecksums?: boolean;
}
