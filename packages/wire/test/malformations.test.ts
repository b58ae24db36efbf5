/**
 * One test per malformation (STYLE.md, after smoltcp): each row corrupts a valid packet
 * in one way and names the error class and field it must produce.
 */
import { describe, expect, it } from 'vitest';
import {
  arp,
  ChecksumError,
  ethernet,
  icmpv4,
  icmpv6,
  ipv4,
  ipv6,
  MalformedError,
  readPcap,
  TruncatedError,
  tcp,
  UnsupportedError,
  udp,
  type WireError,
} from '../src/index.js';
import { hex } from './helpers.js';

const P4 = { version: 4 as const, source: 0x0a000001, destination: 0x0a000002 };
const P6 = { version: 6 as const, source: 0xfe80n << 112n, destination: 1n };

const tcpSyn = () =>
  tcp.encode(
    {
      sourcePort: 40000,
      destinationPort: 80,
      seq: 1,
      ack: 0,
      flags: 0x002,
      window: 64240,
      urgentPointer: 0,
      options: [
        { kind: 2, mss: 1460 },
        { kind: 4 },
        { kind: 8, tsval: 1, tsecr: 0 },
        { kind: 1 },
        { kind: 3, shift: 7 },
      ],
      payload: new Uint8Array(0),
    },
    undefined,
    0,
    { pseudo: P4 },
  );
const ipv4Base = (options = new Uint8Array(0)) =>
  ipv4.encode({
    dscp: 0,
    ecn: 0,
    identification: 7,
    dontFragment: true,
    moreFragments: false,
    fragmentOffset: 0,
    ttl: 64,
    protocol: 17,
    source: P4.source,
    destination: P4.destination,
    options,
    payload: Uint8Array.of(1, 2, 3, 4),
  });
const ipv6Base = (extensionHeaders: Array<{ type: number; body: Uint8Array }> = []) =>
  ipv6.encode({
    trafficClass: 0,
    flowLabel: 0,
    hopLimit: 64,
    source: P6.source,
    destination: P6.destination,
    extensionHeaders,
    protocol: 59,
    payload: new Uint8Array(8),
  });
const pad6 = () => new Uint8Array(6); // a PadN-free 8-byte options header body (all Pad1)
const ns = () =>
  icmpv6.encode(
    {
      kind: 'neighbor-solicitation',
      code: 0,
      target: 1n,
      options: [{ kind: 'source-link-layer-address', address: 0x020000000001 }],
    },
    undefined,
    0,
    { pseudo: P6 },
  );

type Row = {
  name: string;
  run: () => unknown;
  error: new (...args: never[]) => WireError;
  field?: string;
  message?: RegExp;
};

/** Applies `edit` to a copy of `bytes`. */
function edit(bytes: Uint8Array, f: (b: Uint8Array) => void): Uint8Array {
  const copy = bytes.slice();
  f(copy);
  return copy;
}

const rows: Row[] = [
  // Ethernet
  {
    name: 'ethernet: rejects a frame shorter than 14 bytes',
    run: () => ethernet.decode(new Uint8Array(13)),
    error: TruncatedError,
    field: 'header',
  },
  {
    name: 'ethernet: rejects an 802.1Q tag cut short',
    run: () => ethernet.decode(hex('ffffffffffff 020000000001 8100 0001')),
    error: TruncatedError,
  },
  // ARP
  {
    name: 'arp: rejects a header shorter than 8 bytes',
    run: () => arp.decode(new Uint8Array(7)),
    error: TruncatedError,
  },
  {
    name: 'arp: rejects addresses past the buffer',
    run: () => arp.decode(hex('0001 0800 06 04 0001 020000000001 0a000001 000000000000')),
    error: TruncatedError,
  },
  // IPv4
  {
    name: 'ipv4: rejects a buffer shorter than 20 bytes',
    run: () => ipv4.decode(new Uint8Array(19)),
    error: TruncatedError,
  },
  {
    name: 'ipv4: rejects version 6',
    run: () =>
      ipv4.decode(
        edit(ipv4Base(), (b) => {
          b[0] = 0x65;
        }),
      ),
    error: MalformedError,
    field: 'version',
  },
  {
    name: 'ipv4: rejects short ihl',
    run: () =>
      ipv4.decode(
        edit(ipv4Base(), (b) => {
          b[0] = 0x44;
        }),
      ),
    error: MalformedError,
    field: 'ihl',
  },
  {
    name: 'ipv4: rejects a header length beyond the buffer',
    run: () =>
      ipv4.decode(
        edit(ipv4Base(), (b) => {
          b[0] = 0x4f;
        }),
      ),
    error: TruncatedError,
  },
  {
    name: 'ipv4: rejects total length smaller than the header',
    run: () =>
      ipv4.decode(
        edit(ipv4Base(), (b) => {
          b[3] = 19;
        }),
      ),
    error: MalformedError,
    field: 'total length',
  },
  {
    name: 'ipv4: rejects total length beyond the buffer',
    run: () =>
      ipv4.decode(
        edit(ipv4Base(), (b) => {
          b[3] = 25;
        }),
      ),
    error: TruncatedError,
    field: 'total length',
  },
  {
    name: 'ipv4: rejects an option length of zero',
    run: () => ipv4.decode(ipv4Base(Uint8Array.of(7, 0, 0, 0)), 0, undefined, { verifyChecksums: false }),
    error: MalformedError,
    field: 'option length',
  },
  {
    name: 'ipv4: rejects an option length of one',
    run: () => ipv4.decode(ipv4Base(Uint8Array.of(7, 1, 0, 0))),
    error: MalformedError,
    field: 'option length',
  },
  {
    name: 'ipv4: rejects an option running past the header',
    run: () => ipv4.decode(ipv4Base(Uint8Array.of(7, 8, 0, 0))),
    error: MalformedError,
    field: 'option length',
  },
  {
    name: 'ipv4: rejects an option whose length octet is past the header',
    run: () => ipv4.decode(ipv4Base(Uint8Array.of(1, 1, 1, 7))),
    error: MalformedError,
    field: 'option length',
  },
  {
    name: 'ipv4: rejects a bad header checksum',
    run: () =>
      ipv4.decode(
        edit(ipv4Base(), (b) => {
          b[10]! ^= 1;
        }),
      ),
    error: ChecksumError,
  },
  // IPv6
  {
    name: 'ipv6: rejects a buffer shorter than 40 bytes',
    run: () => ipv6.decode(new Uint8Array(39)),
    error: TruncatedError,
  },
  {
    name: 'ipv6: rejects version 4',
    run: () =>
      ipv6.decode(
        edit(ipv6Base(), (b) => {
          b[0] = 0x40;
        }),
      ),
    error: MalformedError,
    field: 'version',
  },
  {
    name: 'ipv6: rejects a payload length beyond the buffer',
    run: () =>
      ipv6.decode(
        edit(ipv6Base(), (b) => {
          b[5] = 9;
        }),
      ),
    error: TruncatedError,
    field: 'payload length',
  },
  {
    name: 'ipv6: rejects an extension header past the payload',
    run: () =>
      ipv6.decode(
        edit(ipv6Base([{ type: 60, body: pad6() }]), (b) => {
          b[41] = 2;
        }),
      ),
    error: TruncatedError,
    field: 'extension header',
  },
  {
    name: 'ipv6: rejects a hop-by-hop header that is not first',
    run: () =>
      ipv6.decode(
        edit(
          ipv6Base([
            { type: 60, body: pad6() },
            { type: 60, body: pad6() },
          ]),
          (b) => {
            b[40] = 0;
          },
        ),
      ),
    error: MalformedError,
    field: 'hop-by-hop',
  },
  {
    name: 'ipv6: rejects two fragment headers',
    run: () =>
      ipv6.decode(
        ipv6Base([
          { type: 44, body: new Uint8Array(6) },
          { type: 44, body: new Uint8Array(6) },
        ]),
      ),
    error: MalformedError,
    field: 'fragment header',
  },
  {
    name: 'ipv6: refuses jumbograms as unsupported',
    run: () =>
      ipv6.decode(
        edit(ipv6Base([{ type: 0, body: pad6() }]), (b) => {
          b[5] = 0;
        }),
      ),
    error: UnsupportedError,
  },
  {
    name: 'ipv6: refuses more than 16 extension headers as unsupported',
    run: () => ipv6.decode(ipv6Base(Array.from({ length: 17 }, () => ({ type: 60, body: pad6() })))),
    error: UnsupportedError,
  },
  // TCP
  {
    name: 'tcp: rejects a buffer shorter than 20 bytes',
    run: () => tcp.decode(new Uint8Array(19)),
    error: TruncatedError,
  },
  {
    name: 'tcp: rejects a data offset below 5',
    run: () =>
      tcp.decode(
        edit(tcpSyn(), (b) => {
          b[12] = 0x40;
        }),
      ),
    error: MalformedError,
    field: 'data offset',
  },
  {
    name: 'tcp: rejects a header length beyond the buffer',
    run: () =>
      tcp.decode(
        edit(tcpSyn(), (b) => {
          b[12] = 0xf0;
        }),
      ),
    error: TruncatedError,
  },
  {
    name: 'tcp: rejects an option length of zero',
    run: () =>
      tcp.decode(
        edit(tcpSyn(), (b) => {
          b[21] = 0;
        }),
      ),
    error: MalformedError,
    field: 'option length',
  },
  {
    name: 'tcp: rejects an option running past the header',
    run: () =>
      tcp.decode(
        edit(tcpSyn(), (b) => {
          b[37] = 99;
          b[38] = 5;
        }),
      ),
    error: MalformedError,
    field: 'option length',
    message: /runs past the end of the header/,
  },
  {
    name: 'tcp: rejects an option whose length octet is past the header',
    run: () =>
      tcp.decode(
        edit(tcpSyn(), (b) => {
          b[36] = 1;
          b[37] = 1;
          b[38] = 1;
          b[39] = 2;
        }),
      ),
    error: MalformedError,
    field: 'option length',
  },
  {
    name: 'tcp: rejects a timestamps option of the wrong length',
    run: () =>
      tcp.decode(
        edit(tcpSyn(), (b) => {
          b[27] = 9;
        }),
      ),
    error: MalformedError,
    field: 'option length',
    message: /wrong length for a fixed-size option/,
  },
  {
    name: 'tcp: rejects an MSS option of the wrong length',
    run: () =>
      tcp.decode(
        edit(tcpSyn(), (b) => {
          b[21] = 3;
        }),
      ),
    error: MalformedError,
    field: 'option length',
  },
  {
    name: 'tcp: rejects a SACK option that is not 2 + 8n bytes',
    run: () =>
      tcp.decode(hex('9c40 0050 00000001 00000000 8010 faf0 0000 0000 050c 0000 0001 0000 0002 0000 0000')),
    error: MalformedError,
    field: 'sack',
  },
  {
    name: 'tcp: rejects an experimental option shorter than its ExID',
    run: () => tcp.decode(hex('9c40 0050 00000001 00000000 6010 faf0 0000 0000 fe03 0000')),
    error: MalformedError,
    field: 'experimental option',
  },
  {
    name: 'tcp: rejects a bad checksum',
    run: () =>
      tcp.decode(
        edit(tcpSyn(), (b) => {
          b[4]! ^= 1;
        }),
        0,
        undefined,
        { pseudo: P4 },
      ),
    error: ChecksumError,
  },
  // UDP
  {
    name: 'udp: rejects a buffer shorter than 8 bytes',
    run: () => udp.decode(new Uint8Array(7)),
    error: TruncatedError,
  },
  {
    name: 'udp: rejects a length below 8',
    run: () => udp.decode(hex('0035 0035 0007 0000')),
    error: MalformedError,
    field: 'length',
  },
  {
    name: 'udp: rejects a length beyond the buffer',
    run: () => udp.decode(hex('0035 0035 0009 0000')),
    error: TruncatedError,
    field: 'length',
  },
  {
    name: 'udp: rejects a zero checksum over IPv6 (RFC 8200 §8.1)',
    run: () => udp.decode(hex('0035 0035 0008 0000'), 0, undefined, { pseudo: P6 }),
    error: ChecksumError,
  },
  {
    name: 'udp: rejects a bad checksum',
    run: () => udp.decode(hex('0035 0035 0008 1234'), 0, undefined, { pseudo: P4 }),
    error: ChecksumError,
  },
  // ICMP
  {
    name: 'icmpv4: rejects a buffer shorter than 8 bytes',
    run: () => icmpv4.decode(new Uint8Array(7)),
    error: TruncatedError,
  },
  {
    name: 'icmpv4: rejects a bad checksum',
    run: () => icmpv4.decode(hex('0800 0000 0001 0001')),
    error: ChecksumError,
  },
  {
    name: 'icmpv6: rejects a buffer shorter than 8 bytes',
    run: () => icmpv6.decode(new Uint8Array(7)),
    error: TruncatedError,
  },
  {
    name: 'icmpv6: rejects a neighbor solicitation shorter than 24 bytes',
    run: () => icmpv6.decode(ns().subarray(0, 20)),
    error: TruncatedError,
  },
  {
    name: 'icmpv6: rejects a neighbor discovery option of length zero (RFC 4861 §4.6)',
    run: () =>
      icmpv6.decode(
        edit(ns(), (b) => {
          b[25] = 0;
        }),
      ),
    error: MalformedError,
    field: 'option length',
  },
  {
    name: 'icmpv6: rejects a neighbor discovery option past the message',
    run: () =>
      icmpv6.decode(
        edit(ns(), (b) => {
          b[25] = 2;
        }),
      ),
    error: TruncatedError,
  },
  {
    name: 'icmpv6: rejects a bad checksum',
    run: () =>
      icmpv6.decode(
        edit(ns(), (b) => {
          b[2]! ^= 1;
        }),
        0,
        undefined,
        { pseudo: P6 },
      ),
    error: ChecksumError,
  },
  // pcap files
  {
    name: 'pcap: rejects a file shorter than its header',
    run: () => readPcap(new Uint8Array(23)),
    error: TruncatedError,
  },
  {
    name: 'pcap: refuses pcapng as unsupported',
    run: () => readPcap(hex(`0a0d0d0a${'00'.repeat(20)}`)),
    error: UnsupportedError,
  },
  {
    name: 'pcap: rejects a record cut short',
    run: () =>
      readPcap(
        hex(
          `d4c3b2a1 0200 0400 00000000 00000000 ffff0000 01000000 00000000 00000000 0a000000 0a000000 0102`,
        ),
      ),
    error: TruncatedError,
  },
];

describe('malformations', () => {
  it.each(rows)('$name', ({ run, error, field, message }) => {
    let caught: unknown;
    try {
      run();
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(error);
    const e = caught as WireError & { field?: string };
    expect(e.code).toMatch(/^ERR_WIRE_/);
    expect(e.name).toBe(error.name);
    if (field !== undefined) expect(e.field ?? (e as TruncatedError).message).toContain(field);
    if (message !== undefined) expect(e.message).toMatch(message);
  });
});
