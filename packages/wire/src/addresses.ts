/**
 * Address types. A MAC is a 48-bit integer and an IPv4 address an unsigned 32-bit
 * integer, both plain numbers (exact in a double, usable as Map keys, compared with
 * `===`); an IPv6 address is a 128-bit `bigint`.
 */
import { InvalidArgumentError } from './errors.js';

const TWO_32 = 0x1_0000_0000;

/** A MAC address as a 48-bit unsigned integer. */
export type MacAddress = number;

const MAC_RE =
  /^([0-9a-f]{1,2})[:-]([0-9a-f]{1,2})[:-]([0-9a-f]{1,2})[:-]([0-9a-f]{1,2})[:-]([0-9a-f]{1,2})[:-]([0-9a-f]{1,2})$/i;

export const MacAddress = {
  BROADCAST: 0xffff_ffff_ffff as MacAddress,
  ZERO: 0 as MacAddress,

  /** Parses `aa:bb:cc:dd:ee:ff` (or with `-`); throws `InvalidArgumentError`. */
  parse(text: string): MacAddress {
    const m = MAC_RE.exec(text);
    if (m === null)
      throw new InvalidArgumentError('mac', 'address', `not a MAC address: ${JSON.stringify(text)}`);
    let value = 0;
    for (let i = 1; i <= 6; i++) value = value * 256 + Number.parseInt(m[i]!, 16);
    return value;
  },

  /** Formats as lower-case `aa:bb:cc:dd:ee:ff`. */
  format(mac: MacAddress): string {
    let out = '';
    for (let shift = 5; shift >= 0; shift--) {
      const byte = Math.floor(mac / 2 ** (8 * shift)) & 0xff;
      out += (shift === 5 ? '' : ':') + byte.toString(16).padStart(2, '0');
    }
    return out;
  },

  /** Reads six bytes at `offset`. */
  read(bytes: Uint8Array, offset: number): MacAddress {
    const hi = (bytes[offset]! << 8) | bytes[offset + 1]!;
    const lo =
      ((bytes[offset + 2]! << 24) |
        (bytes[offset + 3]! << 16) |
        (bytes[offset + 4]! << 8) |
        bytes[offset + 5]!) >>>
      0;
    return hi * TWO_32 + lo;
  },

  /** Writes six bytes at `offset`. */
  write(mac: MacAddress, bytes: Uint8Array, offset: number): void {
    const hi = Math.floor(mac / TWO_32);
    const lo = mac >>> 0;
    bytes[offset] = hi >>> 8;
    bytes[offset + 1] = hi;
    bytes[offset + 2] = lo >>> 24;
    bytes[offset + 3] = lo >>> 16;
    bytes[offset + 4] = lo >>> 8;
    bytes[offset + 5] = lo;
  },

  /** Six bytes, newly allocated. */
  toBytes(mac: MacAddress): Uint8Array {
    const out = new Uint8Array(6);
    MacAddress.write(mac, out, 0);
    return out;
  },

  /** I/G bit: group (multicast or broadcast) address (IEEE 802 §8.2). */
  isMulticast(mac: MacAddress): boolean {
    return (Math.floor(mac / 2 ** 40) & 0x01) !== 0;
  },

  isBroadcast(mac: MacAddress): boolean {
    return mac === 0xffff_ffff_ffff;
  },

  /** U/L bit: locally administered, not assigned by a vendor OUI. */
  isLocallyAdministered(mac: MacAddress): boolean {
    return (Math.floor(mac / 2 ** 40) & 0x02) !== 0;
  },

  isValid(mac: number): mac is MacAddress {
    return Number.isInteger(mac) && mac >= 0 && mac <= 0xffff_ffff_ffff;
  },
} as const;

/** An IPv4 address as an unsigned 32-bit integer. */
export type Ipv4Address = number;

export const Ipv4Address = {
  ANY: 0 as Ipv4Address,
  BROADCAST: 0xffff_ffff as Ipv4Address,

  /** Parses a dotted quad (exactly four decimal octets, no leading zeros); throws `InvalidArgumentError`. */
  parse(text: string): Ipv4Address {
    const parts = text.split('.');
    if (parts.length !== 4)
      throw new InvalidArgumentError('ipv4', 'address', `not a dotted quad: ${JSON.stringify(text)}`);
    let value = 0;
    for (const part of parts) {
      // Leading zeros are refused: some stacks read them as octal (RFC 6943 §3.1.1).
      if (!/^(0|[1-9][0-9]{0,2})$/.test(part) || Number(part) > 255) {
        throw new InvalidArgumentError('ipv4', 'address', `not a dotted quad: ${JSON.stringify(text)}`);
      }
      value = value * 256 + Number(part);
    }
    return value;
  },

  format(addr: Ipv4Address): string {
    return `${addr >>> 24}.${(addr >>> 16) & 0xff}.${(addr >>> 8) & 0xff}.${addr & 0xff}`;
  },

  read(bytes: Uint8Array, offset: number): Ipv4Address {
    return (
      ((bytes[offset]! << 24) |
        (bytes[offset + 1]! << 16) |
        (bytes[offset + 2]! << 8) |
        bytes[offset + 3]!) >>>
      0
    );
  },

  write(addr: Ipv4Address, bytes: Uint8Array, offset: number): void {
    bytes[offset] = addr >>> 24;
    bytes[offset + 1] = addr >>> 16;
    bytes[offset + 2] = addr >>> 8;
    bytes[offset + 3] = addr;
  },

  isMulticast(addr: Ipv4Address): boolean {
    return addr >>> 28 === 0xe;
  },

  isValid(addr: number): addr is Ipv4Address {
    return Number.isInteger(addr) && addr >= 0 && addr <= 0xffff_ffff;
  },
} as const;

/** An IPv6 address as a 128-bit unsigned bigint. */
export type Ipv6Address = bigint;

const MAX_V6 = (1n << 128n) - 1n;

export const Ipv6Address = {
  ANY: 0n as Ipv6Address,

  /** Parses RFC 4291 §2.2 text forms, including `::` and an embedded dotted quad. */
  parse(text: string): Ipv6Address {
    const fail = (): never => {
      throw new InvalidArgumentError('ipv6', 'address', `not an IPv6 address: ${JSON.stringify(text)}`);
    };
    let head = text;
    let tailWords: number[] = [];
    const v4 = /^(.*:)(\d+\.\d+\.\d+\.\d+)$/.exec(text);
    if (v4 !== null) {
      let quad = 0;
      try {
        quad = Ipv4Address.parse(v4[2]!);
      } catch {
        fail();
      }
      head = `${v4[1]!}0:0`;
      tailWords = [quad >>> 16, quad & 0xffff];
    }
    const halves = head.split('::');
    if (halves.length > 2) fail();
    const words = (s: string): number[] =>
      s === '' ? [] : s.split(':').map((w) => (/^[0-9a-f]{1,4}$/i.test(w) ? Number.parseInt(w, 16) : fail()));
    const left = words(halves[0]!);
    const right = halves.length === 2 ? words(halves[1]!) : [];
    const count = left.length + right.length;
    if (halves.length === 2 ? count > 7 : count !== 8) fail();
    const all = [...left, ...new Array<number>(8 - count).fill(0), ...right];
    if (tailWords.length === 2) {
      all[6] = tailWords[0]!;
      all[7] = tailWords[1]!;
    }
    let value = 0n;
    for (const w of all) value = (value << 16n) | BigInt(w);
    return value;
  },

  /** RFC 5952 canonical text: lower case, longest run of two or more zero words as `::`. */
  format(addr: Ipv6Address): string {
    // RFC 5952 §5: IPv4-mapped addresses keep the dotted quad.
    if (addr >> 32n === 0xffffn) return `::ffff:${Ipv4Address.format(Number(addr & 0xffff_ffffn))}`;
    const words: number[] = [];
    for (let i = 7; i >= 0; i--) words.push(Number((addr >> BigInt(16 * i)) & 0xffffn));
    let bestStart = -1;
    let bestLen = 1;
    for (let i = 0; i < 8; ) {
      if (words[i] !== 0) {
        i++;
        continue;
      }
      let j = i;
      while (j < 8 && words[j] === 0) j++;
      if (j - i > bestLen) {
        bestStart = i;
        bestLen = j - i;
      }
      i = j;
    }
    const hex = (ws: number[]) => ws.map((w) => w.toString(16)).join(':');
    if (bestStart < 0) return hex(words);
    return `${hex(words.slice(0, bestStart))}::${hex(words.slice(bestStart + bestLen))}`;
  },

  read(bytes: Uint8Array, offset: number): Ipv6Address {
    let value = 0n;
    for (let i = 0; i < 16; i += 4) {
      const word =
        ((bytes[offset + i]! << 24) |
          (bytes[offset + i + 1]! << 16) |
          (bytes[offset + i + 2]! << 8) |
          bytes[offset + i + 3]!) >>>
        0;
      value = (value << 32n) | BigInt(word);
    }
    return value;
  },

  write(addr: Ipv6Address, bytes: Uint8Array, offset: number): void {
    for (let i = 15; i >= 0; i--) {
      bytes[offset + i] = Number(addr & 0xffn);
      addr >>= 8n;
    }
  },

  toBytes(addr: Ipv6Address): Uint8Array {
    const out = new Uint8Array(16);
    Ipv6Address.write(addr, out, 0);
    return out;
  },

  isMulticast(addr: Ipv6Address): boolean {
    return addr >> 120n === 0xffn;
  },

  /** Solicited-node multicast address for `addr` (RFC 4291 §2.7.1). */
  solicitedNode(addr: Ipv6Address): Ipv6Address {
    return 0xff02_0000_0000_0000_0000_0001_ff00_0000n | (addr & 0xff_ffffn);
  },

  isValid(addr: bigint): addr is Ipv6Address {
    return addr >= 0n && addr <= MAX_V6;
  },
} as const;
