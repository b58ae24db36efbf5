/** Argument checks shared by the modules; each throws `InvalidArgumentError` from wire. */
import { InvalidArgumentError } from '@switchyard/wire';

/** Throws unless `[offset, offset + length)` is a whole-number range inside `bytes`. */
export function checkRange(layer: string, bytes: Uint8Array, offset: number, length: number): void {
  if (
    !Number.isInteger(offset) ||
    !Number.isInteger(length) ||
    offset < 0 ||
    length < 0 ||
    offset + length > bytes.length
  ) {
    throw new InvalidArgumentError(
      layer,
      'range',
      `[${offset}, ${offset}+${length}) is outside a ${bytes.length}-byte array`,
    );
  }
}

/** Throws unless `value` is an integer in `[min, max]`. */
export function checkInteger(layer: string, field: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new InvalidArgumentError(
      layer,
      field,
      `expected an integer in [${min}, ${max}], got ${String(value)}`,
    );
  }
}
