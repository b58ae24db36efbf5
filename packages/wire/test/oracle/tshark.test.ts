/**
 * tshark as an oracle: thousands of random frames built with our encoders go into one pcap,
 * tshark (a dissector nobody here wrote) reads it once, and for every frame it must find no
 * malformation, good checksums, and exactly the field values we encoded.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  decodeFrame,
  FrameDecoder,
  Ipv6Address,
  Layer,
  PcapWriter,
  readPcap,
  Status,
  summarizeFrame,
} from '../../src/index.js';
import { buildFrame, type FrameSpec, finalDestination, frameSpec, readBackMismatches } from './frames.js';
import { decompose } from './roundtrip.js';
import { env, oracle, runs } from './tools.js';
import { ChecksumStatus, COMPARED_FIELDS, expectFrame, type FieldValue } from './tshark-fields.js';

const TSHARK = env('TSHARK') ?? 'tshark';
const SEED = Number(env('ORACLE_SEED') ?? 0x5eed);
const FRAMES = Number(env('ORACLE_FRAMES') ?? 3000);
const tool = oracle('tshark oracle', runs(TSHARK, ['--version']), `${TSHARK} not installed`);

const MAC_A = 0x02_00_00_00_00_0a;
const MAC_B = 0x02_00_00_00_00_0b;
const V4_A = 0x0a_4d_01_01;
const V4_B = 0x0a_4d_01_02;
const V6_A = 0xfd00_0077_0001_0000_0000_0000_0000_0001n;
const V6_B = 0xfd00_0077_0001_0000_0000_0000_0000_0002n;
const V6_FINAL = 0xfd00_0077_0005_0000_0000_0000_0000_0005n;
const ipv4Header = {
  dscp: 0,
  ecn: 0,
  identification: 1,
  reservedFlag: false,
  dontFragment: true,
  moreFragments: false,
  fragmentOffset: 0,
  ttl: 64,
  source: V4_A,
  destination: V4_B,
  options: [],
};
const ipv6Header = { trafficClass: 0, flowLabel: 0, hopLimit: 64, source: V6_A, destination: V6_B };
const syn = {
  sourcePort: 41000,
  destinationPort: 80,
  seq: 1,
  ack: 0,
  flags: 0x002,
  window: 64240,
  urgentPointer: 0,
  payload: new Uint8Array(0),
};

/** Hand-made frames appended to the random ones, each the smallest case of a codec bug this oracle found (since fixed). */
const PINNED = {
  /** MSS, then End of Option List and three zero bytes: a 28-byte header. */
  eolWord: {
    destination: MAC_B,
    source: MAC_A,
    tags: [],
    net: {
      kind: 'ipv4',
      ip: {
        ...ipv4Header,
        l4: { kind: 'tcp', repr: { ...syn, options: [{ kind: 2, mss: 1460 }, { kind: 0 }] } },
      },
    },
  },
  /** A later fragment whose Next Header is Destination Options: what follows is data (RFC 8200 §4.5). */
  laterFragment: {
    destination: MAC_B,
    source: MAC_A,
    tags: [],
    net: {
      kind: 'ipv6',
      ip: {
        ...ipv6Header,
        ext: [{ kind: 'fragment', fragmentOffset: 185, moreFragments: false, identification: 5 }],
        l4: {
          kind: 'raw',
          protocol: 60,
          data: Uint8Array.of(0x11, 0xff, ...new Array<number>(46).fill(0x61)),
        },
      },
    },
  },
  /** TCP behind a segment routing header with one segment left: the checksum covers Segment List[0]. */
  segmentRouting: {
    destination: MAC_B,
    source: MAC_A,
    tags: [],
    net: {
      kind: 'ipv6',
      ip: {
        ...ipv6Header,
        ext: [
          {
            kind: 'routing',
            routingType: 4,
            segmentsLeft: 1,
            data: Uint8Array.from([
              1,
              0,
              0,
              0,
              ...Ipv6Address.toBytes(V6_FINAL),
              ...Ipv6Address.toBytes(V6_B),
            ]),
          },
        ],
        l4: { kind: 'tcp', repr: { ...syn, options: [{ kind: 2, mss: 1220 }] } },
      },
    },
  },
} satisfies Record<string, FrameSpec>;

/** Multiple occurrences of a field are joined with this (`-E aggregator`). */
const AGGREGATOR = '|';
const META_FIELDS = ['_ws.expert.severity', '_ws.expert.message', '_ws.malformed'] as const;

/** Expert severities (epan/proto.h PI_*). */
const Severity = { WARN: 0x0060_0000, ERROR: 0x0080_0000 } as const;

/**
 * Warnings tshark raises about what random (but well-formed) values mean, not about how
 * they are encoded: each is a protocol-usage remark on a field we chose at random.
 */
const EXPECTED_WARNINGS: readonly RegExp[] = [
  /^Connection reset \(RST\)$/, // the RST flag
  /^Trailing stray characters$/, // the payload of a RST, read as a text "reset cause"
  /^The non-SYN packet does contain a MSS option$/,
  /^D-SACK Sequence$/, // a SACK block below the acknowledgment number
  /^\d+ NOP in a row - a router may have removed some options$/,
  /^Multicast addresses must not appear in the source route list$/, // routing header type 0
];

const PREFERENCES = [
  // Checksums: IPv4 header, TCP and UDP are off by default; ICMP and ICMPv6 are always checked.
  'ip.check_checksum:TRUE',
  'tcp.check_checksum:TRUE',
  'udp.check_checksum:TRUE',
  // Raw sequence numbers, and no cross-frame analysis of the unrelated random segments.
  'tcp.relative_sequence_numbers:FALSE',
  'tcp.analyze_sequence_numbers:FALSE',
  'tcp.desegment_tcp_streams:FALSE',
  'ip.defragment:FALSE',
  'ipv6.defragment:FALSE',
  'arp.detect_duplicate_ips:FALSE',
];

interface Row {
  number: number;
  fields: Map<string, string[]>;
}

function runTshark(pcap: string, configDir: string): Row[] {
  const fields = ['frame.number', ...COMPARED_FIELDS, ...META_FIELDS];
  const args = [
    '-n',
    '-r',
    pcap,
    ...PREFERENCES.flatMap((p) => ['-o', p]),
    // Payloads are random bytes: show them as data instead of guessing an application protocol.
    '-d',
    'tcp.port==0-65535,data',
    '-d',
    'udp.port==0-65535,data',
    '-T',
    'fields',
    '-E',
    'separator=/t',
    '-E',
    'occurrence=a',
    '-E',
    `aggregator=${AGGREGATOR}`,
    '-E',
    'quote=n',
    '-E',
    'header=n',
    ...fields.flatMap((f) => ['-e', f]),
  ];
  const stdout = execFileSync(TSHARK, args, {
    encoding: 'utf8',
    maxBuffer: 1 << 30,
    stdio: ['ignore', 'pipe', 'pipe'],
    // An empty personal configuration: nobody's Wireshark preferences change the verdict.
    env: { ...process.env, WIRESHARK_CONFIG_DIR: configDir },
  });
  return stdout
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => {
      const cols = line.split('\t');
      const map = new Map<string, string[]>();
      fields.forEach((f, i) => {
        const v = cols[i] ?? '';
        map.set(f, v === '' ? [] : v.split(AGGREGATOR));
      });
      return { number: Number(cols[0]), fields: map };
    });
}

function matches(expected: FieldValue, actual: string | undefined): boolean {
  if (actual === undefined) return false;
  switch (typeof expected) {
    case 'number':
      return actual !== '' && Number(actual) === expected;
    case 'boolean': // tshark 4.0 prints 1/0, later versions True/False
      return expected ? actual === '1' || actual === 'True' : actual === '0' || actual === 'False';
    case 'bigint':
      try {
        return Ipv6Address.parse(actual) === expected;
      } catch {
        return false;
      }
    default:
      return actual === expected;
  }
}

function show(v: FieldValue): string {
  return typeof v === 'bigint' ? Ipv6Address.format(v) : String(v);
}

describe.skipIf(tool.skip)(tool.title, () => {
  let dir = '';
  let specs: FrameSpec[] = [];
  let frames: Uint8Array[] = [];
  let pcap: Uint8Array = new Uint8Array(0);
  let rows: Row[] = [];
  let seconds = 0;
  const decoder = new FrameDecoder();

  /** `#n (summary)` for failure messages. */
  const label = (i: number): string => {
    decodeFrame(frames[i]!, decoder);
    return `#${i + 1} (${summarizeFrame(decoder)})`;
  };

  beforeAll(() => {
    expect(tool.available, `${TSHARK} is not installed (apt-get install tshark)`).toBe(true);
    specs = [...fc.sample(frameSpec, { seed: SEED, numRuns: FRAMES }), ...Object.values(PINNED)];
    frames = specs.map(buildFrame);
    const writer = new PcapWriter();
    frames.forEach((f, i) => {
      writer.write(f, BigInt(i) * 1_000_000n);
    });
    pcap = writer.toBytes();
    dir = mkdtempSync(join(tmpdir(), 'wire-tshark-'));
    const file = join(dir, 'frames.pcap');
    writeFileSync(file, pcap);
    const started = performance.now();
    rows = runTshark(file, dir);
    seconds = (performance.now() - started) / 1000;
  }, 120_000);

  afterAll(() => {
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
  });

  it(`reads all ${FRAMES} random and ${Object.keys(PINNED).length} pinned frames of our pcap, as readPcap does`, () => {
    expect(rows.map((r) => r.number)).toEqual(frames.map((_, i) => i + 1));
    const back = readPcap(pcap);
    expect(back.records.length).toBe(frames.length);
    back.records.forEach((r, i) => {
      expect(r.data).toEqual(frames[i]);
      expect(r.timestampNs).toBe(BigInt(i) * 1_000_000n);
    });
    // Visible in the test log: how long one tshark pass over the file took.
    console.info(
      `tshark oracle: ${frames.length} frames, ${pcap.length} bytes, seed ${SEED}, tshark ${seconds.toFixed(1)} s`,
    );
  });

  it('finds no malformed frame and no expert error or unexplained warning', () => {
    const problems: string[] = [];
    rows.forEach((row, i) => {
      if ((row.fields.get('_ws.malformed') ?? []).length > 0)
        problems.push(`${label(i)}: malformed: ${row.fields.get('_ws.malformed')!.join(', ')}`);
      const severities = row.fields.get('_ws.expert.severity') ?? [];
      const messages = row.fields.get('_ws.expert.message') ?? [];
      severities.forEach((s, k) => {
        const severity = Number(s);
        const message = messages[k] ?? '';
        if (severity >= Severity.ERROR) problems.push(`${label(i)}: expert error: ${message}`);
        else if (severity >= Severity.WARN && !EXPECTED_WARNINGS.some((re) => re.test(message)))
          problems.push(`${label(i)}: expert warning: ${message}`);
      });
    });
    expect(problems.slice(0, 40), `${problems.length} problems`).toEqual([]);
  });

  it('verifies every checksum we computed (IPv4 header, TCP, UDP, ICMP, ICMPv6)', () => {
    const statusFields = [
      'ip.checksum.status',
      'tcp.checksum.status',
      'udp.checksum.status',
      'icmp.checksum.status',
      'icmpv6.checksum.status',
    ] as const;
    const bad: string[] = [];
    const good = new Map<string, number>(statusFields.map((f) => [f, 0]));
    rows.forEach((row, i) => {
      for (const f of statusFields) {
        for (const v of row.fields.get(f) ?? []) {
          if (Number(v) === ChecksumStatus.GOOD) good.set(f, good.get(f)! + 1);
          else if (Number(v) === ChecksumStatus.BAD) bad.push(`${label(i)}: ${f} bad`);
        }
      }
    });
    expect(bad.slice(0, 40), `${bad.length} bad checksums`).toEqual([]);
    // Every kind of checksum was exercised, many times over.
    for (const f of statusFields) expect(good.get(f), f).toBeGreaterThan(FRAMES / 50);
  });

  it('prints exactly the field values we encoded', () => {
    const mismatches: string[] = [];
    rows.forEach((row, i) => {
      const expected = expectFrame(specs[i]!);
      for (const field of COMPARED_FIELDS) {
        const want = expected.get(field);
        let got = row.fields.get(field) ?? [];
        if (field === 'frame.protocols') got = got.map((p) => p.replace(/(:data)+$/, ''));
        const ok = want.length === got.length && want.every((w, k) => matches(w, got[k]));
        if (!ok)
          mismatches.push(
            `${label(i)} ${field}: expected [${want.map(show).join(', ')}], tshark [${got.join(', ')}]`,
          );
      }
    });
    expect(mismatches.slice(0, 40), `${mismatches.length} mismatches`).toEqual([]);
  });

  it('prints IPv6 addresses as Ipv6Address.format does (RFC 5952)', () => {
    const differences: string[] = [];
    rows.forEach((row, i) => {
      for (const field of [
        'ipv6.src',
        'ipv6.dst',
        'icmpv6.nd.ns.target_address',
        'icmpv6.nd.na.target_address',
      ]) {
        for (const text of row.fields.get(field) ?? []) {
          const value = Ipv6Address.parse(text);
          // tshark writes deprecated IPv4-compatible addresses (RFC 4291 §2.5.5.1) as ::a.b.c.d;
          // RFC 5952 §5 asks for mixed notation only for mapped and translated addresses.
          if (value >> 32n === 0n && value > 0xffffn) continue;
          const ours = Ipv6Address.format(value);
          if (ours !== text) differences.push(`${label(i)} ${field}: tshark ${text}, ours ${ours}`);
        }
      }
    });
    expect(differences.slice(0, 40), `${differences.length} differences`).toEqual([]);
  });

  it('our decoders read back every value we encoded (checksums verified), decodeFrame finds the layers', () => {
    const failures: string[] = [];
    frames.forEach((frame, i) => {
      const spec = specs[i]!;
      try {
        const d = decompose(frame, spec.net.kind === 'ipv6' ? finalDestination(spec.net.ip) : undefined);
        for (const m of readBackMismatches(spec, d)) failures.push(`${label(i)}: ${m}`);
      } catch (err) {
        failures.push(`${label(i)}: ${err instanceof Error ? err.message : String(err)}`);
      }
      const layers = decodeFrame(frame, decoder);
      if (decoder.status !== Status.OK) failures.push(`${label(i)}: decodeFrame status ${decoder.status}`);
      const want = spec.net.kind === 'arp' ? Layer.ARP : spec.net.kind === 'ipv4' ? Layer.IPV4 : Layer.IPV6;
      if ((layers & want) === 0) failures.push(`${label(i)}: decodeFrame layers ${layers}`);
      if (spec.tags.length > 0 !== ((layers & Layer.VLAN) !== 0))
        failures.push(`${label(i)}: VLAN bit wrong`);
    });
    expect(failures.slice(0, 40), `${failures.length} failures`).toEqual([]);
  });

  it('re-encodes every frame byte for byte (decode→encode, checksums kept)', () => {
    const failures: string[] = [];
    frames.forEach((frame, i) => {
      const spec = specs[i]!;
      try {
        const d = decompose(frame, spec.net.kind === 'ipv6' ? finalDestination(spec.net.ip) : undefined);
        if (Buffer.compare(d.reencoded, frame) !== 0) failures.push(`${label(i)}: re-encoding differs`);
      } catch (err) {
        failures.push(`${label(i)}: ${err instanceof Error ? err.message : String(err)}`);
      }
    });
    expect(failures.slice(0, 40), `${failures.length} failures`).toEqual([]);
  });

  describe('regressions: codec bugs this oracle found (one pinned frame each)', () => {
    /** The tshark row and our frame of a pinned spec. */
    const pinned = (spec: FrameSpec) => {
      const i = specs.indexOf(spec);
      return { row: rows[i]!, frame: frames[i]! };
    };

    it('tcp: decode→encode keeps an End of Option List that pads a whole word (tshark: 28-byte header)', () => {
      const { row, frame } = pinned(PINNED.eolWord);
      expect(row.fields.get('tcp.hdr_len')).toEqual(['28']);
      expect(row.fields.get('tcp.option_kind')).toEqual(['2', '0', '0', '0', '0']);
      expect(row.fields.get('tcp.checksum.status')).toEqual([String(ChecksumStatus.GOOD)]);
      // Regression: parseTcpOptions once dropped the EOL word, so encode wrote a 24-byte header.
      expect(Buffer.from(decompose(frame).reencoded).toString('hex')).toBe(
        Buffer.from(frame).toString('hex'),
      );
    });

    it('ipv6: decodeFrame accepts a later fragment whose Next Header is an extension header (tshark: fragment data)', () => {
      const { row, frame } = pinned(PINNED.laterFragment);
      expect(row.fields.get('_ws.malformed')).toEqual([]);
      expect(row.fields.get('frame.protocols')).toEqual(['eth:ethertype:ipv6:ipv6.fraghdr:data']);
      expect(row.fields.get('ipv6.fraghdr.nxt')).toEqual(['60']);
      const d = new FrameDecoder();
      const layers = decodeFrame(frame, d);
      // Regression: the walk once read the fragment data as a 2 KiB Destination Options header.
      expect(d.error()?.message).toBeUndefined();
      expect(layers & (Layer.IPV6 | Layer.FRAGMENT)).toBe(Layer.IPV6 | Layer.FRAGMENT);
    });

    it('ipv6: pseudoHeaderSum() uses the final destination of a routing header with segments left (tshark: checksum good)', () => {
      const { row, frame } = pinned(PINNED.segmentRouting);
      expect(row.fields.get('tcp.checksum.status')).toEqual([String(ChecksumStatus.GOOD)]);
      expect(row.fields.get('ipv6.routing.segleft')).toEqual(['1']);
      const d = new FrameDecoder();
      decodeFrame(frame, d);
      expect(d.has(Layer.TCP)).toBe(true);
      // RFC 8200 §8.1: Segment List[0], not the Destination Address (the next segment).
      expect(d.tcp.verifyChecksum(d.ipv6.pseudoHeaderSum())).toBe(true);
    });
  });
});
