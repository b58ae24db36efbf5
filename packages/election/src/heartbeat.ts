/**
 * The heartbeat message: Ethernet II, EtherType 0x88B5 (IEEE 802 local experimental 1),
 * big-endian, authenticated with HMAC-SHA256 over every byte before the tag.
 *
 * ```
 *  0      version (1)          u8     1      flags                u8
 *  2      key id               u16    4      cluster id           u32
 *  8      node id (1..)        u32   12      real MAC             6 bytes
 * 18      real IP family (4|6) u8    19      claim count (<= 40)  u8
 * 20      real IP              16 bytes (IPv4: first 4 bytes, the rest zero)
 * 36      boot id              u32   40      counter              u64
 * 48      interval (µs, >= 1)  u32   52      solicit (node id)    u32
 * 56      load count (<= 8)    u8    57      reserved             3 bytes (sent as 0)
 * 60      claims, 32 bytes each:
 *           0 family (4|6) u8, 1 role u8, 2 reserved u16, 4 term u32, 8 metric u32,
 *          12 tiebreak u32, 16 VIP address 16 bytes (IPv4: first 4 bytes, the rest zero)
 *  ..     loads, u32 each
 *  ..     HMAC-SHA256 tag      32 bytes, over bytes [0, tag)
 * ```
 */
import {
  type AuthResult,
  assertUint,
  type Decoded,
  HMAC_SHA256_LENGTH,
  InvalidArgumentError,
  Ipv4Address,
  Ipv6Address,
  type KeyRing,
  MacAddress,
  type Status,
  View,
} from '@switchyard/wire';
import { IpAddress } from './ip.js';

/** Heartbeats travel on the IEEE 802 local experimental EtherType 1 (IEEE Std 802, §9.2.2). */
export const HEARTBEAT_ETHERTYPE = 0x88b5;
export const HEARTBEAT_VERSION = 1;
export const HEARTBEAT_HEADER_LENGTH = 60;
export const HEARTBEAT_CLAIM_LENGTH = 32;
/** 40 claims, 8 loads and the tag still fit a 1500-byte MTU: 60 + 40 x 32 + 8 x 4 + 32 = 1404. */
export const HEARTBEAT_MAX_CLAIMS = 40;
export const HEARTBEAT_MAX_LOADS = 8;

/** Field offsets of the fixed header. */
export const HeartbeatField = {
  VERSION: 0,
  FLAGS: 1,
  KEY_ID: 2,
  CLUSTER_ID: 4,
  NODE_ID: 8,
  MAC: 12,
  IP_FAMILY: 18,
  CLAIM_COUNT: 19,
  IP: 20,
  BOOT_ID: 36,
  COUNTER: 40,
  INTERVAL: 48,
  SOLICIT: 52,
  LOAD_COUNT: 56,
  CLAIMS: 60,
} as const;

/** Field offsets inside one claim. */
export const ClaimField = {
  FAMILY: 0,
  ROLE: 1,
  TERM: 4,
  METRIC: 8,
  TIEBREAK: 12,
  ADDRESS: 16,
} as const;

/** Header flags. Unknown bits round-trip. */
export const HeartbeatFlag = {
  /** The sender is stopping: it has released every VIP and leaves the membership now. */
  STOPPING: 0x01,
} as const;

/** A node's role for one VIP. */
export const Role = {
  /** Just started: listening before it decides. */
  INIT: 0,
  /** Not active: drops new connections to the VIP, keeps serving established ones. */
  PASSIVE: 1,
  /** Takes new connections for the VIP. */
  ACTIVE: 2,
} as const;
export type Role = (typeof Role)[keyof typeof Role];

export function roleName(role: Role): 'INIT' | 'PASSIVE' | 'ACTIVE' {
  return role === Role.ACTIVE ? 'ACTIVE' : role === Role.PASSIVE ? 'PASSIVE' : 'INIT';
}

/** One node's claim for one VIP. */
export interface VipClaim {
  vip: IpAddress;
  role: Role;
  /** The highest term the sender knows for this VIP (its own when active). */
  term: number;
  /** Lower is better. */
  metric: number;
  /** Breaks metric ties before the node id (0, or a rendezvous score when spreading). Lower is better. */
  tiebreak: number;
}

export interface HeartbeatRepr {
  flags: number;
  /** The key the tag is computed with (1..65535). */
  keyId: number;
  clusterId: number;
  /** 1..2^32-1. */
  nodeId: number;
  /** The sender's real MAC (never the virtual MAC). */
  mac: MacAddress;
  /** The sender's real IP address. */
  ip: IpAddress;
  /** Random per boot: a new one means the node restarted. */
  bootId: number;
  /** Monotonic, also across restarts (see the README); the anti-replay sequence. */
  counter: bigint;
  /** The sender's heartbeat interval in microseconds (receivers derive its dead interval). */
  intervalUs: number;
  /** A node asked to send a heartbeat at once (0 = none). */
  solicit: number;
  claims: VipClaim[];
  /** Load figures the host supplied (u32 each). */
  loads: number[];
  /** The HMAC-SHA256 tag (32 bytes). */
  tag: Uint8Array;
}

const TWO_32 = 0x1_0000_0000;

function zeroes(bytes: Uint8Array, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (bytes[i] !== 0) return false;
  return true;
}

/** A zero-copy view of a heartbeat message (the Ethernet payload). */
export class HeartbeatMessage extends View {
  readonly layer = 'heartbeat';

  validate(): Status {
    const o = this.offset;
    const b = this.bytes;
    if (this.length < HEARTBEAT_HEADER_LENGTH) return this.truncated('header', HEARTBEAT_HEADER_LENGTH);
    const version = b[o]!;
    if (version !== HEARTBEAT_VERSION) return this.unsupported('version', `version ${version}`);
    if (this.dv.getUint32(o + 8) === 0) return this.malformed('nodeId', 'node id 0 is reserved');
    const family = b[o + 18]!;
    if (family !== 4 && family !== 6) return this.malformed('ipFamily', `not 4 or 6: ${family}`);
    if (family === 4 && !zeroes(b, o + 24, o + 36))
      return this.malformed('ip', 'bytes after an IPv4 address must be zero');
    if (this.dv.getUint32(o + 48) === 0) return this.malformed('interval', 'must be at least 1 µs');
    const claims = b[o + 19]!;
    if (claims > HEARTBEAT_MAX_CLAIMS)
      return this.malformed('claimCount', `${claims} > ${HEARTBEAT_MAX_CLAIMS}`);
    const loads = b[o + 56]!;
    if (loads > HEARTBEAT_MAX_LOADS) return this.malformed('loadCount', `${loads} > ${HEARTBEAT_MAX_LOADS}`);
    const total = HEARTBEAT_HEADER_LENGTH + claims * HEARTBEAT_CLAIM_LENGTH + loads * 4 + HMAC_SHA256_LENGTH;
    if (total > this.length) return this.truncated('message', total);
    for (let i = 0; i < claims; i++) {
      const c = o + HEARTBEAT_HEADER_LENGTH + i * HEARTBEAT_CLAIM_LENGTH;
      const f = b[c]!;
      if (f !== 4 && f !== 6) return this.malformed('claim.family', `not 4 or 6: ${f}`);
      if (f === 4 && !zeroes(b, c + 20, c + 32))
        return this.malformed('claim.vip', 'bytes after an IPv4 address must be zero');
      if (b[c + 1]! > Role.ACTIVE) return this.malformed('claim.role', `unknown role ${b[c + 1]!}`);
    }
    this.length = total; // drop link padding
    return 0;
  }

  get version(): number {
    return this.bytes[this.offset]!; // HeartbeatField.VERSION
  }
  get flags(): number {
    return this.bytes[this.offset + 1]!; // HeartbeatField.FLAGS
  }
  set flags(value: number) {
    this.bytes[this.offset + 1] = value; // HeartbeatField.FLAGS
  }
  get isStopping(): boolean {
    return (this.flags & HeartbeatFlag.STOPPING) !== 0;
  }
  get keyId(): number {
    return this.dv.getUint16(this.offset + 2); // HeartbeatField.KEY_ID
  }
  get clusterId(): number {
    return this.dv.getUint32(this.offset + 4); // HeartbeatField.CLUSTER_ID
  }
  get nodeId(): number {
    return this.dv.getUint32(this.offset + 8); // HeartbeatField.NODE_ID
  }
  get mac(): MacAddress {
    return this.dv.getUint16(this.offset + 12) * TWO_32 + this.dv.getUint32(this.offset + 14); // HeartbeatField.MAC
  }
  get ip(): IpAddress {
    return readIp(this.bytes, this.bytes[this.offset + 18]!, this.offset + 20); // HeartbeatField.IP
  }
  get bootId(): number {
    return this.dv.getUint32(this.offset + 36); // HeartbeatField.BOOT_ID
  }
  get counter(): bigint {
    return this.dv.getBigUint64(this.offset + 40); // HeartbeatField.COUNTER
  }
  set counter(value: bigint) {
    this.dv.setBigUint64(this.offset + 40, value); // HeartbeatField.COUNTER
  }
  get intervalUs(): number {
    return this.dv.getUint32(this.offset + 48); // HeartbeatField.INTERVAL
  }
  get solicit(): number {
    return this.dv.getUint32(this.offset + 52); // HeartbeatField.SOLICIT
  }
  get claimCount(): number {
    return this.bytes[this.offset + 19]!; // HeartbeatField.CLAIM_COUNT
  }
  get loadCount(): number {
    return this.bytes[this.offset + 56]!; // HeartbeatField.LOAD_COUNT
  }

  /** Offset of claim `i` in `bytes`; the caller keeps `i < claimCount`. */
  claimOffset(i: number): number {
    return this.offset + HEARTBEAT_HEADER_LENGTH + i * HEARTBEAT_CLAIM_LENGTH;
  }
  claimRole(i: number): Role {
    return this.bytes[this.claimOffset(i) + 1]! as Role; // ClaimField.ROLE, checked <= ACTIVE
  }
  claimTerm(i: number): number {
    return this.dv.getUint32(this.claimOffset(i) + 4); // ClaimField.TERM
  }
  claimMetric(i: number): number {
    return this.dv.getUint32(this.claimOffset(i) + 8); // ClaimField.METRIC
  }
  claimTiebreak(i: number): number {
    return this.dv.getUint32(this.claimOffset(i) + 12); // ClaimField.TIEBREAK
  }
  claimVip(i: number): IpAddress {
    const c = this.claimOffset(i);
    return readIp(this.bytes, this.bytes[c]!, c + 16); // ClaimField.FAMILY, ClaimField.ADDRESS
  }
  claim(i: number): VipClaim {
    return {
      vip: this.claimVip(i),
      role: this.claimRole(i),
      term: this.claimTerm(i),
      metric: this.claimMetric(i),
      tiebreak: this.claimTiebreak(i),
    };
  }
  load(i: number): number {
    return this.dv.getUint32(
      this.offset + HEARTBEAT_HEADER_LENGTH + this.claimCount * HEARTBEAT_CLAIM_LENGTH + i * 4,
    );
  }

  /** Bytes covered by the tag. */
  get signedLength(): number {
    return this.length - HMAC_SHA256_LENGTH;
  }
  /** The 32-byte tag, in place. */
  tag(): Uint8Array {
    const end = this.offset + this.length;
    return this.bytes.subarray(end - HMAC_SHA256_LENGTH, end);
  }

  /** Writes the tag with the key the message names. Throws `InvalidArgumentError` for a key not in `keys`. */
  sign(keys: KeyRing): void {
    const start = this.offset;
    keys.sign(
      this.bytes.subarray(start, start + this.signedLength),
      this.keyId,
      this.bytes,
      start + this.signedLength,
    );
  }

  /** Verifies the tag in constant time (DESIGN.md rule 5). */
  verify(keys: KeyRing): AuthResult {
    const start = this.offset;
    return keys.verify(this.bytes.subarray(start, start + this.signedLength), this.keyId, this.tag());
  }
}

function readIp(bytes: Uint8Array, family: number, offset: number): IpAddress {
  return family === 4
    ? { version: 4, address: Ipv4Address.read(bytes, offset) }
    : { version: 6, address: Ipv6Address.read(bytes, offset) };
}

function writeIp(layer: string, field: string, ip: IpAddress, bytes: Uint8Array, offset: number): number {
  if (!IpAddress.isValid(ip)) throw new InvalidArgumentError(layer, field, 'not an IPv4 or IPv6 address');
  bytes.fill(0, offset, offset + 16);
  if (ip.version === 4) Ipv4Address.write(ip.address, bytes, offset);
  else Ipv6Address.write(ip.address, bytes, offset);
  return ip.version;
}

const scratch = new HeartbeatMessage();
const L = 'heartbeat';

export const heartbeat = {
  encodingLength(repr: Pick<HeartbeatRepr, 'claims' | 'loads'>): number {
    return (
      HEARTBEAT_HEADER_LENGTH +
      repr.claims.length * HEARTBEAT_CLAIM_LENGTH +
      repr.loads.length * 4 +
      HMAC_SHA256_LENGTH
    );
  },

  /** Writes `repr` as is, `repr.tag` included (see `seal` to sign). Throws `InvalidArgumentError`. */
  encode(repr: HeartbeatRepr, buf?: Uint8Array, offset = 0): Uint8Array {
    assertUint(L, 'flags', repr.flags, 0xff);
    assertUint(L, 'keyId', repr.keyId, 0xffff);
    assertUint(L, 'clusterId', repr.clusterId, 0xffff_ffff);
    assertUint(L, 'nodeId', repr.nodeId, 0xffff_ffff);
    if (repr.nodeId === 0) throw new InvalidArgumentError(L, 'nodeId', 'node id 0 is reserved');
    if (!MacAddress.isValid(repr.mac)) throw new InvalidArgumentError(L, 'mac', 'not a 48-bit MAC');
    assertUint(L, 'bootId', repr.bootId, 0xffff_ffff);
    if (typeof repr.counter !== 'bigint' || repr.counter < 0n || repr.counter > 0xffff_ffff_ffff_ffffn)
      throw new InvalidArgumentError(L, 'counter', 'expected an unsigned 64-bit bigint');
    assertUint(L, 'intervalUs', repr.intervalUs, 0xffff_ffff);
    if (repr.intervalUs === 0) throw new InvalidArgumentError(L, 'intervalUs', 'must be at least 1 µs');
    assertUint(L, 'solicit', repr.solicit, 0xffff_ffff);
    if (repr.claims.length > HEARTBEAT_MAX_CLAIMS)
      throw new InvalidArgumentError(L, 'claims', `at most ${HEARTBEAT_MAX_CLAIMS}`);
    if (repr.loads.length > HEARTBEAT_MAX_LOADS)
      throw new InvalidArgumentError(L, 'loads', `at most ${HEARTBEAT_MAX_LOADS}`);
    if (!(repr.tag instanceof Uint8Array) || repr.tag.length !== HMAC_SHA256_LENGTH)
      throw new InvalidArgumentError(L, 'tag', `must be ${HMAC_SHA256_LENGTH} bytes`);
    const len = heartbeat.encodingLength(repr);
    const out = buf ?? new Uint8Array(len);
    if (!Number.isInteger(offset) || offset < 0 || offset + len > out.length)
      throw new InvalidArgumentError(L, 'buffer', `needs ${len} bytes at ${offset}`);
    const dv = new DataView(out.buffer, out.byteOffset + offset, len);
    dv.setUint8(0, HEARTBEAT_VERSION);
    dv.setUint8(1, repr.flags);
    dv.setUint16(2, repr.keyId);
    dv.setUint32(4, repr.clusterId);
    dv.setUint32(8, repr.nodeId);
    MacAddress.write(repr.mac, out, offset + 12);
    dv.setUint8(18, writeIp(L, 'ip', repr.ip, out, offset + 20));
    dv.setUint8(19, repr.claims.length);
    dv.setUint32(36, repr.bootId);
    dv.setBigUint64(40, repr.counter);
    dv.setUint32(48, repr.intervalUs);
    dv.setUint32(52, repr.solicit);
    dv.setUint8(56, repr.loads.length);
    dv.setUint8(57, 0);
    dv.setUint16(58, 0);
    let pos = HEARTBEAT_HEADER_LENGTH;
    for (const c of repr.claims) {
      if (c.role !== Role.INIT && c.role !== Role.PASSIVE && c.role !== Role.ACTIVE)
        throw new InvalidArgumentError(L, 'claims.role', `unknown role ${String(c.role)}`);
      assertUint(L, 'claims.term', c.term, 0xffff_ffff);
      assertUint(L, 'claims.metric', c.metric, 0xffff_ffff);
      assertUint(L, 'claims.tiebreak', c.tiebreak, 0xffff_ffff);
      dv.setUint8(pos, writeIp(L, 'claims.vip', c.vip, out, offset + pos + 16));
      dv.setUint8(pos + 1, c.role);
      dv.setUint16(pos + 2, 0);
      dv.setUint32(pos + 4, c.term);
      dv.setUint32(pos + 8, c.metric);
      dv.setUint32(pos + 12, c.tiebreak);
      pos += HEARTBEAT_CLAIM_LENGTH;
    }
    for (const load of repr.loads) {
      assertUint(L, 'loads', load, 0xffff_ffff);
      dv.setUint32(pos, load);
      pos += 4;
    }
    out.set(repr.tag, offset + pos);
    return out;
  },

  /** Encodes and signs with `keys` (the tag in `repr` is ignored; `repr.keyId` names the key). */
  seal(repr: Omit<HeartbeatRepr, 'tag'>, keys: KeyRing, buf?: Uint8Array, offset = 0): Uint8Array {
    const out = heartbeat.encode({ ...repr, tag: new Uint8Array(HMAC_SHA256_LENGTH) }, buf, offset);
    scratch.wrap(out, offset, heartbeat.encodingLength(repr)).sign(keys);
    return out;
  },

  /** Decodes without authenticating (verify with `HeartbeatMessage.verify`). Throws a `WireError`. */
  decode(buf: Uint8Array, offset = 0, end = buf.length): Decoded<HeartbeatRepr> {
    const m = scratch.wrap(buf, offset, end - offset);
    const claims: VipClaim[] = [];
    for (let i = 0; i < m.claimCount; i++) claims.push(m.claim(i));
    const loads: number[] = [];
    for (let i = 0; i < m.loadCount; i++) loads.push(m.load(i));
    return {
      value: {
        flags: m.flags,
        keyId: m.keyId,
        clusterId: m.clusterId,
        nodeId: m.nodeId,
        mac: m.mac,
        ip: m.ip,
        bootId: m.bootId,
        counter: m.counter,
        intervalUs: m.intervalUs,
        solicit: m.solicit,
        claims,
        loads,
        tag: m.tag().slice(),
      },
      bytesRead: m.length,
    };
  },
} as const;

/**
 * The Ethernet destination of a cluster's heartbeats: `03:79:` followed by the cluster id.
 * 0x03 sets the I/G bit (group) and the U/L bit (locally administered, IEEE 802 §8.2), so it
 * can never be a vendor's address or the unicast virtual MAC; switches flood it like any
 * multicast, and NICs of hosts outside the cluster can filter it in hardware, which a
 * broadcast would not allow. 0x79 is `y`, for Switchyard.
 */
export function heartbeatGroupMac(clusterId: number): MacAddress {
  assertUint('election', 'clusterId', clusterId, 0xffff_ffff);
  return 0x0379 * TWO_32 + clusterId;
}
