/** Encoders refuse values they cannot encode with an InvalidArgumentError naming the field. */
import { describe, expect, it } from 'vitest';
import {
  arp,
  assertUint,
  ethernet,
  InvalidArgumentError,
  icmpv4,
  icmpv6,
  ipv4,
  ipv6,
  PcapWriter,
  tcp,
  udp,
  WireError,
} from '../src/index.js';

const P4 = { pseudo: { version: 4 as const, source: 1, destination: 2 } };
const P6 = { pseudo: { version: 6 as const, source: 1n, destination: 2n } };
const empty = new Uint8Array(0);
const eth = { destination: 1, source: 2, tags: [], etherType: 0x0800, payload: empty };
const ip4 = {
  dscp: 0,
  ecn: 0,
  identification: 0,
  dontFragment: false,
  moreFragments: false,
  fragmentOffset: 0,
  ttl: 64,
  protocol: 6,
  source: 1,
  destination: 2,
  options: empty,
  payload: empty,
};
const ip6 = {
  trafficClass: 0,
  flowLabel: 0,
  hopLimit: 64,
  source: 1n,
  destination: 2n,
  extensionHeaders: [],
  protocol: 59,
  payload: empty,
};
const seg = {
  sourcePort: 1,
  destinationPort: 2,
  seq: 0,
  ack: 0,
  flags: 2,
  window: 0,
  urgentPointer: 0,
  options: [],
  payload: empty,
};
const arpE = {
  kind: 'ethernet-ipv4' as const,
  operation: 1,
  senderHardwareAddress: 1,
  senderProtocolAddress: 1,
  targetHardwareAddress: 0,
  targetProtocolAddress: 2,
};
const arpRaw = {
  kind: 'raw' as const,
  hardwareType: 6,
  protocolType: 0x0800,
  operation: 1,
  senderHardwareAddress: new Uint8Array(6),
  senderProtocolAddress: new Uint8Array(4),
  targetHardwareAddress: new Uint8Array(6),
  targetProtocolAddress: new Uint8Array(4),
};
const ns = { kind: 'neighbor-solicitation' as const, code: 0, target: 1n, options: [] };

const rows: Array<[string, () => unknown, string]> = [
  [
    'ethernet destination beyond 48 bits',
    () => ethernet.encode({ ...eth, destination: 2 ** 48 }),
    'destination',
  ],
  ['ethernet source not an integer', () => ethernet.encode({ ...eth, source: 1.5 }), 'source'],
  ['ethernet buffer too small', () => ethernet.encode(eth, new Uint8Array(13)), 'buffer'],
  [
    'ethernet tag with a non-tag TPID',
    () => ethernet.encode({ ...eth, tags: [{ tpid: 0x0800, pcp: 0, dei: false, vid: 1 }] }),
    'tags.tpid',
  ],
  [
    'ethernet tag VID beyond 4095',
    () => ethernet.encode({ ...eth, tags: [{ tpid: 0x8100, pcp: 0, dei: false, vid: 4096 }] }),
    'tags.vid',
  ],
  [
    'ethernet EtherType that is a tag TPID',
    () => ethernet.encode({ ...eth, etherType: 0x8100 }),
    'etherType',
  ],
  ['arp buffer too small', () => arp.encode(arpE, new Uint8Array(27)), 'buffer'],
  [
    'arp sender MAC beyond 48 bits',
    () => arp.encode({ ...arpE, senderHardwareAddress: -1 }),
    'senderHardwareAddress',
  ],
  [
    'arp target IP beyond 32 bits',
    () => arp.encode({ ...arpE, targetProtocolAddress: 2 ** 32 }),
    'targetProtocolAddress',
  ],
  [
    'arp raw hardware lengths that differ',
    () => arp.encode({ ...arpRaw, targetHardwareAddress: new Uint8Array(5) }),
    'targetHardwareAddress',
  ],
  [
    'arp raw protocol lengths that differ',
    () => arp.encode({ ...arpRaw, targetProtocolAddress: new Uint8Array(3) }),
    'targetProtocolAddress',
  ],
  ['ipv4 options not a multiple of 4', () => ipv4.encode({ ...ip4, options: new Uint8Array(3) }), 'options'],
  ['ipv4 options over 40 bytes', () => ipv4.encode({ ...ip4, options: new Uint8Array(44) }), 'options'],
  ['ipv4 total length over 65535', () => ipv4.encode({ ...ip4, payload: new Uint8Array(65_516) }), 'payload'],
  ['ipv4 source beyond 32 bits', () => ipv4.encode({ ...ip4, source: -1 }), 'source'],
  ['ipv4 destination beyond 32 bits', () => ipv4.encode({ ...ip4, destination: 2 ** 32 }), 'destination'],
  ['ipv4 ttl beyond 255', () => ipv4.encode({ ...ip4, ttl: 256 }), 'ttl'],
  ['ipv4 buffer too small', () => ipv4.encode(ip4, new Uint8Array(19)), 'buffer'],
  ['ipv6 payload over 65535', () => ipv6.encode({ ...ip6, payload: new Uint8Array(65_536) }), 'payload'],
  ['ipv6 source beyond 128 bits', () => ipv6.encode({ ...ip6, source: 1n << 128n }), 'source'],
  ['ipv6 destination negative', () => ipv6.encode({ ...ip6, destination: -1n }), 'destination'],
  ['ipv6 flow label beyond 20 bits', () => ipv6.encode({ ...ip6, flowLabel: 0x10_0000 }), 'flowLabel'],
  [
    'ipv6 hop-by-hop not first',
    () =>
      ipv6.encode({
        ...ip6,
        extensionHeaders: [
          { type: 60, body: new Uint8Array(6) },
          { type: 0, body: new Uint8Array(6) },
        ],
      }),
    'extensionHeaders',
  ],
  [
    'ipv6 extension body of a bad length',
    () => ipv6.encode({ ...ip6, extensionHeaders: [{ type: 60, body: new Uint8Array(7) }] }),
    'extensionHeaders',
  ],
  [
    'ipv6 unknown extension header type',
    () => ipv6.encode({ ...ip6, extensionHeaders: [{ type: 6, body: new Uint8Array(6) }] }),
    'extensionHeaders',
  ],
  ['ipv6 buffer too small', () => ipv6.encode(ip6, new Uint8Array(39)), 'buffer'],
  ['tcp without a pseudo-header', () => tcp.encode(seg), 'pseudo'],
  ['tcp port beyond 65535', () => tcp.encode({ ...seg, sourcePort: 65_536 }, undefined, 0, P4), 'sourcePort'],
  ['tcp flags beyond 9 bits', () => tcp.encode({ ...seg, flags: 0x200 }, undefined, 0, P4), 'flags'],
  [
    'tcp options over 40 bytes',
    () =>
      tcp.encode(
        { ...seg, options: Array.from({ length: 11 }, () => ({ kind: 2 as const, mss: 1 })) },
        undefined,
        0,
        P4,
      ),
    'options',
  ],
  [
    'tcp SACK with no block',
    () => tcp.encode({ ...seg, options: [{ kind: 5, blocks: [] }] }, undefined, 0, P4),
    'options.blocks',
  ],
  [
    'tcp MSS beyond 65535',
    () => tcp.encode({ ...seg, options: [{ kind: 2, mss: 70_000 }] }, undefined, 0, P4),
    'options.mss',
  ],
  [
    'tcp 16-bit ExID beyond 65535',
    () =>
      tcp.encode(
        { ...seg, options: [{ kind: 254, exid: 0x1_0000, exidLength: 2, data: empty }] },
        undefined,
        0,
        P4,
      ),
    'options.exid',
  ],
  ['tcp buffer too small', () => tcp.encode(seg, new Uint8Array(19), 0, P4), 'buffer'],
  [
    'udp without a pseudo-header',
    () => udp.encode({ sourcePort: 1, destinationPort: 2, payload: empty }),
    'pseudo',
  ],
  [
    'udp length over 65535',
    () =>
      udp.encode({ sourcePort: 1, destinationPort: 2, payload: new Uint8Array(65_528) }, undefined, 0, P4),
    'payload',
  ],
  [
    'udp buffer too small',
    () => udp.encode({ sourcePort: 1, destinationPort: 2, payload: empty }, new Uint8Array(7), 0, P4),
    'buffer',
  ],
  [
    'icmpv4 code beyond 255',
    () => icmpv4.encode({ kind: 'echo-request', code: 256, identifier: 0, sequence: 0, data: empty }),
    'code',
  ],
  [
    'icmpv4 buffer too small',
    () =>
      icmpv4.encode(
        { kind: 'echo-request', code: 0, identifier: 0, sequence: 0, data: empty },
        new Uint8Array(7),
      ),
    'buffer',
  ],
  ['icmpv6 without a pseudo-header', () => icmpv6.encode(ns), 'pseudo'],
  [
    'icmpv6 target beyond 128 bits',
    () => icmpv6.encode({ ...ns, target: 1n << 128n }, undefined, 0, P6),
    'target',
  ],
  [
    'icmpv6 option MAC beyond 48 bits',
    () =>
      icmpv6.encode(
        { ...ns, options: [{ kind: 'source-link-layer-address', address: 2 ** 48 }] },
        undefined,
        0,
        P6,
      ),
    'options.address',
  ],
  [
    'icmpv6 raw option of a bad length',
    () =>
      icmpv6.encode(
        { ...ns, options: [{ kind: 'raw', type: 5, data: new Uint8Array(5) }] },
        undefined,
        0,
        P6,
      ),
    'options',
  ],
  ['icmpv6 buffer too small', () => icmpv6.encode(ns, new Uint8Array(23), 0, P6), 'buffer'],
  [
    'pcap timestamp beyond 2106',
    () => new PcapWriter().write(empty, 2n ** 32n * 1_000_000_000n),
    'timestampNs',
  ],
  ['assertUint with NaN', () => assertUint('x', 'field', Number.NaN, 10), 'field'],
];

describe('encoders refuse what they cannot encode', () => {
  it.each(rows)('%s', (_name, run, field) => {
    let caught: unknown;
    try {
      run();
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(InvalidArgumentError);
    expect(caught).toBeInstanceOf(WireError);
    expect((caught as InvalidArgumentError).field).toBe(field);
    expect((caught as InvalidArgumentError).code).toBe('ERR_WIRE_INVALID_ARGUMENT');
  });

  it('views refuse a range outside the array', () => {
    expect(() => ipv4.decode(new Uint8Array(30), 20, 40)).toThrow(InvalidArgumentError);
  });
});
