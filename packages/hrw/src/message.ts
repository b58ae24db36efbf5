/**
 * Flow-directory update messages: a batch of upserts and deletes from one balancer,
 * authenticated with HMAC-SHA256 under a cluster key and numbered with a 64-bit counter
 * against replay (DESIGN.md rule 5). All integers are big endian.
 *
 * Header (28 bytes):
 *   0 version (1)  1 type (1 = update)  2 key id (u16)  4 cluster id (u32)  8 sender id (u32)
 *   12 counter (u64)  20 epoch (u32)  24 entry count (u16)  26 reserved, zero (u16)
 * Entry (64 bytes), `count` of them:
 *   0 op (1 upsert, 2 delete)  1 flags (bit 0: backup present; others zero)  2 writer (u32)
 *   6 version (u64)  14 flow key (38 bytes, see flow-key.ts)  52 primary (u32)
 *   56 backup (u32; zero when absent)  60 server (u32)
 * Trailer: HMAC-SHA256 (32 bytes) over every byte before it, under key `key id`.
 *
 * A delete carries zero flags, primary, backup and server: one entry, one byte string.
 */
import {
  type AuthResult,
  HMAC_SHA256_LENGTH,
  InvalidArgumentError,
  type KeyRing,
  MalformedError,
  TruncatedError,
  UnsupportedError,
  WireError,
} from '@switchyard/wire';
import { FLOW_KEY_LENGTH, flowKey } from './flow-key.js';

const LAYER = 'hrw-directory';

export const DIRECTORY_MESSAGE_VERSION = 1;
export const DIRECTORY_MESSAGE_TYPE_UPDATE = 1;
export const DIRECTORY_HEADER_LENGTH = 28;
export const DIRECTORY_ENTRY_LENGTH = 64;
/** Entries per message: 28 + 1000·64 + 32 bytes fits one UDP datagram (65507 bytes). */
export const DIRECTORY_MAX_ENTRIES = 1000;

/** What an entry does to its flow. */
export const DirectoryOp = {
  UPSERT: 1,
  DELETE: 2,
} as const;
export type DirectoryOp = (typeof DirectoryOp)[keyof typeof DirectoryOp];

/** One flow's state as one writer set it at one version. */
export interface DirectoryEntry {
  readonly op: DirectoryOp;
  /** The flow's canonical 38-byte key (`flowKey.encode`). */
  readonly flow: Uint8Array;
  /** The writer's clock when it wrote this (u64); the higher version wins a merge. */
  readonly version: bigint;
  /** Node id of the balancer that wrote the entry (u32); breaks version ties. */
  readonly writer: number;
  /** Primary balancer id (u32); zero in a delete. */
  readonly primary: number;
  /** Backup balancer id, absent when there is none (and in a delete). */
  readonly backup: number | undefined;
  /** Server id the flow is forwarded to (u32); zero in a delete. */
  readonly server: number;
}

/** A decoded update message. */
export interface DirectoryMessage {
  readonly keyId: number;
  readonly clusterId: number;
  readonly senderId: number;
  readonly counter: bigint;
  /** The sender's membership epoch when it sent this. */
  readonly epoch: number;
  readonly entries: readonly DirectoryEntry[];
}

const U64_MAX = 0xffff_ffff_ffff_ffffn;

function u32(field: string, value: unknown): void {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 0xffff_ffff) {
    throw new InvalidArgumentError(LAYER, field, `expected an unsigned 32-bit integer, got ${String(value)}`);
  }
}

function u64(field: string, value: unknown): void {
  if (typeof value !== 'bigint' || value < 0n || value > U64_MAX) {
    throw new InvalidArgumentError(LAYER, field, `expected an unsigned 64-bit bigint, got ${String(value)}`);
  }
}

/** Checks an entry an encoder or a local writer is given; throws `InvalidArgumentError`. */
export function validateEntry(entry: DirectoryEntry, field = 'entry'): void {
  if (entry.op !== DirectoryOp.UPSERT && entry.op !== DirectoryOp.DELETE) {
    throw new InvalidArgumentError(LAYER, `${field}.op`, `unknown op ${String(entry.op)}`);
  }
  if (!(entry.flow instanceof Uint8Array) || entry.flow.length !== FLOW_KEY_LENGTH) {
    throw new InvalidArgumentError(LAYER, `${field}.flow`, `expected ${FLOW_KEY_LENGTH} bytes`);
  }
  try {
    flowKey.check(entry.flow);
  } catch (e) {
    throw new InvalidArgumentError(LAYER, `${field}.flow`, (e as Error).message);
  }
  u64(`${field}.version`, entry.version);
  u32(`${field}.writer`, entry.writer);
  u32(`${field}.primary`, entry.primary);
  u32(`${field}.server`, entry.server);
  if (entry.backup !== undefined) u32(`${field}.backup`, entry.backup);
  if (entry.op === DirectoryOp.DELETE) {
    if (entry.primary !== 0 || entry.server !== 0 || entry.backup !== undefined) {
      throw new InvalidArgumentError(LAYER, field, 'a delete carries no primary, backup or server');
    }
  } else if (entry.backup === entry.primary) {
    throw new InvalidArgumentError(LAYER, `${field}.backup`, 'the backup must differ from the primary');
  }
}

export const directoryMessage = {
  /** Bytes of a message with `entries` entries. */
  encodingLength(entries: number): number {
    return DIRECTORY_HEADER_LENGTH + entries * DIRECTORY_ENTRY_LENGTH + HMAC_SHA256_LENGTH;
  },

  /** Encodes and signs `message` with `message.keyId` (the ring's send key when absent). */
  encode(
    message: Omit<DirectoryMessage, 'keyId'> & { readonly keyId?: number },
    keyRing: KeyRing,
  ): Uint8Array {
    const keyId = message.keyId ?? keyRing.sendKeyId;
    if (!Number.isInteger(keyId) || keyId < 1 || keyId > 0xffff) {
      throw new InvalidArgumentError(LAYER, 'keyId', `expected 1..65535, got ${String(keyId)}`);
    }
    if (!keyRing.has(keyId)) throw new InvalidArgumentError(LAYER, 'keyId', `no key with id ${keyId}`);
    u32('clusterId', message.clusterId);
    u32('senderId', message.senderId);
    u64('counter', message.counter);
    u32('epoch', message.epoch);
    const entries = message.entries;
    if (!Array.isArray(entries) || entries.length > DIRECTORY_MAX_ENTRIES) {
      throw new InvalidArgumentError(LAYER, 'entries', `expected at most ${DIRECTORY_MAX_ENTRIES} entries`);
    }
    entries.forEach((e, i) => {
      validateEntry(e, `entries[${i}]`);
    });
    const out = new Uint8Array(directoryMessage.encodingLength(entries.length));
    const view = new DataView(out.buffer);
    out[0] = DIRECTORY_MESSAGE_VERSION;
    out[1] = DIRECTORY_MESSAGE_TYPE_UPDATE;
    view.setUint16(2, keyId);
    view.setUint32(4, message.clusterId);
    view.setUint32(8, message.senderId);
    view.setBigUint64(12, message.counter);
    view.setUint32(20, message.epoch);
    view.setUint16(24, entries.length);
    let at = DIRECTORY_HEADER_LENGTH;
    for (const e of entries) {
      out[at] = e.op;
      out[at + 1] = e.backup === undefined ? 0 : 1;
      view.setUint32(at + 2, e.writer);
      view.setBigUint64(at + 6, e.version);
      out.set(e.flow, at + 14);
      view.setUint32(at + 52, e.primary);
      view.setUint32(at + 56, e.backup ?? 0);
      view.setUint32(at + 60, e.server);
      at += DIRECTORY_ENTRY_LENGTH;
    }
    keyRing.sign(out.subarray(0, at), keyId, out, at);
    return out;
  },

  /**
   * Decodes the structure (no authentication: see `verify`). Throws `TruncatedError` when
   * bytes are missing, `MalformedError` for a field the format forbids, `UnsupportedError`
   * for another version or type.
   */
  decode(bytes: Uint8Array): { value: DirectoryMessage; tag: Uint8Array; bytesRead: number } {
    const count = checkFrame(bytes);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const entries: DirectoryEntry[] = [];
    let at = DIRECTORY_HEADER_LENGTH;
    for (let i = 0; i < count; i++, at += DIRECTORY_ENTRY_LENGTH) {
      const op = bytes[at]!;
      const flags = bytes[at + 1]!;
      if (op !== DirectoryOp.UPSERT && op !== DirectoryOp.DELETE) {
        throw new MalformedError(LAYER, `entries[${i}].op`, `unknown op ${op}`);
      }
      if ((flags & ~1) !== 0) throw new MalformedError(LAYER, `entries[${i}].flags`, 'reserved bits set');
      try {
        flowKey.check(bytes, at + 14);
      } catch (e) {
        const detail = e instanceof WireError ? e.message : String(e);
        throw new MalformedError(LAYER, `entries[${i}].flow`, detail);
      }
      const primary = view.getUint32(at + 52);
      const backupField = view.getUint32(at + 56);
      const server = view.getUint32(at + 60);
      if (op === DirectoryOp.DELETE && (flags !== 0 || primary !== 0 || backupField !== 0 || server !== 0)) {
        throw new MalformedError(LAYER, `entries[${i}]`, 'a delete carries no primary, backup or server');
      }
      if ((flags & 1) === 0 && backupField !== 0) {
        throw new MalformedError(LAYER, `entries[${i}].backup`, 'set without the backup flag');
      }
      if ((flags & 1) === 1 && backupField === primary) {
        throw new MalformedError(LAYER, `entries[${i}].backup`, 'equals the primary');
      }
      entries.push({
        op,
        flow: bytes.slice(at + 14, at + 14 + FLOW_KEY_LENGTH),
        version: view.getBigUint64(at + 6),
        writer: view.getUint32(at + 2),
        primary,
        backup: (flags & 1) === 1 ? backupField : undefined,
        server,
      });
    }
    return {
      value: {
        keyId: view.getUint16(2),
        clusterId: view.getUint32(4),
        senderId: view.getUint32(8),
        counter: view.getBigUint64(12),
        epoch: view.getUint32(20),
        entries,
      },
      tag: bytes.slice(at, at + HMAC_SHA256_LENGTH),
      bytesRead: at + HMAC_SHA256_LENGTH,
    };
  },

  /** Verifies the tag of a message whose frame is well formed (else throws like `decode`). */
  verify(bytes: Uint8Array, keyRing: KeyRing): AuthResult {
    checkFrame(bytes);
    const end = bytes.length - HMAC_SHA256_LENGTH;
    const keyId = (bytes[2]! << 8) | bytes[3]!;
    return keyRing.verify(bytes.subarray(0, end), keyId, bytes.subarray(end));
  },
} as const;

/** Checks version, type, reserved bits and the exact length; returns the entry count. */
function checkFrame(bytes: Uint8Array): number {
  if (!(bytes instanceof Uint8Array)) throw new InvalidArgumentError(LAYER, 'bytes', 'expected a Uint8Array');
  if (bytes.length < DIRECTORY_HEADER_LENGTH + HMAC_SHA256_LENGTH) {
    throw new TruncatedError(LAYER, 'message', DIRECTORY_HEADER_LENGTH + HMAC_SHA256_LENGTH, bytes.length);
  }
  if (bytes[0] !== DIRECTORY_MESSAGE_VERSION) throw new UnsupportedError(LAYER, `version ${bytes[0]}`);
  if (bytes[1] !== DIRECTORY_MESSAGE_TYPE_UPDATE)
    throw new UnsupportedError(LAYER, `message type ${bytes[1]}`);
  const keyId = (bytes[2]! << 8) | bytes[3]!;
  if (keyId === 0) throw new MalformedError(LAYER, 'keyId', 'key id 0 is reserved');
  const count = (bytes[24]! << 8) | bytes[25]!;
  if (bytes[26] !== 0 || bytes[27] !== 0) throw new MalformedError(LAYER, 'reserved', 'not zero');
  if (count > DIRECTORY_MAX_ENTRIES) {
    throw new MalformedError(LAYER, 'count', `at most ${DIRECTORY_MAX_ENTRIES} entries, got ${count}`);
  }
  const length = directoryMessage.encodingLength(count);
  if (bytes.length < length) throw new TruncatedError(LAYER, 'message', length, bytes.length);
  // A datagram holds one message: trailing bytes mean the count or the sender is wrong.
  if (bytes.length > length) {
    throw new MalformedError(LAYER, 'count', `${count} entries make ${length} bytes, got ${bytes.length}`);
  }
  return count;
}
