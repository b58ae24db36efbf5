/** Shared test helpers: the abstract-encoding round-trip check (STYLE.md) and hex parsing. */
import { expect } from 'vitest';
import type { Decoded } from '../src/index.js';

export { hex } from './fixtures/vectors.js';

export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

export interface ReprCodec<T> {
  encodingLength(value: T): number;
  encode(value: T, buf?: Uint8Array, offset?: number): Uint8Array;
  decode(buf: Uint8Array, offset?: number, end?: number): Decoded<T>;
}

/**
 * The shared round-trip check: bytes written equal `encodingLength` (0xa5 pre-fill shows
 * bytes the encoder forgot, and that nothing outside its range is touched), decode(encode(x))
 * equals x (after `normalize`), re-encoding is byte-identical, and encoding at offset 10
 * inside a larger buffer gives the same bytes (catches absolute-offset bugs).
 */
export function checkRoundTrip<T>(
  codec: ReprCodec<T>,
  value: T,
  normalize: (v: T) => unknown = (v) => v,
): Uint8Array {
  const len = codec.encodingLength(value);
  const plain = codec.encode(value);
  expect(plain.length).toBe(len);

  for (const fill of [0x00, 0xa5]) {
    const buf = new Uint8Array(len + 20).fill(fill);
    codec.encode(value, buf, 10);
    expect(toHex(buf.subarray(10, 10 + len))).toBe(toHex(plain));
    expect(buf.subarray(0, 10).every((b) => b === fill)).toBe(true);
    expect(buf.subarray(10 + len).every((b) => b === fill)).toBe(true);
    const inner = codec.decode(buf, 10, 10 + len);
    expect(inner.bytesRead).toBe(len);
  }

  const { value: decoded, bytesRead } = codec.decode(plain);
  expect(bytesRead).toBe(len);
  expect(normalize(decoded)).toEqual(normalize(value));
  expect(toHex(codec.encode(decoded))).toBe(toHex(plain));
  return plain;
}

/** Drops the decoded-only `checksum` field so reprs built by hand compare equal. */
export function withoutChecksum<T>(v: T): unknown {
  if (v === null || typeof v !== 'object') return v;
  const { checksum: _ignored, ...rest } = v as Record<string, unknown>;
  return rest;
}
