/** fast-check arbitraries for valid reprs of every codec. */
import fc from 'fast-check';
import {
  type ArpRepr,
  type EthernetRepr,
  type Icmpv4Repr,
  type Icmpv6Repr,
  type Ipv4Repr,
  type Ipv6ExtensionHeader,
  type Ipv6Repr,
  ipv6Fragment,
  type NdpOption,
  type TcpOption,
  type TcpRepr,
  type UdpRepr,
  type VlanTag,
} from '../src/index.js';

export const u8 = fc.integer({ min: 0, max: 0xff });
export const u16 = fc.integer({ min: 0, max: 0xffff });
export const u32 = fc.integer({ min: 0, max: 0xffff_ffff });
export const mac = fc.integer({ min: 0, max: 0xffff_ffff_ffff });
export const ipv4Addr = u32;
export const ipv6Addr = fc.bigInt({ min: 0n, max: (1n << 128n) - 1n });
export const bytes = (maxLength = 64) => fc.uint8Array({ maxLength });

export const vlanTag: fc.Arbitrary<VlanTag> = fc.record({
  tpid: fc.constantFrom(0x8100, 0x88a8, 0x9100),
  pcp: fc.integer({ min: 0, max: 7 }),
  dei: fc.boolean(),
  vid: fc.integer({ min: 0, max: 0xfff }),
});

export const ethernetRepr: fc.Arbitrary<EthernetRepr> = fc.record({
  destination: mac,
  source: mac,
  tags: fc.array(vlanTag, { maxLength: 2 }),
  etherType: u16.filter((t) => t !== 0x8100 && t !== 0x88a8 && t !== 0x9100),
  payload: bytes(100),
});

export const arpRepr: fc.Arbitrary<ArpRepr> = fc.oneof(
  fc.record({
    kind: fc.constant('ethernet-ipv4' as const),
    operation: u16,
    senderHardwareAddress: mac,
    senderProtocolAddress: ipv4Addr,
    targetHardwareAddress: mac,
    targetProtocolAddress: ipv4Addr,
  }),
  fc
    .record({
      hardwareType: u16.filter((t) => t !== 1),
      protocolType: u16,
      operation: u16,
      hlen: fc.integer({ min: 0, max: 16 }),
      plen: fc.integer({ min: 0, max: 16 }),
    })
    .chain((h) =>
      fc.record({
        kind: fc.constant('raw' as const),
        hardwareType: fc.constant(h.hardwareType),
        protocolType: fc.constant(h.protocolType),
        operation: fc.constant(h.operation),
        senderHardwareAddress: fc.uint8Array({ minLength: h.hlen, maxLength: h.hlen }),
        senderProtocolAddress: fc.uint8Array({ minLength: h.plen, maxLength: h.plen }),
        targetHardwareAddress: fc.uint8Array({ minLength: h.hlen, maxLength: h.hlen }),
        targetProtocolAddress: fc.uint8Array({ minLength: h.plen, maxLength: h.plen }),
      }),
    ),
);

/** Well-formed IPv4 option bytes, padded to a multiple of 4 with EOL/zeros. */
export const ipv4OptionBytes: fc.Arbitrary<Uint8Array> = fc
  .array(
    fc.oneof(
      fc.constant(Uint8Array.of(1)),
      fc.uint8Array({ minLength: 0, maxLength: 6 }).map((d) => Uint8Array.of(7, d.length + 2, ...d)),
      fc.constant(Uint8Array.of(148, 4, 0, 0)),
    ),
    { maxLength: 5 },
  )
  .map((parts) => {
    const flat: number[] = [];
    for (const p of parts) if (flat.length + p.length <= 40) flat.push(...p);
    while (flat.length % 4 !== 0) flat.push(0);
    return Uint8Array.from(flat);
  });

export const ipv4Repr: fc.Arbitrary<Ipv4Repr> = fc.record(
  {
    dscp: fc.integer({ min: 0, max: 63 }),
    ecn: fc.integer({ min: 0, max: 3 }),
    identification: u16,
    reservedFlag: fc.constant(true),
    dontFragment: fc.boolean(),
    moreFragments: fc.boolean(),
    fragmentOffset: fc.integer({ min: 0, max: 0x1fff }),
    ttl: u8,
    protocol: u8,
    source: ipv4Addr,
    destination: ipv4Addr,
    options: ipv4OptionBytes,
    payload: bytes(80),
  },
  {
    requiredKeys: [
      'dscp',
      'ecn',
      'identification',
      'dontFragment',
      'moreFragments',
      'fragmentOffset',
      'ttl',
      'protocol',
      'source',
      'destination',
      'options',
      'payload',
    ],
  },
);

const optionsBody = fc.array(fc.integer({ min: 0, max: 2 }), { maxLength: 3 }).map((n) => {
  // HBH/DO bodies are 6 + 8n bytes of valid options: PadN filling the space.
  const len = 6 + 8 * (n[0] ?? 0);
  return Uint8Array.of(1, len - 2, ...new Uint8Array(len - 2));
});

export const ipv6ExtensionHeaders: fc.Arbitrary<Ipv6ExtensionHeader[]> = fc
  .record({
    hbh: fc.option(optionsBody, { nil: undefined }),
    routing: fc.option(
      fc
        .integer({ min: 0, max: 2 })
        .chain((n) => fc.uint8Array({ minLength: 6 + 8 * n, maxLength: 6 + 8 * n })),
      {
        nil: undefined,
      },
    ),
    fragment: fc.option(
      fc.record({ fragmentOffset: fc.constant(0), moreFragments: fc.boolean(), identification: u32 }),
      { nil: undefined },
    ),
    dest: fc.option(optionsBody, { nil: undefined }),
  })
  .map(({ hbh, routing, fragment, dest }) => {
    const out: Ipv6ExtensionHeader[] = [];
    if (hbh) out.push({ type: 0, body: hbh });
    if (routing) out.push({ type: 43, body: routing });
    if (fragment) out.push({ type: 44, body: ipv6Fragment.toBody(fragment) });
    if (dest) out.push({ type: 60, body: dest });
    return out;
  });

export const ipv6Repr: fc.Arbitrary<Ipv6Repr> = fc.record({
  trafficClass: u8,
  flowLabel: fc.integer({ min: 0, max: 0xf_ffff }),
  hopLimit: u8,
  source: ipv6Addr,
  destination: ipv6Addr,
  extensionHeaders: ipv6ExtensionHeaders,
  protocol: fc.constantFrom(6, 17, 58, 59, 99),
  payload: bytes(80),
});

export const tcpOption: fc.Arbitrary<TcpOption> = fc.oneof(
  fc.constant({ kind: 1 } as TcpOption),
  fc.record({ kind: fc.constant(2 as const), mss: u16 }),
  fc.record({ kind: fc.constant(3 as const), shift: u8 }),
  fc.constant({ kind: 4 } as TcpOption),
  fc.record({
    kind: fc.constant(5 as const),
    blocks: fc.array(fc.tuple(u32, u32), { minLength: 1, maxLength: 3 }),
  }),
  fc.record({ kind: fc.constant(8 as const), tsval: u32, tsecr: u32 }),
  fc.record({
    kind: fc.constantFrom(253 as const, 254 as const),
    exid: u16,
    exidLength: fc.constant(2 as const),
    data: bytes(6),
  }),
  fc.record({
    kind: fc.integer({ min: 6, max: 252 }).filter((k) => k !== 8),
    data: bytes(6),
  }),
);

/** Options that fit in 40 bytes. */
export const tcpOptions: fc.Arbitrary<TcpOption[]> = fc.array(tcpOption, { maxLength: 8 }).map((opts) => {
  const out: TcpOption[] = [];
  let used = 0;
  for (const o of opts) {
    const n = optionSize(o);
    if (used + n <= 40) {
      out.push(o);
      used += n;
    }
  }
  return out;
});

function optionSize(o: TcpOption): number {
  if (o.kind <= 1) return 1;
  if (o.kind === 2) return 4;
  if (o.kind === 3) return 3;
  if (o.kind === 4) return 2;
  if (o.kind === 5) return 2 + 8 * (o as { blocks: unknown[] }).blocks.length;
  if (o.kind === 8) return 10;
  if ('exid' in o) return 4 + o.data.length;
  return 2 + (o as { data: Uint8Array }).data.length;
}

export const tcpRepr: fc.Arbitrary<TcpRepr> = fc.record(
  {
    sourcePort: u16,
    destinationPort: u16,
    seq: u32,
    ack: u32,
    flags: fc.integer({ min: 0, max: 0x1ff }),
    reserved: fc.integer({ min: 1, max: 7 }),
    window: u16,
    urgentPointer: u16,
    options: tcpOptions,
    payload: bytes(80),
  },
  {
    requiredKeys: [
      'sourcePort',
      'destinationPort',
      'seq',
      'ack',
      'flags',
      'window',
      'urgentPointer',
      'options',
      'payload',
    ],
  },
);

export const udpRepr: fc.Arbitrary<UdpRepr> = fc.record({
  sourcePort: u16,
  destinationPort: u16,
  payload: bytes(80),
});

export const icmpv4Repr: fc.Arbitrary<Icmpv4Repr> = fc.oneof(
  fc.record({
    kind: fc.constantFrom('echo-request' as const, 'echo-reply' as const),
    code: u8,
    identifier: u16,
    sequence: u16,
    data: bytes(40),
  }),
  fc.record(
    {
      kind: fc.constant('destination-unreachable' as const),
      code: u8,
      nextHopMtu: u16,
      unused: fc.integer({ min: 1, max: 0xffff }),
      original: bytes(60),
    },
    { requiredKeys: ['kind', 'code', 'nextHopMtu', 'original'] },
  ),
  fc.record(
    {
      kind: fc.constant('time-exceeded' as const),
      code: u8,
      unused: fc.integer({ min: 1, max: 0xffff_ffff }),
      original: bytes(60),
    },
    { requiredKeys: ['kind', 'code', 'original'] },
  ),
  fc.record({
    kind: fc.constant('other' as const),
    type: u8.filter((t) => ![0, 3, 8, 11].includes(t)),
    code: u8,
    restOfHeader: u32,
    data: bytes(40),
  }),
);

export const ndpOption: fc.Arbitrary<NdpOption> = fc.oneof(
  fc.record({
    kind: fc.constantFrom('source-link-layer-address' as const, 'target-link-layer-address' as const),
    address: mac,
  }),
  fc.record({
    kind: fc.constant('raw' as const),
    type: u8.filter((t) => t !== 1 && t !== 2),
    data: fc
      .integer({ min: 0, max: 2 })
      .chain((n) => fc.uint8Array({ minLength: 6 + 8 * n, maxLength: 6 + 8 * n })),
  }),
);

export const icmpv6Repr: fc.Arbitrary<Icmpv6Repr> = fc.oneof(
  fc.record({
    kind: fc.constantFrom('echo-request' as const, 'echo-reply' as const),
    code: u8,
    identifier: u16,
    sequence: u16,
    data: bytes(40),
  }),
  fc.record({ kind: fc.constant('packet-too-big' as const), code: u8, mtu: u32, original: bytes(60) }),
  fc.record(
    {
      kind: fc.constantFrom('destination-unreachable' as const, 'time-exceeded' as const),
      code: u8,
      unused: fc.integer({ min: 1, max: 0xffff_ffff }),
      original: bytes(60),
    },
    { requiredKeys: ['kind', 'code', 'original'] },
  ),
  fc.record(
    {
      kind: fc.constant('neighbor-solicitation' as const),
      code: u8,
      reserved: fc.integer({ min: 1, max: 0xffff_ffff }),
      target: ipv6Addr,
      options: fc.array(ndpOption, { maxLength: 3 }),
    },
    { requiredKeys: ['kind', 'code', 'target', 'options'] },
  ),
  fc.record(
    {
      kind: fc.constant('neighbor-advertisement' as const),
      code: u8,
      router: fc.boolean(),
      solicited: fc.boolean(),
      override: fc.boolean(),
      reserved: fc.integer({ min: 1, max: 0x1fff_ffff }),
      target: ipv6Addr,
      options: fc.array(ndpOption, { maxLength: 3 }),
    },
    { requiredKeys: ['kind', 'code', 'router', 'solicited', 'override', 'target', 'options'] },
  ),
  fc.record({
    kind: fc.constant('other' as const),
    type: u8.filter((t) => ![1, 2, 3, 128, 129, 133, 134, 135, 136, 137].includes(t)),
    code: u8,
    restOfHeader: u32,
    data: bytes(40),
  }),
);
