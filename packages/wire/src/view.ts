/**
 * The base of every zero-copy view. A view reads a protocol's fields in place through one
 * `DataView` over the array it was given; re-pointing it at another frame of the same
 * array (a receive ring, a pooled buffer) allocates nothing.
 *
 * Construction is checked (`check` returns a status without throwing, `wrap` throws a
 * `WireError`), and every getter reads only bytes the check proved present, so no getter
 * throws afterwards.
 *
 * Getters and `validate` use numeric field offsets, naming the `...Field` constant in a
 * comment: in optimized code every use of a module-level constant object costs V8 a cell
 * load, a hole check and a map check, several times the cost of the read itself.
 */
import {
  inRange,
  MalformedError,
  rangeError,
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

  /** One DataView over exactly `bytes` (its byteOffset and byteLength), rebuilt only when `bytes` changes. */
  protected dv: DataView = EMPTY_VIEW;

  // The last failure, kept as primitives so the non-throwing path allocates nothing.
  protected failStatus: Status = Status.OK;
  protected failField = '';
  protected failDetail = '';
  protected failNeeded = 0;

  /**
   * Points the view at `bytes[offset, offset + length)` and validates it. Returns
   * `Status.OK` or the reason it failed (see `error()`); never throws on bad data.
   * Pointing at another frame of the same array (a receive ring) allocates nothing.
   */
  check(bytes: Uint8Array, offset = 0, length = bytes.length - offset): Status {
    if (!inRange(bytes, offset, length)) throw rangeError(this.layer, bytes, offset, length);
    if (bytes !== this.bytes) this.rebind(bytes);
    this.offset = offset;
    this.length = length;
    return this.validate();
  }

  /** Like `check`, but throws the `WireError` on failure. */
  wrap(bytes: Uint8Array, offset = 0, length = bytes.length - offset): this {
    if (this.check(bytes, offset, length) !== Status.OK) throw this.error();
    return this;
  }

  /**
   * Validates the bytes the view points at now, and may shrink `length` to the layer's own
   * length (dropping link padding). `check` calls it; `decodeFrame` calls it directly.
   */
  abstract validate(): Status;

  /** Binds the view to another array: the only place a DataView is created. */
  rebind(bytes: Uint8Array): void {
    this.bytes = bytes;
    this.dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
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
